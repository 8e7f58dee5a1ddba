'use strict';
/**
 * Ops whose TF.js 4.22 gradient is missing or differs from TensorFlow's (which Keras trains
 * with), written with tf.customGrad from tfjs-core ops that have gradients on every backend:
 *   reduceMax / reduceMin(x, axes, keepdims): tf.max / tf.min with TensorFlow's gradient, the
 *     upstream gradient split evenly between the elements that tie for the extreme (tfjs-core
 *     gives each of them all of it: after an UpSampling, a max pooling then passes back
 *     size-times the gradient);
 *   conv3dTranspose(x, kernel, outputShape, strides, padding): tf.conv3dTranspose, which tfjs-core
 *     registers no gradient for (Conv3DBackpropInputV2). It is the adjoint of conv3d in its input,
 *     so its input gradient is conv3d(dy, kernel) and its kernel gradient is conv3d's kernel
 *     gradient (tfjs-core's registered one) at input dy with upstream x.
 *   mirrorPad(x, paddings, mode): tf.mirrorPad ('reflect' / 'symmetric'), whose tfjs-core
 *     gradient keeps only the centre's part of the upstream gradient (the reflected copies' is
 *     dropped); here a gather per padded axis, whose gradient sums every copy's, as TensorFlow's.
 * What tfjs-layers' fit lacks:
 *   withActivityLoss(Base): ActivityRegularization's loss, (l1 * sum|y| + l2 * sum y^2) / batch
 *     as Keras 3 adds it for each call (keras/src/layers/layer.py), recorded by each training
 *     call and handed to fit through Layer.addLoss (fit adds every layer's losses; tfjs-layers
 *     itself refuses activity regularizers). A layer called twice adds its last call's twice.
 * And the class that needs conv3dTranspose:
 *   Conv3DTranspose: tfjs-layers' own (whose predictions match Keras 3's), computed through
 *     conv3dTranspose above so that it trains.
 */
module.exports = {
  provides: ['Conv3DTranspose'],
  needs: [],
  define(tf) {
    /** tf[reduction](x, axes, keepdims) ('max' / 'min') whose gradient splits between ties, as
     * TensorFlow's does. */
    const extremum = (reduction) => (x, axes, keepdims) => {
      const rank = x.rank;
      const along = (Array.isArray(axes) ? axes : [axes]).map((a) => (a < 0 ? a + rank : a));
      const kept = x.shape.map((d, i) => (along.includes(i) ? 1 : d));
      const reduced = tf.customGrad((input, save) => {
        const y = tf[reduction](input, along, true);
        save([input, y]);
        return {
          value: keepdims ? tf.clone(y) : tf.reshape(y, x.shape.filter((_, i) => !along.includes(i))),
          gradFunc: (dy, [saved, ySaved]) => {
            // (where, not a bool -> float cast: tfjs-backend-webgpu 4.22 miscasts bool tensors)
            const ties = tf.where(tf.equal(saved, ySaved), tf.onesLike(saved), tf.zerosLike(saved));
            const share = tf.div(ties, tf.sum(ties, along, true));
            return [tf.mul(share, tf.reshape(dy, kept))];
          },
        };
      });
      return reduced(x);
    };
    const reduceMax = extremum('max');
    const reduceMin = extremum('min');

    /** tf.conv3dTranspose (channels last) with gradients for its input and kernel. */
    function conv3dTranspose(x, kernel, outputShape, strides, padding) {
      const op = tf.customGrad((input, filter, save) => {
        save([input, filter]);
        return {
          value: tf.conv3dTranspose(input, filter, outputShape, strides, padding),
          gradFunc: (dy, [xSaved, filterSaved]) => {
            // (tfjs' own Conv3D gradient, as registered; a tf.grad here would end the outer tape)
            const conv3dGradient = tf.getGradient('Conv3D');
            if (!conv3dGradient) throw new Error('Conv3DTranspose: training needs the Conv3D gradient of tfjs-core');
            const attrs = {strides, pad: padding, dilations: [1, 1, 1]};
            return [tf.conv3d(dy, filterSaved, strides, padding), conv3dGradient.gradFunc(xSaved, [dy, filterSaved], attrs).filter()];
          },
        };
      });
      return op(x, kernel);
    }

    /** tf.mirrorPad(x, paddings, mode) as gathers, with TensorFlow's gradient. */
    function mirrorPad(x, paddings, mode) {
      const skip = mode === 'reflect' ? 1 : 0;  // reflect leaves the edge element out
      return tf.tidy(() => paddings.reduce((y, [before, after], axis) => {
        if (!before && !after) return y;
        const n = y.shape[axis];
        const indices = [];
        for (let i = before; i > 0; i--) indices.push(i - 1 + skip);
        for (let i = 0; i < n; i++) indices.push(i);
        for (let i = 1; i <= after; i++) indices.push(n - i - skip);
        return tf.gather(y, tf.tensor1d(indices, 'int32'), axis);
      }, x));
    }

    /** `Base` (a layer with settings {l1, l2}) whose training calls add Keras' activity loss
     * to the loss model.fit minimises. */
    function withActivityLoss(Base) {
      return class extends Base {
        constructor(args) {
          super(args);
          this.activityLoss = null;
          // (a fit step calls the layer, then reads its losses, in the same scope; another read
          // finds the tensor disposed and counts 0, as a predict-only layer does)
          this.addLoss(() => (this.activityLoss && !this.activityLoss.isDisposed ? this.activityLoss : tf.scalar(0)));
        }

        call(inputs, kwargs) {
          const y = super.call(inputs, kwargs);
          if (kwargs && kwargs.training) {
            this.activityLoss = tf.tidy(() => {
              const {l1, l2} = this.settings;
              let loss = tf.scalar(0);
              if (l1) loss = tf.add(loss, tf.mul(tf.sum(tf.abs(y)), l1));
              if (l2) loss = tf.add(loss, tf.mul(tf.sum(tf.square(y)), l2));
              return y.rank > 0 ? tf.div(loss, y.shape[0]) : loss;
            });
          }
          return y;
        }
      };
    }

    const registered = (name) => tf.serialization.SerializationMap.getMap().classNameMap[name][0];
    const deconvLength = (length, stride, kernel, padding) => (padding === 'same' ? length * stride :
      length * stride + Math.max(kernel - stride, 0));

    /** tfjs-layers' Conv3DTranspose (config, weights, shapes), its call through conv3dTranspose. */
    class Conv3DTranspose extends registered('Conv3DTranspose') {
      call(inputs) {
        return tf.tidy(() => {
          let x = Array.isArray(inputs) ? inputs[0] : inputs;
          const channelsFirst = this.dataFormat === 'channelsFirst';
          if (channelsFirst) x = tf.transpose(x, [0, 2, 3, 4, 1]);
          const spatial = [1, 2, 3].map((a, i) => deconvLength(x.shape[a], this.strides[i], this.kernelSize[i], this.padding));
          let y = conv3dTranspose(x, this.kernel.read(), [x.shape[0], ...spatial, this.filters], this.strides, this.padding);
          if (this.bias) y = tf.add(y, this.bias.read());
          if (channelsFirst) y = tf.transpose(y, [0, 4, 1, 2, 3]);
          return this.activation ? this.activation.apply(y) : y;
        });
      }
    }

    return {reduceMax, reduceMin, conv3dTranspose, mirrorPad, withActivityLoss, Conv3DTranspose};
  },
};
