'use strict';
/**
 * Builds `register(tf)` from the class families (the other modules of src/).
 *
 * A family module exports {provides, needs, define}: `provides` the class names it defines,
 * `needs` the families whose classes or helpers it uses, `define(tf, lib)` returning
 * {ClassName: class, ..., helperName: function, ...}, where `lib` merges what its `needs` (and
 * common.js) defined. Only the names in `provides` are registered as layer classes.
 *
 * Every class is registered as `tfjs-export-layers>Name`: its static className is that name
 * (tfjs-layers looks layers up by className in tf.serialization.SerializationMap), and
 * tf.serialization.registerClass(cls, PACKAGE, Name) files it under the same name in tfjs-core's
 * registry. A model loaded without this library then fails with
 * "Unknown layer: tfjs-export-layers>GRU", which names the library.
 */
const PACKAGE = 'tfjs-export-layers';
const COMMON = 'common';

/** The families ordered so that each comes after those it needs (a stable topological order). */
function ordered(families) {
  const byName = new Map(families.map((f) => [f.name, f]));
  const done = [];
  const visit = (family, path) => {
    if (done.includes(family)) return;
    if (path.includes(family.name)) throw new Error(`${PACKAGE}: families need each other: ${path.join(' -> ')}`);
    for (const need of family.needs) {
      if (!byName.has(need)) throw new Error(`${PACKAGE}: family '${family.name}' needs '${need}', which is not loaded`);
      visit(byName.get(need), path.concat(family.name));
    }
    done.push(family);
  };
  // common.js's helpers are in every family's lib: it comes first.
  families.slice().sort((a, b) => (b.name === COMMON) - (a.name === COMMON)).forEach((f) => visit(f, []));
  return done;
}

/**
 * `families`: [{name, provides, needs, define}]. Returns {register, classNames}: register(tf)
 * defines every class for that `tf` (once per tf namespace) and registers it; it returns
 * {Name: class}.
 */
function makeRegister(families) {
  const defined = new WeakMap();  // tf namespace -> its classes: register(tf) twice is harmless
  const classNames = [].concat(...families.map((f) => f.provides)).sort();
  function register(tf) {
    if (!tf || !tf.layers || !tf.serialization) {
      throw new Error(`${PACKAGE}: register(tf) needs the TensorFlow.js namespace (@tensorflow/tfjs or ` +
        'tfjs-node), with tfjs-layers');
    }
    if (defined.has(tf)) return defined.get(tf);
    const libs = new Map();
    const classes = {};
    for (const family of ordered(families)) {
      const lib = Object.assign({PACKAGE}, ...[COMMON].concat(family.needs)
          .filter((n) => libs.has(n) && n !== family.name).map((n) => libs.get(n)));
      const made = family.define(tf, lib);
      libs.set(family.name, made);
      for (const name of family.provides) {
        const cls = made[name];
        if (typeof cls !== 'function') throw new Error(`${PACKAGE}: family '${family.name}' did not define ${name}`);
        cls.className = `${PACKAGE}>${name}`;
        tf.serialization.registerClass(cls, PACKAGE, name);
        classes[name] = cls;
      }
    }
    defined.set(tf, classes);
    return classes;
  }
  return {register, classNames, PACKAGE};
}

module.exports = {PACKAGE, makeRegister};
