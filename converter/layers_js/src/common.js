'use strict';
/**
 * Helpers every family may use (each family's `lib` holds them): reading and writing the
 * activation / initializer / regularizer / constraint settings of a config the way tfjs-layers
 * does, default layer names, the tensors of a call that Keras passed in several arguments,
 * einsum (with '...', as transposes + batched matMuls: every backend, with gradients), and the
 * cast, transpose and pad every backend computes right.
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
     * An einsum equation for operands of the given ranks, with '...' expanded into letters the
     * equation does not use (numpy's right-aligned broadcasting of the elided axes):
     * {operands: ['abc', 'cd'], output: 'abd'}. Without '->' (numpy's implicit mode) the output
     * is the elided axes, then the letters used once, in alphabetical order. No letter twice
     * within one operand.
     */
    function parseEinsum(equation, ranks) {
      const compact = equation.replace(/\s+/g, '');
      const arrow = compact.indexOf('->');
      const operands = (arrow < 0 ? compact : compact.slice(0, arrow)).split(',');
      let output = arrow < 0 ? null : compact.slice(arrow + 2);
      if (operands.length !== ranks.length) {
        throw new Error(`einsum '${equation}': ${operands.length} operands in the equation, ${ranks.length} given`);
      }
      if (output === null) {
        const letters = operands.join('').replace(/\.\.\./g, '').split('');
        const once = letters.filter((c) => letters.indexOf(c) === letters.lastIndexOf(c)).sort();
        output = (operands.some((spec) => spec.includes('...')) ? '...' : '') + once.join('');
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
     * einsum of any number of operands, contracted left to right in pairs, each pair as
     * transposes, reshapes and one batched matMul: ops every backend has, with gradients
     * (tfjs-core's own einsum has no gradient, and no kernel on WASM).
     */
    function einsum(equation, ...xs) {
      const {operands, output} = parseEinsum(equation, xs.map((x) => x.rank));
      return tf.tidy(() => {
        let x = xs[0], spec = operands[0];
        for (let k = 1; k < xs.length; k++) {
          // the letters still needed: by the output or by an operand not yet contracted
          const later = output + operands.slice(k + 1).join('');
          const both = spec + operands[k].split('').filter((c) => !spec.includes(c)).join('');
          const kept = both.split('').filter((c) => later.includes(c)).join('');
          x = einsumPair(x, spec, xs[k], operands[k], kept);
          spec = kept;
        }
        const summed = sumOut(x, spec, output);
        return transpose(summed.x, output.split('').map((c) => summed.spec.indexOf(c)));
      });
    }

    /** einsum(`${sa},${sb}->${output}`, a, b) as transposes, reshapes and one batched matMul. */
    function einsumPair(a0, sa0, b0, sb0, output) {
      let {x: a, spec: sa} = sumOut(a0, sa0, sb0 + output);
      let {x: b, spec: sb} = sumOut(b0, sb0, sa + output);
      const sizes = letterSizes([sa, sb], [a.shape, b.shape]);
      const batch = output.split('').filter((c) => sa.includes(c) && sb.includes(c));
      const contract = sa.split('').filter((c) => sb.includes(c) && !output.includes(c));
      const freeA = sa.split('').filter((c) => !sb.includes(c));
      const freeB = sb.split('').filter((c) => !sa.includes(c));
      const arrange = (x, spec, order) => {
        x = transpose(x, order.map((c) => spec.indexOf(c)));
        const full = order.map((c) => sizes[c]);
        return x.shape.every((d, i) => d === full[i]) ? x : tf.broadcastTo(x, full);  // size-1 batch axes
      };
      const size = (letters) => product(letters.map((c) => sizes[c]));
      a = tf.reshape(arrange(a, sa, batch.concat(freeA, contract)), [size(batch), size(freeA), size(contract)]);
      b = tf.reshape(arrange(b, sb, batch.concat(contract, freeB)), [size(batch), size(contract), size(freeB)]);
      const result = batch.concat(freeA, freeB);
      const y = tf.reshape(tf.matMul(a, b), result.map((c) => sizes[c]));
      return transpose(y, output.split('').map((c) => result.indexOf(c)));
    }

    /**
     * tf.cast(x, dtype), with a real float32 buffer when casting to float32: TF.js 4.22's WebGPU
     * Cast from bool or int32 to float32 only relabels the tensor's i32 buffer, and a program
     * that reads its input raw (Transpose, MatMul) then either is an invalid shader, which voids
     * the whole command buffer it was submitted in (every op of that predict computes nothing),
     * or reads the integers' bits as floats. Elementwise programs convert what they read, so
     * adding 0 writes a float32 buffer.
     */
    function cast(x, dtype) {
      if (x.dtype === dtype) return x;
      return dtype === 'float32' ? tf.add(tf.cast(x, 'float32'), 0) : tf.cast(x, dtype);
    }

    /**
     * tf.transpose(x, perm), but an int32 or bool tensor of rank >= 3 as a gather of its
     * permuted positions: TF.js 4.22's WebGPU Transpose program for those ranks writes what it
     * reads from an i32 buffer as f32, an invalid shader (whose command buffer, with every op
     * submitted in it, is then void). Exact for every dtype; integer tensors need no gradient.
     */
    function transpose(x, perm) {
      const order = perm == null ? [...Array(x.rank).keys()].reverse() : perm;
      if (order.every((p, i) => p === i)) return x;
      if (x.dtype === 'float32' || x.rank < 3) return tf.transpose(x, order);
      const shape = order.map((p) => x.shape[p]);
      const strides = x.shape.map((_, i) => product(x.shape.slice(i + 1)));
      const size = product(shape);
      const positions = new Int32Array(size);  // position in x of each element of the output
      const index = new Array(shape.length).fill(0);
      for (let k = 0; k < size; k++) {
        let at = 0;
        for (let d = 0; d < shape.length; d++) at += index[d] * strides[order[d]];
        positions[k] = at;
        for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
      }
      return tf.reshape(tf.gather(tf.reshape(x, [-1]), tf.tensor1d(positions, 'int32')), shape);
    }

    /**
     * tf.pad(x, widths, value) (constant padding), but at rank >= 5 as concatenations with
     * blocks of `value`: TF.js 4.22's Pad at rank 5 is a fragment shader WebGL fails to compile,
     * and zeros on WebGPU; concat runs on every backend, with gradients.
     */
    function pad(x, widths, value = 0) {
      if (x.rank < 5) return tf.pad(x, widths, value);
      let out = x;
      widths.forEach(([before, after], axis) => {
        const block = (n) => tf.fill(out.shape.map((d, i) => (i === axis ? n : d)), value, out.dtype);
        const parts = [before > 0 ? block(before) : null, out, after > 0 ? block(after) : null].filter((t) => t != null);
        if (parts.length > 1) out = tf.concat(parts, axis);
      });
      return out;
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
      cast,
      transpose,
      pad,
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
