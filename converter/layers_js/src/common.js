'use strict';
/**
 * Helpers every family may use (each family's `lib` holds them): reading and writing the
 * activation / initializer / regularizer / constraint settings of a config the way tfjs-layers
 * does, default layer names, and the tensors of a call that Keras passed in several arguments.
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

    let counter = 0;
    return {
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
