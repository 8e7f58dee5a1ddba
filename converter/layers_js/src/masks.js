'use strict';
/**
 * KerasMask: the Keras mask of its input, as a bool tensor [batch, steps] (all true when the
 * input carries none). Not a Keras class: the converter inserts it where a Keras 3 call passes
 * the mask of an argument other than the first (MultiHeadAttention's value_mask, the mask list
 * of Attention): tfjs-layers hands a layer only its first input's mask (kwargs.mask), so those
 * masks travel as tensors instead. Its own output carries no mask.
 */
module.exports = {
  provides: ['KerasMask'],
  needs: [],
  define(tf, lib) {
    class KerasMask extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'keras_mask'));
        this.supportsMasking = true;  // it takes the mask of its input, and passes none on
        this.trainable = false;
      }

      computeOutputShape(inputShape) {
        return inputShape.slice(0, 2);
      }

      computeMask() {
        return null;
      }

      call(inputs, kwargs) {
        return tf.tidy(() => {
          const x = Array.isArray(inputs) ? inputs[0] : inputs;
          const mask = kwargs && kwargs.mask;
          const given = Array.isArray(mask) ? mask[0] : mask;
          return given != null ? tf.cast(given, 'bool') : tf.ones(x.shape.slice(0, 2), 'bool');
        });
      }
    }
    return {KerasMask};
  },
};
