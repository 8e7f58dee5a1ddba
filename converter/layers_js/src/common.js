'use strict';
/**
 * Helpers every family may use (each family's `lib` holds them): reading and writing the
 * activation / initializer / regularizer / constraint settings of a config the way tfjs-layers
 * does, default layer names, the tensors of a call that Keras passed in several arguments, and
 * einsum (with '...', as transposes + one batched matMul: every backend, with gradients).
 * Written against tfjs-core / tfjs-layers 4.22's public API only.
 */
module.exports = {
  provides: [],
  needs: [],
  define(tf) {
    const classNameMap = () => tf.serialization.SerializationMap.getMap().classNameMap;

    /** An object registered with tf.serialization: a {className, config} dict, or the
     * camelCase name tfjs-layers accepts as a shorthand ('glorotUniform' -> 'GlorotUniform'). */
    function deserialize(identifier, what, capitalise) {
      if (identifier == null) return null;
      if (typeof identifier === 'object' && typeof identifier.apply === 'function') return identifier;
      const spec = typeof identifier === 'string' ?
        {className: capitalise ? identifier[0].toUpperCase() + identifier.slice(1) : identifier, config: {}} :
        identifier;
      const entry = classNameMap()[spec.className];
      if (!entry) throw new Error(`unknown ${what}: ${JSON.stringify(identifier)}`);
      const [cls, fromConfig] = entry;
      return fromConfig ? fromConfig(cls, spec.config || {}) : new cls(spec.config || {});
    }

    /** A serialized {className, config} (what getConfig writes), or null. */
    function serialize(object) {
      if (object == null) return null;
      return {className: object.getClassName(), config: object.getConfig()};
    }

    /**
     * An einsum equation with one or two operands of the given ranks, with '...' expanded into
     * letters the equation does not use (numpy's right-aligned broadcasting of the elided axes):
     * {operands: ['abc', 'cd'], output: 'abd'}. Only explicit equations ('->'); no letter twice
     * within one operand.
     */
    function parseEinsum(equation, ranks) {
      const compact = equation.replace(/\s+/g, '');
      const arrow = compact.indexOf('->');
      if (arrow < 0) throw new Error(`einsum '${equation}': only explicit equations (with '->') are supported`);
      const operands = compact.slice(0, arrow).split(',');
      let output = compact.slice(arrow + 2);
      if (operands.length !== ranks.length) {
        throw new Error(`einsum '${equation}': ${operands.length} operands in the equation, ${ranks.length} given`);
      }
      const unused = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('').filter((c) => !compact.includes(c));
      const elided = operands.map((spec, i) => (spec.includes('...') ? ranks[i] - (spec.length - 3) : 0));
      const most = Math.max(0, ...elided);
      const letters = unused.slice(0, most).join('');
      const expanded = operands.map((spec, i) => spec.replace('...', letters.slice(most - elided[i])));
      output = output.replace('...', letters);
      expanded.forEach((spec, i) => {
        if (spec.length !== ranks[i]) throw new Error(`einsum '${equation}': operand ${i} has rank ${ranks[i]}, the equation ${spec.length}`);
        if (new Set(spec).size !== spec.length) throw new Error(`einsum '${equation}': a letter repeated within an operand is not supported`);
      });
      for (const c of output) {
        if (!expanded.some((spec) => spec.includes(c))) throw new Error(`einsum '${equation}': output letter '${c}' is in no operand`);
      }
      return {operands: expanded, output};
    }

    /** The size of each letter (null when unknown), from the operands' shapes (1 broadcasts). */
    function letterSizes(operands, shapes) {
      const sizes = {};
      operands.forEach((spec, i) => spec.split('').forEach((c, axis) => {
        const d = shapes[i][axis];
        if (!(c in sizes)) sizes[c] = d;
        else if (d != null && (sizes[c] == null || sizes[c] === 1)) sizes[c] = d;
      }));
      return sizes;
    }

    /** The output shape of einsum(equation, ...operands of `shapes`) (null: unknown size). */
    function einsumShape(equation, ...shapes) {
      const {operands, output} = parseEinsum(equation, shapes.map((s) => s.length));
      const sizes = letterSizes(operands, shapes);
      return output.split('').map((c) => sizes[c]);
    }

    const product = (sizes) => sizes.reduce((a, b) => a * b, 1);

    /** `x` (letters `spec`) with the axes whose letters are not in `keep` summed out. */
    function sumOut(x, spec, keep) {
      const axes = spec.split('').map((c, i) => (keep.includes(c) ? -1 : i)).filter((i) => i >= 0);
      return {x: axes.length ? tf.sum(x, axes) : x, spec: spec.split('').filter((c) => keep.includes(c)).join('')};
    }

    /**
     * einsum with one or two operands, as transposes, reshapes and one batched matMul: ops
     * every backend has, with gradients (tfjs-core's own einsum has neither on every backend).
     */
    function einsum(equation, ...xs) {
      const {operands, output} = parseEinsum(equation, xs.map((x) => x.rank));
      return tf.tidy(() => {
        if (xs.length === 1) {
          const {x, spec} = sumOut(xs[0], operands[0], output);
          return tf.transpose(x, output.split('').map((c) => spec.indexOf(c)));
        }
        let {x: a, spec: sa} = sumOut(xs[0], operands[0], operands[1] + output);
        let {x: b, spec: sb} = sumOut(xs[1], operands[1], sa + output);
        const sizes = letterSizes([sa, sb], [a.shape, b.shape]);
        const batch = output.split('').filter((c) => sa.includes(c) && sb.includes(c));
        const contract = sa.split('').filter((c) => sb.includes(c) && !output.includes(c));
        const freeA = sa.split('').filter((c) => !sb.includes(c));
        const freeB = sb.split('').filter((c) => !sa.includes(c));
        const arrange = (x, spec, order) => {
          x = tf.transpose(x, order.map((c) => spec.indexOf(c)));
          const full = order.map((c) => sizes[c]);
          return x.shape.every((d, i) => d === full[i]) ? x : tf.broadcastTo(x, full);  // size-1 batch axes
        };
        a = arrange(a, sa, batch.concat(freeA, contract))
            .reshape([product(batch.map((c) => sizes[c])), product(freeA.map((c) => sizes[c])), product(contract.map((c) => sizes[c]))]);
        b = arrange(b, sb, batch.concat(contract, freeB))
            .reshape([product(batch.map((c) => sizes[c])), product(contract.map((c) => sizes[c])), product(freeB.map((c) => sizes[c]))]);
        const result = batch.concat(freeA, freeB);
        const y = tf.matMul(a, b).reshape(result.map((c) => sizes[c]));
        return tf.transpose(y, output.split('').map((c) => result.indexOf(c)));
      });
    }

    function keepCallArgs(layer, kwargs) {
      const kept = Object.fromEntries(Object.entries(kwargs || {}).filter(([k]) => k !== 'mask' && k !== 'training'));
      if (Object.keys(kept).length) layer.keptCallArgs = kept;
    }

    let counter = 0;
    return {
      parseEinsum,
      einsumShape,
      einsum,
      /** An activation object (`.apply(x)`) from a name ('tanh', 'hardSigmoid', 'linear', ...). */
      activation: (identifier, fallback) => deserialize(identifier == null ? fallback : identifier, 'activation', false),
      /** What getConfig records for an activation: its name. */
      serializeActivation: (activation) => activation.getClassName(),
      initializer: (identifier, fallback) => deserialize(identifier == null ? fallback : identifier, 'initializer', true),
      regularizer: (identifier) => deserialize(identifier, 'regularizer', true),
      constraint: (identifier) => deserialize(identifier, 'constraint', true),
      serialize,

      /** `args` with a name: tfjs derives a missing one from the className, whose '>' is not
       * valid in a weight name, so a layer built in code without a name gets `base_N`. */
      withName(args, base) {
        if (args && args.name) return args;
        counter += 1;
        return Object.assign({}, args, {name: `${base}_${counter}`});
      },

      /**
       * Call arguments tfjs-layers drops: it applies a layer's model.json call kwargs
       * (use_causal_mask, return_attention_scores, tensor_args) when it builds the model, but
       * calls the layer with {training, mask} only when it predicts. `keepCallArgs` (from the
       * layer's apply) remembers the other kwargs of its (symbolic) call; `callArgs` gives them
       * back, merged with a call's own. The converter refuses a layer of ours called twice with
       * different kwargs, which this could not tell apart.
       */
      keepCallArgs,
      callArgs(layer, kwargs) {
        return Object.assign({}, layer.keptCallArgs, kwargs);
      },
      /** `Base` (a tf.layers.Layer class) whose apply keeps its call's kwargs (keepCallArgs). */
      keepingCallArgs(Base) {
        return class extends Base {
          apply(inputs, kwargs) {
            keepCallArgs(this, kwargs);
            return super.apply(inputs, kwargs);
          }
        };
      },

      /**
       * Reads a config's `<part>Initializer` / `Regularizer` / `Constraint` onto `layer` for each
       * part of `defaults` ({kernel: 'glorotUniform', bias: 'zeros', ...}: the initializers when
       * the config has none), as tfjs-layers' own classes hold them.
       */
      readWeightSettings(layer, args, defaults) {
        for (const [part, initializer] of Object.entries(defaults)) {
          layer[`${part}Initializer`] = deserialize(args[`${part}Initializer`] == null ? initializer : args[`${part}Initializer`], 'initializer', true);
          layer[`${part}Regularizer`] = deserialize(args[`${part}Regularizer`], 'regularizer', true);
          layer[`${part}Constraint`] = deserialize(args[`${part}Constraint`], 'constraint', true);
        }
      },
      /** What getConfig records for those settings. */
      weightSettings(layer, parts) {
        const out = {};
        for (const part of parts) {
          for (const what of ['Initializer', 'Regularizer', 'Constraint']) out[`${part}${what}`] = serialize(layer[`${part}${what}`]);
        }
        return out;
      },

      /**
       * The tensors of one call, by argument name. The converter writes a Keras call whose
       * tensors sit in several arguments (e.g. MultiHeadAttention's query, value, attention_mask)
       * as one TF.js call on the list of those tensors, with kwargs.tensorArgs = {name: index
       * into that list, or [indices] for an argument holding a list}. A call without tensorArgs
       * passes its tensors in the order `names` gives.
       */
      callTensors(inputs, kwargs, names) {
        const list = Array.isArray(inputs) ? inputs : [inputs];
        const where = (kwargs && kwargs.tensorArgs) || Object.fromEntries(names.slice(0, list.length).map((n, i) => [n, i]));
        const out = {};
        for (const [name, at] of Object.entries(where)) {
          out[name] = Array.isArray(at) ? at.map((i) => list[i]) : list[at];
        }
        return out;
      },
    };
  },
};
