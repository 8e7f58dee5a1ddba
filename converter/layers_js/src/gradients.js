'use strict';
/**
 * Ops whose TF.js 4.22 gradient is missing or differs from TensorFlow's (which Keras trains
 * with), written from tfjs-core ops that have gradients on every backend (tf.customGrad where the
 * gradient itself is ours):
 *   reduceMax / reduceMin(x, axes, keepdims): tf.max / tf.min with TensorFlow's gradient, the
 *     upstream gradient split evenly between the elements that tie for the extreme (tfjs-core
 *     gives each of them all of it: after an UpSampling, a max pooling then passes back
 *     size-times the gradient);
 *   conv3dTranspose(x, kernel, outputShape, strides, padding): tf.conv3dTranspose, which tfjs-core
 *     registers no gradient for (Conv3DBackpropInputV2) and which the WASM backend computes
 *     wrong (zeros): here as sums of conv2dTranspose (see the function).
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
  define(tf, lib) {
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

    /**
     * tf.conv3dTranspose(x, kernel, outputShape, strides, padding) (channels last) as one
     * tf.conv2dTranspose per depth slice of the kernel over every depth plane of x, each result
     * spread along depth by the stride, shifted by its slice and summed, then cropped as the
     * padding says: ops with gradients on every backend.
     */
    function conv3dTranspose(x, kernel, outputShape, strides, padding) {
      return tf.tidy(() => {
        const [n, depth, h, w, c] = x.shape;
        const [kd, kh, kw, filters] = kernel.shape;
        const [, od, oh, ow] = outputShape;
        const [sd, sh, sw] = strides;
        const planes = tf.reshape(x, [n * depth, h, w, c]);
        const full = (depth - 1) * sd + kd;  // the depth every contribution fits in
        let sum = null;
        // Slices and pads run on rank-3 views [n, depth, plane] (fewer, smaller ops than at rank 5).
        const plane = oh * ow * filters;
        const kernels = tf.reshape(kernel, [kd, kh * kw * filters * c]);
        for (let k = 0; k < kd; k++) {
          const slice = tf.reshape(tf.slice(kernels, [k, 0], [1, kh * kw * filters * c]), [kh, kw, filters, c]);
          let y = tf.conv2dTranspose(planes, slice, [n * depth, oh, ow, filters], [sh, sw], padding);
          y = tf.reshape(y, [n * depth, 1, plane]);
          if (sd > 1) {  // plane i to depth i * sd: sd - 1 zero planes after each
            y = tf.concat([y, tf.zeros([n * depth, sd - 1, plane])], 1);
          }
          y = tf.slice(tf.reshape(y, [n, depth * sd, plane]), [0, 0, 0], [n, (depth - 1) * sd + 1, plane]);
          y = tf.pad(y, [[0, 0], [k, kd - 1 - k], [0, 0]]);  // plane i at i * sd + k
          sum = sum ? tf.add(sum, y) : y;
        }
        // TensorFlow's padding of the convolution this transposes: floor(max(kd - sd, 0) / 2) before
        const before = padding === 'same' ? Math.floor(Math.max(kd - sd, 0) / 2) : 0;
        if (before + od > full) sum = tf.pad(sum, [[0, 0], [0, before + od - full], [0, 0]]);
        return tf.reshape(tf.slice(sum, [0, before, 0], [n, od, plane]), [n, od, oh, ow, filters]);
      });
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
          // (on a rank-2 view: a rank-5 tensor + a rank-1 bias computes wrong values on
          // tfjs-backend-webgpu 4.22, docs/browser.md)
          if (this.bias) y = tf.reshape(tf.add(tf.reshape(y, [-1, this.filters]), this.bias.read()), y.shape);
          if (channelsFirst) y = tf.transpose(y, [0, 4, 1, 2, 3]);
          return this.activation ? this.activation.apply(y) : y;
        });
      }
    }

    return {reduceMax, reduceMin, conv3dTranspose, mirrorPad, withActivityLoss, Conv3DTranspose};
  },
};
