'use strict';
/**
 * Keras 3's GroupNormalization, UnitNormalization and RMSNormalization, computed as Keras 3
 * computes them (keras/src/layers/normalization/*.py, keras/src/ops/nn.py):
 *   GroupNormalization: the channel axis split into `groups`; per sample and group, moments over
 *     the group's channels and every other non-batch axis; x * inv + (beta - mean * inv) with
 *     inv = rsqrt(var + epsilon) * gamma. Variables `gamma`, `beta` (shape [channels]).
 *   UnitNormalization: x * min(rsqrt(sum(x^2, axis)), 1e12) (L2, Keras' epsilon 1e-12).
 *   RMSNormalization: x * rsqrt(mean(x^2, axis) + epsilon) * scale. Variable `scale` (the sizes
 *     of `axis`, broadcast as NumPy does).
 *   Normalization (the preprocessing layer, keras/src/layers/preprocessing/normalization.py):
 *     (x - mean) / max(sqrt(variance), 1e-7) along one `axis`. Variables `mean`, `variance`
 *     ([size of axis]) and `count` (int32 scalar, unused), not trainable, as in Keras.
 */
module.exports = {
  provides: ['GroupNormalization', 'Normalization', 'RMSNormalization', 'UnitNormalization'],
  needs: [],
  define(tf, lib) {
    const axes = (axis, rank) => (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const first = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
    const shapeOf = (inputShape) => (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape);

    class GroupNormalization extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'group_normalization'));
        this.groups = args.groups == null ? 32 : args.groups;
        this.axis = args.axis == null ? -1 : args.axis;
        this.epsilon = args.epsilon == null ? 1e-3 : args.epsilon;
        this.center = args.center == null ? true : args.center;
        this.scale = args.scale == null ? true : args.scale;
        this.betaInitializer = lib.initializer(args.betaInitializer, 'zeros');
        this.gammaInitializer = lib.initializer(args.gammaInitializer, 'ones');
        this.betaRegularizer = lib.regularizer(args.betaRegularizer);
        this.gammaRegularizer = lib.regularizer(args.gammaRegularizer);
        this.betaConstraint = lib.constraint(args.betaConstraint);
        this.gammaConstraint = lib.constraint(args.gammaConstraint);
        this.supportsMasking = true;
      }

      build(inputShape) {
        const shape = shapeOf(inputShape);
        const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
        const dim = shape[axis];
        if (dim == null || dim % this.groups !== 0) {
          throw new Error(`GroupNormalization: axis ${this.axis} has ${dim} channels, not a multiple of groups=${this.groups}`);
        }
        this.gamma = this.scale ? this.addWeight('gamma', [dim], 'float32', this.gammaInitializer, this.gammaRegularizer, true, this.gammaConstraint) : null;
        this.beta = this.center ? this.addWeight('beta', [dim], 'float32', this.betaInitializer, this.betaRegularizer, true, this.betaConstraint) : null;
        this.built = true;
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = tf.cast(first(inputs), 'float32');
          const axis = this.axis < 0 ? this.axis + x.rank : this.axis;
          const groupShape = x.shape.slice();
          groupShape.splice(axis, 1, this.groups, x.shape[axis] / this.groups);
          const grouped = tf.reshape(x, groupShape);
          // moments over every axis but the batch and the group axis
          const reduce = [...Array(grouped.rank).keys()].filter((a) => a !== 0 && a !== axis);
          const {mean, variance} = tf.moments(grouped, reduce, true);
          const broadcast = new Array(grouped.rank).fill(1);
          broadcast[axis] = this.groups;
          broadcast[axis + 1] = x.shape[axis] / this.groups;
          let inv = tf.rsqrt(tf.add(variance, this.epsilon));
          if (this.gamma) inv = tf.mul(inv, tf.reshape(this.gamma.read(), broadcast));
          let res = tf.mul(tf.neg(mean), inv);
          if (this.beta) res = tf.add(res, tf.reshape(this.beta.read(), broadcast));
          return tf.reshape(tf.add(tf.mul(grouped, inv), res), x.shape);
        });
      }

      getConfig() {
        return Object.assign(super.getConfig(), {
          groups: this.groups, axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale,
          betaInitializer: lib.serialize(this.betaInitializer), gammaInitializer: lib.serialize(this.gammaInitializer),
          betaRegularizer: lib.serialize(this.betaRegularizer), gammaRegularizer: lib.serialize(this.gammaRegularizer),
          betaConstraint: lib.serialize(this.betaConstraint), gammaConstraint: lib.serialize(this.gammaConstraint),
        });
      }
    }

    class UnitNormalization extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'unit_normalization'));
        this.axis = args.axis == null ? -1 : args.axis;
        this.supportsMasking = true;
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = tf.cast(first(inputs), 'float32');
          const inv = tf.minimum(tf.rsqrt(tf.sum(tf.square(x), axes(this.axis, x.rank), true)), 1e12);
          return tf.mul(x, inv);
        });
      }

      getConfig() {
        return Object.assign(super.getConfig(), {axis: this.axis});
      }
    }

    class RMSNormalization extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'rms_normalization'));
        this.axis = args.axis == null ? -1 : args.axis;
        this.epsilon = args.epsilon == null ? 1e-6 : args.epsilon;
        this.supportsMasking = true;
      }

      build(inputShape) {
        const shape = shapeOf(inputShape);
        const dims = axes(this.axis, shape.length).map((a) => shape[a]);
        this.scaleWeight = this.addWeight('scale', dims, 'float32', lib.initializer(null, 'ones'), null, true, null);
        this.built = true;
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = tf.cast(first(inputs), 'float32');
          const rrms = tf.rsqrt(tf.add(tf.mean(tf.square(x), axes(this.axis, x.rank), true), this.epsilon));
          return tf.mul(tf.mul(x, rrms), this.scaleWeight.read());
        });
      }

      getConfig() {
        return Object.assign(super.getConfig(), {axis: this.axis, epsilon: this.epsilon});
      }
    }

    // Keras' backend.epsilon(), the floor of the standard deviation Normalization divides by
    const KERAS_EPSILON = 1e-7;

    /** Keras' Normalization: no trainable weights, and the same maths in training and inference
     * (tfjs-layers' BatchNormalization, its former stand-in, uses batch statistics in training). */
    class Normalization extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'normalization'));
        this.axis = args.axis == null ? -1 : args.axis;
        if (!Number.isInteger(this.axis)) throw new Error(`Normalization: one integer axis, got ${JSON.stringify(args.axis)}`);
        this.supportsMasking = true;
      }

      build(inputShape) {
        const shape = shapeOf(inputShape);
        const size = shape[this.axis < 0 ? this.axis + shape.length : this.axis];
        if (size == null) throw new Error(`Normalization: axis ${this.axis} of the input has no known size`);
        this.mean = this.addWeight('mean', [size], 'float32', lib.initializer(null, 'zeros'), null, false, null);
        this.variance = this.addWeight('variance', [size], 'float32', lib.initializer(null, 'ones'), null, false, null);
        // Keras' count of adapted samples: unused here, kept so that the model converts back to Keras
        this.count = this.addWeight('count', [], 'int32', lib.initializer(null, 'zeros'), null, false, null);
        this.built = true;
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = tf.cast(first(inputs), 'float32');
          const broadcast = new Array(x.rank).fill(1);
          broadcast[this.axis < 0 ? this.axis + x.rank : this.axis] = this.mean.shape[0];
          const deviation = tf.maximum(tf.sqrt(tf.reshape(this.variance.read(), broadcast)), KERAS_EPSILON);
          return tf.div(tf.sub(x, tf.reshape(this.mean.read(), broadcast)), deviation);
        });
      }

      getConfig() {
        return Object.assign(super.getConfig(), {axis: this.axis});
      }
    }

    return {GroupNormalization, Normalization, UnitNormalization, RMSNormalization};
  },
};
