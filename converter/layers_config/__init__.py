"""Keras model configs -> the Keras-2-style configs tfjs-layers 4.22 reads (the Layers format).

Keras 3 configs (`.keras`, Keras 3 `.h5`) are translated; Keras 2 / tf_keras configs (their
`.h5`) go through the same table and translation. layer_table.py holds what is known about each
layer class; translate.py applies it; objects.py translates activations, initializers and the
other serialized objects inside a layer config.
"""
