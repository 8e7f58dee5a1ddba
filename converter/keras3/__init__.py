"""Translation of Keras 3 model configs into the Keras-2-style configs tfjs-layers 4.22 reads."""
