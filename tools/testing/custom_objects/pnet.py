"""A subclassed Keras 3 model (the MTCNN proposal net's shape), registered for `--custom_objects`:
`tfjs-export convert pnet.keras web/ --output_format tfjs_graph_model --custom_objects pnet.py`.
Standalone on purpose: it imports nothing of this project."""

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="tfjs_export_custom_objects")
class PNet(keras.Model):
    """Conv-PReLU-pool-conv-PReLU, then a face score (softmax) and box offsets, as a dict."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(10, 3)
        self.prelu1 = layers.PReLU(shared_axes=[1, 2])
        self.pool = layers.MaxPooling2D(2)
        self.conv2 = layers.Conv2D(16, 3)
        self.prelu2 = layers.PReLU(shared_axes=[1, 2])
        self.score = layers.Conv2D(2, 1, activation="softmax")
        self.boxes = layers.Conv2D(4, 1)

    def call(self, x):
        x = self.prelu2(self.conv2(self.pool(self.prelu1(self.conv1(x)))))
        return {"score": self.score(x), "boxes": self.boxes(x)}
