'use strict';
/**
 * The JS twin of tools/testing/custom_layer.py's ScaledDense (y = scale * (x W + b)), as a user
 * writes it to load a model converted with --allow_custom_layers. The converter names a custom
 * layer's weights `<layer>/0`, `<layer>/1`, ... in the order Keras created them, so the class adds
 * its weights under the names '0' (kernel) and '1' (bias): tfjs-layers scopes them by layer name.
 * Exported as `(tf) => void` so the parity runner ($PARITY_REGISTER) registers it before loading.
 */
module.exports = function registerScaledDense(tf) {
  class ScaledDense extends tf.layers.Layer {
    constructor(config) {
      super(config);
      this.units = config.units;
      this.scale = config.scale;
    }

    build(inputShape) {
      const inputDim = inputShape[inputShape.length - 1];
      this.kernel = this.addWeight('0', [inputDim, this.units], 'float32',
                                   tf.initializers.glorotUniform({}));
      this.bias = this.addWeight('1', [this.units], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    computeOutputShape(inputShape) {
      return inputShape.slice(0, -1).concat([this.units]);
    }

    call(inputs) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.mul(tf.add(tf.matMul(x, this.kernel.read()), this.bias.read()), this.scale);
      });
    }

    getConfig() {
      return Object.assign(super.getConfig(), {units: this.units, scale: this.scale});
    }

    static get className() {
      return 'ScaledDense';
    }
  }
  tf.serialization.registerClass(ScaledDense);
};
