'use strict';
/**
 * Keras 3's 1-D and 3-D siblings of layers tfjs-layers has only in 2-D, and a few weightless
 * layers: Conv1DTranspose, SeparableConv1D, DepthwiseConv1D (computed by the 2-D kernels on a
 * height-1 image: the same sums), Cropping1D/3D, ZeroPadding1D/3D, UpSampling1D/3D (nearest
 * repetition), SpatialDropout2D/3D (identity at inference; in training whole channels dropped),
 * GlobalAveragePooling3D / GlobalMaxPooling3D (keepdims too), Identity and
 * ActivityRegularization (identity; TF.js training does not add its activity loss).
 * Variables in Keras' order and shapes: Conv1DTranspose `kernel` [k, filters, in] + `bias`;
 * SeparableConv1D `depthwise_kernel` [k, in, m], `pointwise_kernel` [1, in*m, filters] + `bias`;
 * DepthwiseConv1D `depthwise_kernel` [k, in, m] + `bias` [in*m].
 */
module.exports = {
  provides: ['ActivityRegularization', 'Conv1DTranspose', 'Cropping1D', 'Cropping3D', 'DepthwiseConv1D', 'GlobalAveragePooling3D', 'GlobalMaxPooling3D', 'Identity', 'SeparableConv1D', 'SpatialDropout2D', 'SpatialDropout3D', 'UpSampling1D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding3D'],
  needs: [],
  define(tf, lib) {
    const first = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
    const shapeOf = (inputShape) => (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape);
    const channelsFirst = (format) => format === 'channelsFirst' || format === 'channels_first';
    const single = (v) => (Array.isArray(v) ? v[0] : v);  // Keras' (k,) tuple of a 1-D layer
    const pairs = (value, count) => {
      // Keras' int | (a, b) | ((a, b), ...) spellings of cropping / padding, one pair per axis
      if (typeof value === 'number') return new Array(count).fill([value, value]);
      if (count === 1 && typeof value[0] === 'number') return [[value[0], value[1]]];
      return value.map((v) => (typeof v === 'number' ? [v, v] : [v[0], v[1]]));
    };
    /** the spatial axes of a rank-`rank` tensor */
    const spatial = (rank, format) => (channelsFirst(format) ? [...Array(rank - 2).keys()].map((i) => i + 2)
      : [...Array(rank - 2).keys()].map((i) => i + 1));
    const convLength = (length, kernel, stride, padding, dilation) => {
      if (length == null) return null;
      const effective = (kernel - 1) * dilation + 1;
      return padding === 'same' ? Math.ceil(length / stride) : Math.ceil((length - effective + 1) / stride);
    };

    /** A base for our convolutions: activation, bias and the settings tfjs' Conv reads. */
    class Conv1DBase extends tf.layers.Layer {
      constructor(args, base) {
        super(lib.withName(args, base));
        this.kernelSize = single(args.kernelSize);
        this.strides = single(args.strides == null ? 1 : args.strides);
        this.padding = args.padding || 'valid';
        if (!['valid', 'same'].includes(this.padding)) throw new Error(`${base}: padding '${this.padding}' is not implemented`);
        this.dataFormat = args.dataFormat || 'channelsLast';
        this.dilationRate = single(args.dilationRate == null ? 1 : args.dilationRate);
        this.activation = lib.activation(args.activation, 'linear');
        this.useBias = args.useBias == null ? true : args.useBias;
        this.biasInitializer = lib.initializer(args.biasInitializer, 'zeros');
        this.biasRegularizer = lib.regularizer(args.biasRegularizer);
        this.biasConstraint = lib.constraint(args.biasConstraint);
        this.args = args;
      }

      /** [batch, length, channels] -> f([batch, 1, length, channels]) squeezed back */
      on2D(x, f) {
        const input = channelsFirst(this.dataFormat) ? tf.transpose(x, [0, 2, 1]) : x;
        let out = tf.squeeze(f(tf.expandDims(input, 1)), [1]);
        if (this.bias) out = tf.add(out, this.bias.read());
        out = this.activation.apply(out);
        return channelsFirst(this.dataFormat) ? tf.transpose(out, [0, 2, 1]) : out;
      }

      inputChannels(inputShape) {
        const shape = shapeOf(inputShape);
        return channelsFirst(this.dataFormat) ? shape[1] : shape[2];
      }

      withLength(inputShape, length, channels) {
        const shape = shapeOf(inputShape);
        return channelsFirst(this.dataFormat) ? [shape[0], channels, length] : [shape[0], length, channels];
      }

      baseConfig() {
        return Object.assign(super.getConfig(), {
          // numbers, as Keras accepts them (an array made here would be of this script's realm, which
          // tfjs' serialisation does not take for an array when the library runs in another one)
          kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat,
          dilationRate: this.dilationRate, activation: lib.serializeActivation(this.activation), useBias: this.useBias,
          biasInitializer: lib.serialize(this.biasInitializer), biasRegularizer: lib.serialize(this.biasRegularizer),
          biasConstraint: lib.serialize(this.biasConstraint),
        });
      }
    }

    class Conv1DTranspose extends Conv1DBase {
      constructor(args) {
        super(args, 'conv1d_transpose');
        this.filters = args.filters;
        if (this.dilationRate !== 1) throw new Error('Conv1DTranspose: dilation_rate > 1 is not implemented in TF.js');
        this.kernelInitializer = lib.initializer(args.kernelInitializer, 'glorotUniform');
        this.kernelRegularizer = lib.regularizer(args.kernelRegularizer);
        this.kernelConstraint = lib.constraint(args.kernelConstraint);
      }

      build(inputShape) {
        const channels = this.inputChannels(inputShape);
        this.kernel = this.addWeight('kernel', [this.kernelSize, this.filters, channels], 'float32',
          this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
        this.bias = this.useBias ? this.addWeight('bias', [this.filters], 'float32', this.biasInitializer,
          this.biasRegularizer, true, this.biasConstraint) : null;
        this.built = true;
      }

      outputLength(length) {
        // Keras' deconv_output_length without output_padding
        if (length == null) return null;
        return this.padding === 'same' ? length * this.strides : length * this.strides + Math.max(this.kernelSize - this.strides, 0);
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = first(inputs);
          const length = x.shape[channelsFirst(this.dataFormat) ? 2 : 1];
          return this.on2D(x, (image) => tf.conv2dTranspose(image, tf.expandDims(this.kernel.read(), 0),
            [image.shape[0], 1, this.outputLength(length), this.filters], [1, this.strides], this.padding));
        });
      }

      computeOutputShape(inputShape) {
        const shape = shapeOf(inputShape);
        return this.withLength(inputShape, this.outputLength(shape[channelsFirst(this.dataFormat) ? 2 : 1]), this.filters);
      }

      getConfig() {
        return Object.assign(this.baseConfig(), {
          filters: this.filters, kernelInitializer: lib.serialize(this.kernelInitializer),
          kernelRegularizer: lib.serialize(this.kernelRegularizer), kernelConstraint: lib.serialize(this.kernelConstraint),
        });
      }
    }

    /** Depthwise (and, with filters, separable) 1-D convolution. */
    class DepthwiseConv1D extends Conv1DBase {
      constructor(args, base) {
        super(args, base || 'depthwise_conv1d');
        this.depthMultiplier = args.depthMultiplier == null ? 1 : args.depthMultiplier;
        this.depthwiseInitializer = lib.initializer(args.depthwiseInitializer, 'glorotUniform');
        this.depthwiseRegularizer = lib.regularizer(args.depthwiseRegularizer);
        this.depthwiseConstraint = lib.constraint(args.depthwiseConstraint);
      }

      build(inputShape) {
        const channels = this.inputChannels(inputShape);
        this.depthwiseKernel = this.addWeight('depthwise_kernel', [this.kernelSize, channels, this.depthMultiplier], 'float32',
          this.depthwiseInitializer, this.depthwiseRegularizer, true, this.depthwiseConstraint);
        this.buildPointwise(channels);
        this.bias = this.useBias ? this.addWeight('bias', [this.outputChannels(channels)], 'float32', this.biasInitializer,
          this.biasRegularizer, true, this.biasConstraint) : null;
        this.built = true;
      }

      buildPointwise() {}

      outputChannels(channels) {
        return channels == null ? null : channels * this.depthMultiplier;
      }

      /** The depthwise kernel [1, k', in, m], its taps spread by the dilation rate (zeros in
       * between: the same sums; TensorFlow's CPU kernels refuse dilated depthwise convolutions). */
      spreadKernel() {
        const kernel = this.depthwiseKernel.read();
        const d = this.dilationRate;
        if (d === 1) return tf.expandDims(kernel, 0);
        const [k, channels, multiplier] = kernel.shape;
        const gaps = tf.zeros([k, d - 1, channels, multiplier]);
        const spread = tf.reshape(tf.concat([tf.expandDims(kernel, 1), gaps], 1), [k * d, channels, multiplier]);
        return tf.expandDims(tf.slice(spread, [0, 0, 0], [(k - 1) * d + 1, channels, multiplier]), 0);
      }

      convolve(image) {
        // (equal strides on both axes: TensorFlow's kernels want them; the height is 1)
        return tf.depthwiseConv2d(image, this.spreadKernel(), [this.strides, this.strides], this.padding, 'NHWC');
      }

      call(inputs) {
        return tf.tidy(() => this.on2D(first(inputs), (image) => this.convolve(image)));
      }

      computeOutputShape(inputShape) {
        const shape = shapeOf(inputShape);
        const length = convLength(shape[channelsFirst(this.dataFormat) ? 2 : 1], this.kernelSize, this.strides,
          this.padding, this.dilationRate);
        return this.withLength(inputShape, length, this.outputChannels(this.inputChannels(inputShape)));
      }

      getConfig() {
        return Object.assign(this.baseConfig(), {
          depthMultiplier: this.depthMultiplier, depthwiseInitializer: lib.serialize(this.depthwiseInitializer),
          depthwiseRegularizer: lib.serialize(this.depthwiseRegularizer),
          depthwiseConstraint: lib.serialize(this.depthwiseConstraint),
        });
      }
    }

    class SeparableConv1D extends DepthwiseConv1D {
      constructor(args) {
        super(args, 'separable_conv1d');
        this.filters = args.filters;
        this.pointwiseInitializer = lib.initializer(args.pointwiseInitializer, 'glorotUniform');
        this.pointwiseRegularizer = lib.regularizer(args.pointwiseRegularizer);
        this.pointwiseConstraint = lib.constraint(args.pointwiseConstraint);
      }

      buildPointwise(channels) {
        this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, channels * this.depthMultiplier, this.filters], 'float32',
          this.pointwiseInitializer, this.pointwiseRegularizer, true, this.pointwiseConstraint);
      }

      outputChannels() {
        return this.filters;
      }

      convolve(image) {
        return tf.separableConv2d(image, this.spreadKernel(), tf.expandDims(this.pointwiseKernel.read(), 0),
          [this.strides, this.strides], this.padding, [1, 1], 'NHWC');
      }

      getConfig() {
        return Object.assign(super.getConfig(), {
          filters: this.filters, pointwiseInitializer: lib.serialize(this.pointwiseInitializer),
          pointwiseRegularizer: lib.serialize(this.pointwiseRegularizer),
          pointwiseConstraint: lib.serialize(this.pointwiseConstraint),
        });
      }
    }

    /** Cropping / ZeroPadding over the spatial axes: one (before, after) pair per axis. */
    const spatialEdit = (base, dims, key, pad) => class extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, base));
        this.value = args[key] == null ? 1 : args[key];
        this.pairs = pairs(this.value, dims);
        this.dataFormat = args.dataFormat || 'channelsLast';
        this.supportsMasking = dims === 1 && !pad;
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = first(inputs);
          const axes = spatial(x.rank, this.dataFormat);
          if (pad) {
            const widths = x.shape.map(() => [0, 0]);
            axes.forEach((a, i) => { widths[a] = this.pairs[i]; });
            return lib.pad(x, widths);
          }
          const begin = x.shape.map(() => 0), size = x.shape.slice();
          axes.forEach((a, i) => { begin[a] = this.pairs[i][0]; size[a] = x.shape[a] - this.pairs[i][0] - this.pairs[i][1]; });
          return tf.slice(x, begin, size);
        });
      }

      computeOutputShape(inputShape) {
        const shape = shapeOf(inputShape).slice();
        spatial(shape.length, this.dataFormat).forEach((a, i) => {
          if (shape[a] != null) shape[a] += (pad ? 1 : -1) * (this.pairs[i][0] + this.pairs[i][1]);
        });
        return shape;
      }

      getConfig() {
        return Object.assign(super.getConfig(), {[key]: this.value}, dims > 1 ? {dataFormat: this.dataFormat} : {});
      }
    };

    /** UpSampling: each spatial position repeated size[i] times along axis i (nearest). */
    const upSampling = (base, dims) => class extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, base));
        this.sizeSetting = args.size == null ? 2 : args.size;  // as given (getConfig)
        this.size = typeof this.sizeSetting === 'number' ? new Array(dims).fill(this.sizeSetting) : this.sizeSetting;
        this.dataFormat = args.dataFormat || 'channelsLast';
      }

      call(inputs) {
        return tf.tidy(() => {
          let x = first(inputs);
          spatial(x.rank, this.dataFormat).forEach((axis, i) => {
            // by gather: differentiable at any rank (tfjs' tile gradient stops at rank 5)
            const positions = Array.from({length: x.shape[axis] * this.size[i]}, (_, k) => Math.floor(k / this.size[i]));
            x = tf.gather(x, tf.tensor1d(positions, 'int32'), axis);
          });
          return x;
        });
      }

      computeOutputShape(inputShape) {
        const shape = shapeOf(inputShape).slice();
        spatial(shape.length, this.dataFormat).forEach((a, i) => { if (shape[a] != null) shape[a] *= this.size[i]; });
        return shape;
      }

      getConfig() {
        return Object.assign(super.getConfig(), {size: this.sizeSetting},
          dims > 1 ? {dataFormat: this.dataFormat} : {});
      }
    };

    /** SpatialDropout: identity at inference; in training, whole feature maps dropped. */
    const spatialDropout = (base) => class extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, base));
        this.rate = args.rate;
        this.seed = args.seed == null ? null : args.seed;
        this.dataFormat = args.dataFormat || 'channelsLast';
        this.supportsMasking = true;
      }

      call(inputs, kwargs) {
        const x = first(inputs);
        if (!(kwargs && kwargs.training) || !(this.rate > 0)) return tf.clone(x);
        return tf.tidy(() => {
          const noise = x.shape.map((d, i) => (i === 0 || i === (channelsFirst(this.dataFormat) ? 1 : x.rank - 1) ? d : 1));
          return tf.dropout(x, this.rate, noise, this.seed == null ? undefined : this.seed);
        });
      }

      getConfig() {
        return Object.assign(super.getConfig(), {rate: this.rate, seed: this.seed, dataFormat: this.dataFormat});
      }
    };

    const globalPooling3D = (base, reduce) => class extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, base));
        this.dataFormat = args.dataFormat || 'channelsLast';
        this.keepdims = Boolean(args.keepdims);
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = first(inputs);
          return tf[reduce](x, spatial(x.rank, this.dataFormat), this.keepdims);
        });
      }

      computeOutputShape(inputShape) {
        const shape = shapeOf(inputShape);
        const axes = spatial(shape.length, this.dataFormat);
        return this.keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
      }

      getConfig() {
        return Object.assign(super.getConfig(), {dataFormat: this.dataFormat, keepdims: this.keepdims});
      }
    };

    /** Identity-valued layers (their config kept). */
    const identity = (base, keys) => class extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, base));
        this.settings = Object.fromEntries(keys.map((k) => [k, args[k] == null ? 0 : args[k]]));
        this.supportsMasking = true;
      }

      call(inputs) {
        return tf.clone(first(inputs));
      }

      getConfig() {
        return Object.assign(super.getConfig(), this.settings);
      }
    };

    return {
      Conv1DTranspose, DepthwiseConv1D, SeparableConv1D,
      Cropping1D: spatialEdit('cropping1d', 1, 'cropping', false),
      Cropping3D: spatialEdit('cropping3d', 3, 'cropping', false),
      ZeroPadding1D: spatialEdit('zero_padding1d', 1, 'padding', true),
      ZeroPadding3D: spatialEdit('zero_padding3d', 3, 'padding', true),
      UpSampling1D: upSampling('up_sampling1d', 1),
      UpSampling3D: upSampling('up_sampling3d', 3),
      SpatialDropout2D: spatialDropout('spatial_dropout2d'),
      SpatialDropout3D: spatialDropout('spatial_dropout3d'),
      GlobalAveragePooling3D: globalPooling3D('global_average_pooling3d', 'mean'),
      GlobalMaxPooling3D: globalPooling3D('global_max_pooling3d', 'max'),
      Identity: identity('identity', []),
      ActivityRegularization: identity('activity_regularization', ['l1', 'l2']),
    };
  },
};
