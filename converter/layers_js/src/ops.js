'use strict';
// The keras.ops operation layers: what Keras 3 writes into a functional config when a model
// calls a `keras.ops` function (or an operator: `x + 1`, `x[:, 0]`) on symbolic tensors.
//
// One layer class per Keras operation class, all made by `opClass` from the OPS table below.
// The converter (converter/layers_config/operations.py, driven by ops_table.py, whose keys
// must equal this table's: tools/testing checks it) writes each call as a layer whose config
// holds the operation's own settings (camelCased by tfjs on load) and `arguments`: the call's
// positional arguments, with each tensor replaced by {tensor: i} (its index among the layer's
// inputs) and each Python float by {float: v} (JSON cannot tell 1.0 from 1, Keras' dtype
// rules can).
//
// Every implementation follows Keras 3 (NumPy) semantics: negative axes, keepdims, integer
// inputs of mean/divide giving floats, numpy-style 1-D matmul, floor modulo.

/**
 * OPS[class](args, options) -> Tensor | Tensor[] for the given tf namespace and common.js' `lib`:
 * args are the call's resolved arguments (tf functions are looked up when a layer runs).
 */
function makeOps(tf, lib) {
  const op = (fn) => (typeof fn === 'string' ? (...a) => tf[fn](...a) : fn);
  const isTensor = (v) => v instanceof tf.Tensor;
  const isFloatDtype = (d) => d === 'float32';
  // A constant operand of a binary op takes the tensor operand's dtype unless it is a float
  // meeting an integer tensor (Keras' weak typing of Python scalars).
  const operands = (a, b) => {
    const dtypeOf = (v) => (isTensor(v) ? v.dtype : (v && v.float !== undefined) ? 'float32' : null);
    let da = dtypeOf(a), db = dtypeOf(b);
    const target = (isTensor(a) && isTensor(b)) ? tf.upcastType(da, db)
      : isTensor(a) ? (db === 'float32' && !isFloatDtype(da) ? 'float32' : da)
      : (da === 'float32' && !isFloatDtype(db) ? 'float32' : db);
    const as = (v) => {
      if (isTensor(v)) return lib.cast(v, target);
      const value = (v && v.float !== undefined) ? v.float : v;
      return tf.scalar(typeof value === 'boolean' ? Number(value) : value, target);
    };
    return [as(a), as(b)];
  };
  const plain = (v) => ((v && v.float !== undefined) ? v.float : v);
  const floatOf = (x) => lib.cast(x, 'float32');
  const boolOf = (x) => (isTensor(x) ? (x.dtype === 'bool' ? x : tf.notEqual(x, 0)) : tf.scalar(Boolean(plain(x)), 'bool'));
  const axisList = (axis, rank) => {
    if (axis === null || axis === undefined) return [...Array(rank).keys()];
    return (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
  };
  /**
   * fn(x, axes, keepdims) for a tf reduction, with the axes of an int32 / bool x moved last
   * first (lib.transpose): TF.js' reduction kernels transpose them there themselves, which the
   * WebGPU backend cannot do for those dtypes at rank >= 3.
   */
  const reduceLast = (fn, x, axes, keepdims) => {
    if (x.dtype === 'float32' || axes.every((a, i) => a === x.rank - axes.length + i)) return fn(x, axes, keepdims);
    const sorted = axes.slice().sort((p, q) => p - q);
    const rest = [...Array(x.rank).keys()].filter((i) => !sorted.includes(i));
    const out = fn(lib.transpose(x, rest.concat(sorted)), sorted.map((_, i) => rest.length + i), false);
    return keepdims ? tf.reshape(out, x.shape.map((d, i) => (sorted.includes(i) ? 1 : d))) : out;
  };
  // prepare: the input as the reduction takes it (floatOf, boolOf), or none
  const reduce = (name, prepare) => ([x], c) => {
    const input = prepare ? prepare(x) : x;
    return reduceLast(op(name), input, axisList(c.axis, x.rank), Boolean(c.keepdims));
  };
  const unary = (fn) => ([x]) => op(fn)(x);
  const unaryFloat = (fn) => ([x]) => op(fn)(floatOf(x));
  const binary = (fn) => ([a, b]) => op(fn)(...operands(a, b));
  const compare = binary;
  const logical = (fn) => ([a, b]) => op(fn)(boolOf(a), boolOf(b));
  const moveAxis = (x, from, to) => {
    const rank = x.rank;
    const src = axisList(from, rank), dst = axisList(to, rank);
    const rest = [...Array(rank).keys()].filter((i) => !src.includes(i));
    const perm = new Array(rank).fill(-1);
    src.forEach((s, i) => { perm[dst[i]] = s; });
    let k = 0;
    for (let i = 0; i < rank; i++) if (perm[i] < 0) perm[i] = rest[k++];
    return lib.transpose(x, perm);
  };
  const softmax = (x, axis) => {
    const axes = axisList(axis === undefined ? -1 : axis, x.rank);
    return tf.exp(tf.sub(x, tf.logSumExp(x, axes, true)));
  };
  const argReduce = (name) => ([x], c) => {
    let input = x, axis = c.axis;
    if (axis === null || axis === undefined) { input = tf.reshape(x, [-1]); axis = 0; }
    axis = axis < 0 ? axis + input.rank : axis;
    const out = reduceLast((t, axes) => op(name)(t, axes[0]), input, [axis], false);
    if (!c.keepdims) return out;
    if (c.axis === null || c.axis === undefined) return tf.reshape(out, new Array(x.rank).fill(1));
    return tf.expandDims(out, axis);
  };
  /**
   * sin (quarter 0) or cos (quarter 1) in float32 arithmetic: the GPU backends' built-in sin/cos
   * are off by up to 2e-4 on SwiftShader (the 2^-11 Vulkan allows), past float32 parity.
   * x = k pi/2 + r with pi/2 in three float32 parts (Cody-Waite: k times the first two is
   * exact for |x| < 1.2e4), |r| <= pi/4, then Taylor polynomials (< 1e-7 there), picked by
   * k mod 4 with arithmetic only (no comparison on the gradient's path: tfjs has none for them;
   * round and floor give 0).
   */
  const HALF_PI_PARTS = [1.5703125, 4.837512969970703125e-4, 7.54978995489188216e-8];
  const SIN_TERMS = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880];
  const COS_TERMS = [1, -1 / 2, 1 / 24, -1 / 720, 1 / 40320, -1 / 3628800];
  const sinOrCos = (x, quarter) => {
    const k = tf.round(tf.mul(x, 2 / Math.PI));
    const r = HALF_PI_PARTS.reduce((rest, part) => tf.sub(rest, tf.mul(k, part)), x);
    const r2 = tf.mul(r, r);
    const poly = (terms) => terms.slice(0, -1).reduceRight((acc, c) => tf.add(tf.mul(acc, r2), c), tf.fill(r2.shape, terms[terms.length - 1]));
    const sin = tf.mul(r, poly(SIN_TERMS)), cos = poly(COS_TERMS);
    const q = tf.add(k, quarter);
    const m = tf.sub(q, tf.mul(4, tf.floor(tf.div(q, 4))));  // k + quarter mod 4, in 0..3
    const half = tf.floor(tf.div(m, 2));  // 0 for quarters 0, 1; 1 for 2, 3 (negated)
    const odd = tf.sub(m, tf.mul(2, half));  // quarters 1, 3 take cos
    const pick = tf.add(tf.mul(odd, cos), tf.mul(tf.sub(1, odd), sin));
    return tf.mul(tf.sub(1, tf.mul(2, half)), pick);
  };
  // (no comparison on the path: tfjs has no gradient for Greater)
  const elu = (x, alpha) => tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));
  const hardSigmoid = (x) => tf.div(tf.relu6(tf.add(x, 3)), 6);
  const matmul = (a, b) => {
    // numpy: a 1-D operand gains an axis for the product, which is then dropped
    const a2 = a.rank === 1 ? tf.expandDims(a, 0) : a;
    const b2 = b.rank === 1 ? tf.expandDims(b, 1) : b;
    let out = tf.matMul(a2, b2);
    if (a.rank === 1) out = tf.squeeze(out, [out.rank - 2]);
    if (b.rank === 1) out = tf.squeeze(out, [out.rank - 1]);
    return out;
  };
  const split = (x, sections, axis) => {
    const ax = axis < 0 ? axis + x.rank : axis;
    if (typeof sections === 'number') return tf.split(x, sections, ax);
    const points = [0, ...sections, x.shape[ax]];
    return points.slice(1).map((end, i) => tf.slice(x, x.shape.map((_, d) => (d === ax ? points[i] : 0)),
      x.shape.map((size, d) => (d === ax ? end - points[i] : size))));
  };
  /** Python's slice(start, stop, step).indices(n) as the list of positions it selects. */
  const slicePositions = (n, [start, stop, step]) => {
    const st = step === null ? 1 : step;
    const clamp = (v, low, high) => Math.min(Math.max(v, low), high);
    const norm = (v, fallback, low, high) => (v === null ? fallback : clamp(v < 0 ? v + n : v, low, high));
    const begin = st > 0 ? norm(start, 0, 0, n) : norm(start, n - 1, -1, n - 1);
    const end = st > 0 ? norm(stop, n, 0, n) : norm(stop, -1, -1, n - 1);
    const out = [];
    for (let i = begin; st > 0 ? i < end : i > end; i += st) out.push(i);
    return out;
  };
  const getItem = (x, key) => {
    // numpy basic indexing (ints, slices, None, Ellipsis), axis by axis with slice / gather
    // (tfjs has no gradient for StridedSlice)
    const entries = Array.isArray(key) ? key : [key];
    const used = entries.filter((e) => e !== null && e !== '...').length;
    const expanded = [];
    entries.forEach((e) => {
      if (e === '...') for (let i = 0; i < x.rank - used; i++) expanded.push({slice: [null, null, null]});
      else expanded.push(e);
    });
    let out = x, axis = 0;
    const squeeze = [];
    for (const entry of expanded) {
      if (entry === null) { out = tf.expandDims(out, axis); axis += 1; continue; }
      const n = out.shape[axis];
      if (typeof entry === 'number') {
        out = tf.slice(out, out.shape.map((_, d) => (d === axis ? (entry < 0 ? entry + n : entry) : 0)),
          out.shape.map((size, d) => (d === axis ? 1 : size)));
        squeeze.push(axis);
      } else {
        const positions = slicePositions(n, entry.slice);
        const step = entry.slice[2] === null ? 1 : entry.slice[2];
        if (step === 1) {
          out = tf.slice(out, out.shape.map((_, d) => (d === axis ? (positions[0] || 0) : 0)),
            out.shape.map((size, d) => (d === axis ? positions.length : size)));
        } else {
          out = tf.gather(out, tf.tensor1d(positions, 'int32'), axis);
        }
      }
      axis += 1;
    }
    return squeeze.length ? tf.squeeze(out, squeeze) : out;
  };
  const take = (x, indices, axis) => {
    let input = x, ax = axis;
    if (ax === null || ax === undefined) { input = tf.reshape(x, [-1]); ax = 0; }
    ax = ax < 0 ? ax + input.rank : ax;
    let idx = isTensor(indices) ? tf.cast(indices, 'int32') : tf.tensor(indices, undefined, 'int32');
    idx = tf.where(tf.less(idx, 0), tf.add(idx, tf.scalar(input.shape[ax], 'int32')), idx);  // numpy wraps negatives
    return tf.gather(input, idx, ax);
  };
  const repeat = (x, repeats, axis) => {
    let input = x, ax = axis;
    if (ax === null || ax === undefined) { input = tf.reshape(x, [-1]); ax = 0; }
    ax = ax < 0 ? ax + input.rank : ax;
    // each position `repeats` times, by gather (differentiable at any rank, unlike tile)
    const positions = Array.from({length: input.shape[ax] * repeats}, (_, i) => Math.floor(i / repeats));
    return tf.gather(input, tf.tensor1d(positions, 'int32'), ax);
  };
  const tile = (x, repeats) => {
    const reps = Array.isArray(repeats) ? repeats : [repeats];
    let input = x;
    while (input.rank < reps.length) input = tf.expandDims(input, 0);
    const full = new Array(input.rank - reps.length).fill(1).concat(reps);
    return tf.tile(input, full);
  };
  const castTo = (dtype) => {
    // TF.js has float32, int32 and bool: wider or narrower types compute as their family
    if (dtype === 'bool') return 'bool';
    return /int/.test(dtype) ? 'int32' : 'float32';
  };
  const cast = (x, dtype) => (castTo(dtype) === 'bool' ? tf.notEqual(x, 0) : lib.cast(x, castTo(dtype)));
  /** numpy's einsum: common.js' (every backend, with gradients), the operands in their common
   * dtype (tf.matMul takes one). */
  const einsum = (subscripts, operandList) => {
    const dtype = operandList.reduce((d, x) => tf.upcastType(d, x.dtype), operandList[0].dtype);
    return lib.einsum(subscripts, ...operandList.map((x) => lib.cast(x, dtype)));
  };
  const constTensor = (v, like) => (isTensor(v) ? v : tf.scalar(plain(v), like ? like.dtype : 'float32'));

  const table = {
    // elementwise, one operand
    Absolute: unary('abs'), Negative: unary('neg'), Square: unary('square'),
    Sqrt: unaryFloat('sqrt'), Rsqrt: unaryFloat('rsqrt'), Exp: unaryFloat('exp'), Exp2: unaryFloat((x) => tf.pow(2, x)),
    Expm1: unaryFloat('expm1'), Log: unaryFloat('log'), Log1p: unaryFloat('log1p'),
    Log2: unaryFloat((x) => tf.div(tf.log(x), Math.LN2)), Log10: unaryFloat((x) => tf.div(tf.log(x), Math.LN10)),
    Sin: unaryFloat((x) => sinOrCos(x, 0)), Cos: unaryFloat((x) => sinOrCos(x, 1)), Tan: unaryFloat('tan'), Sinh: unaryFloat('sinh'),
    Cosh: unaryFloat('cosh'), Tanh: unaryFloat('tanh'), Arcsin: unaryFloat('asin'), Arccos: unaryFloat('acos'),
    Arctan: unaryFloat('atan'), Arcsinh: unaryFloat('asinh'), Arccosh: unaryFloat('acosh'), Arctanh: unaryFloat('atanh'),
    Floor: unary('floor'), Ceil: unary('ceil'), Sign: unary('sign'), Reciprocal: unaryFloat('reciprocal'),
    Trunc: unary((x) => (x.dtype === 'float32' ? tf.mul(tf.sign(x), tf.floor(tf.abs(x))) : x)),
    Round: ([x], c) => {
      const scale = Math.pow(10, c.decimals || 0);
      return scale === 1 ? tf.round(x) : tf.div(tf.round(tf.mul(x, scale)), scale);
    },
    Erf: unaryFloat('erf'), Isnan: unary('isNaN'), Isinf: unary('isInf'), Isfinite: unary('isFinite'),
    LogicalNot: ([x]) => tf.logicalNot(boolOf(x)),
    Clip: ([x], c) => tf.clipByValue(x, c.xMin === null ? -Infinity : c.xMin, c.xMax === null ? Infinity : c.xMax),
    Copy: unary((x) => tf.clone(x)),
    Cast: ([x], c) => cast(x, c.dtype),
    // elementwise, two operands (numpy broadcasting)
    Add: binary('add'), Subtract: binary('sub'), Multiply: binary('mul'),
    Divide: ([a, b]) => tf.div(...operands(a, b).map(floatOf)),
    TrueDivide: ([a, b]) => tf.div(...operands(a, b).map(floatOf)),
    DivideNoNan: ([a, b]) => {
      // tfjs' divNoNan compares with a tensor derived from a (no gradient for Equal); zero where b is
      const [x, y] = operands(a, b).map(floatOf);
      const zero = withoutGradient(tf, ([t]) => tf.equal(t, 0))([y]);
      return tf.where(zero, tf.zerosLike(x), tf.div(x, tf.where(zero, tf.onesLike(y), y)));
    },
    // (tf.floorDiv of floats gives int32 on the CPU, WebGL and WebGPU backends; Keras keeps floats)
    FloorDivide: ([a, b]) => {
      const [x, y] = operands(a, b);
      return x.dtype === 'float32' ? tf.floor(tf.div(x, y)) : tf.floorDiv(x, y);
    },
    Mod: binary('mod'), Power: binary('pow'),
    Maximum: binary('maximum'), Minimum: binary('minimum'), Arctan2: ([a, b]) => tf.atan2(...operands(a, b).map(floatOf)),
    Equal: compare('equal'), NotEqual: compare('notEqual'), Greater: compare('greater'),
    GreaterEqual: compare('greaterEqual'), Less: compare('less'), LessEqual: compare('lessEqual'),
    LogicalAnd: logical('logicalAnd'), LogicalOr: logical('logicalOr'), LogicalXor: logical('logicalXor'),
    Where: ([condition, x1, x2]) => {
      const [a, b] = operands(x1, x2);
      return tf.where(boolOf(condition), a, b);
    },
    // reductions
    Sum: reduce('sum'), Prod: reduce('prod'), Mean: reduce('mean', floatOf),
    Max: reduce('max'), Min: reduce('min'), Amax: reduce('max'), Amin: reduce('min'),
    All: reduce('all', boolOf), Any: reduce('any', boolOf),
    Var: reduce((x, axes, keep) => tf.moments(x, axes, keep).variance, floatOf),
    Std: reduce((x, axes, keep) => tf.sqrt(tf.moments(x, axes, keep).variance), floatOf),
    Logsumexp: reduce('logSumExp', floatOf),
    Argmax: argReduce('argMax'), Argmin: argReduce('argMin'),
    Moments: ([x], c) => {
      const m = tf.moments(floatOf(x), axisList(c.axes, x.rank), Boolean(c.keepdims));
      return [m.mean, m.variance];
    },
    Cumsum: ([x], c) => {
      if (c.axis === null || c.axis === undefined) return tf.cumsum(tf.reshape(x, [-1]), 0);
      // along the last axis (tfjs' Cumsum gradient has the wrong shape for another axis)
      const axis = c.axis < 0 ? c.axis + x.rank : c.axis;
      return moveAxis(tf.cumsum(moveAxis(x, axis, x.rank - 1), x.rank - 1), x.rank - 1, axis);
    },
    Cumprod: ([x], c) => {
      // a chain of products (tfjs has no gradient for Cumprod)
      const input = c.axis === null || c.axis === undefined ? tf.reshape(x, [-1]) : x;
      const axis = c.axis === null || c.axis === undefined ? 0 : (c.axis < 0 ? c.axis + x.rank : c.axis);
      const steps = tf.unstack(input, axis);
      const out = [steps[0]];
      for (let i = 1; i < steps.length; i++) out.push(tf.mul(out[i - 1], steps[i]));
      return tf.stack(out, axis);
    },
    // shapes
    Reshape: ([x], c) => tf.reshape(x, c.newshape),
    Transpose: ([x], c) => lib.transpose(x, c.axes === null || c.axes === undefined ? undefined : axisList(c.axes, x.rank)),
    ExpandDims: ([x], c) => {
      const axes = Array.isArray(c.axis) ? c.axis : [c.axis];
      const rank = x.rank + axes.length;
      return axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q).reduce((t, a) => tf.expandDims(t, a), x);
    },
    Squeeze: ([x], c) => tf.squeeze(x, c.axis === null || c.axis === undefined ? undefined : axisList(c.axis, x.rank)),
    Ravel: unary((x) => tf.reshape(x, [-1])),
    Concatenate: ([xs], c) => (c.axis === null ? tf.concat(xs.map((x) => tf.reshape(x, [-1])), 0)
      : tf.concat(xs, c.axis < 0 ? c.axis + xs[0].rank : c.axis)),
    Stack: ([xs], c) => tf.stack(xs, c.axis < 0 ? c.axis + xs[0].rank + 1 : c.axis),
    Unstack: ([x], c) => tf.unstack(x, c.axis < 0 ? c.axis + x.rank : c.axis),
    Split: ([x], c) => split(x, c.indicesOrSections, c.axis),
    GetItem: ([x, key]) => getItem(x, key),
    Take: ([x, indices], c) => take(x, indices, c.axis),
    Tile: ([x], c) => tile(x, c.repeats),
    Repeat: ([x], c) => repeat(x, c.repeats, c.axis),
    Flip: ([x], c) => tf.reverse(x, axisList(c.axis, x.rank)),
    Moveaxis: ([x], c) => moveAxis(x, c.source, c.destination),
    Swapaxes: ([x], c) => {
      const perm = [...Array(x.rank).keys()];
      const a = c.axis1 < 0 ? c.axis1 + x.rank : c.axis1, b = c.axis2 < 0 ? c.axis2 + x.rank : c.axis2;
      [perm[a], perm[b]] = [perm[b], perm[a]];
      return lib.transpose(x, perm);
    },
    Pad: ([x, constantValues], c) => (c.mode === 'constant'
      ? lib.pad(x, c.padWidth, constantValues === null || constantValues === undefined ? 0 : plain(constantValues))
      : tf.mirrorPad(x, c.padWidth, c.mode)),
    OneHot: ([x], c) => {
      const out = tf.oneHot(tf.cast(x, 'int32'), c.numClasses);
      const axis = c.axis === undefined || c.axis === -1 ? out.rank - 1 : (c.axis < 0 ? c.axis + out.rank : c.axis);
      return cast(moveAxis(out, out.rank - 1, axis), c.dtype || 'float32');
    },
    // products
    Matmul: ([a, b]) => matmul(...operands(a, b)),
    Dot: ([a, b]) => {
      const [x, y] = operands(a, b);
      if (x.rank === 0 || y.rank === 0) return tf.mul(x, y);
      if (y.rank <= 2) return matmul(x, y);
      throw new Error('keras.ops.dot of an operand of rank > 2 as second argument is not supported in TF.js');
    },
    Einsum: (operandList, c) => einsum(c.subscripts, operandList.map((o) => constTensor(o))),
    // activations (keras.ops.nn)
    Relu: unary('relu'), Relu6: unary('relu6'), Sigmoid: unaryFloat('sigmoid'), Softplus: unaryFloat('softplus'),
    Softsign: unaryFloat((x) => tf.div(x, tf.add(1, tf.abs(x)))), Silu: unaryFloat((x) => tf.mul(x, tf.sigmoid(x))),
    LogSigmoid: unaryFloat('logSigmoid'),
    LeakyRelu: ([x], c) => tf.leakyRelu(x, c.negativeSlope === undefined ? 0.2 : c.negativeSlope),
    HardSigmoid: unaryFloat(hardSigmoid), HardSilu: unaryFloat((x) => tf.mul(x, hardSigmoid(x))),
    Elu: ([x], c) => elu(floatOf(x), c.alpha === undefined ? 1.0 : c.alpha), Selu: unaryFloat('selu'),
    Celu: ([x], c) => {
      const alpha = c.alpha === undefined ? 1.0 : c.alpha;
      return tf.add(tf.relu(x), tf.minimum(0, tf.mul(alpha, tf.sub(tf.exp(tf.div(x, alpha)), 1))));
    },
    Gelu: ([x], c) => (c.approximate === false
      ? tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))
      : tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))),
    Glu: ([x], c) => {
      const [a, b] = tf.split(x, 2, c.axis < 0 ? c.axis + x.rank : c.axis);
      return tf.mul(a, tf.sigmoid(b));
    },
    HardTanh: unary((x) => tf.clipByValue(x, -1, 1)),
    TanhShrink: unaryFloat((x) => tf.sub(x, tf.tanh(x))),
    Squareplus: ([x], c) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), c.b === undefined ? 4 : c.b))), 2),
    Softmax: ([x], c) => softmax(floatOf(x), c.axis),
    LogSoftmax: ([x], c) => {
      const axes = axisList(c.axis === undefined ? -1 : c.axis, x.rank);
      return tf.sub(x, tf.logSumExp(x, axes, true));
    },
  };
  for (const name of NO_GRADIENT) table[name] = withoutGradient(tf, table[name]);
  const castAny = table.Cast;
  const castNoGradient = withoutGradient(tf, castAny);
  // a cast to an integer or bool has no gradient in Keras (and a cast to bool is a comparison here)
  table.Cast = (args, c) => (castTo(c.dtype) === 'float32' ? castAny : castNoGradient)(args, c);
  return table;
}

// Operations whose results carry no gradient in Keras (comparisons, logic, tests, arg
// reductions): tfjs has no gradient for most of their kernels and fails any backward pass that
// crosses them, so they run inside tf.customGrad with zero gradients for their tensor inputs.
const NO_GRADIENT = ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr',
  'LogicalXor', 'LogicalNot', 'Isnan', 'Isinf', 'Isfinite', 'All', 'Any', 'Argmax', 'Argmin'];

/** `run` (args, options) -> Tensor, with zero gradients for every tensor among `args`. */
function withoutGradient(tf, run) {
  return (args, options) => {
    const tensors = [];
    const collect = (v) => (Array.isArray(v) ? v.forEach(collect) : (v instanceof tf.Tensor && tensors.push(v)));
    collect(args);
    if (!tensors.length) return run(args, options);
    const rebuild = (v, given) => (Array.isArray(v) ? v.map((item) => rebuild(item, given))
      : (v instanceof tf.Tensor ? given[tensors.indexOf(v)] : v));
    const f = tf.customGrad((...inputs) => {
      const given = inputs.slice(0, tensors.length);  // (customGrad passes `save` after them)
      // (zeros from shapes only: the inputs may be freed by the backward pass)
      const shapes = given.map((t) => [t.shape, t.dtype]);
      return {value: run(rebuild(args, given), options), gradFunc: () => shapes.map(([shape, dtype]) => tf.zeros(shape, dtype))};
    });
    return f(...tensors);
  };
}

// Sizes put in place of unknown (null) dimensions to find an operation's output shape by running
// it: a dimension that differs between the two runs is unknown in the output too. Both are
// multiples of 2, 3 and 4 so that splits and reshapes of an unknown axis still divide.
const PROBE_SIZES = [12, 24];

module.exports = {
  // `ops.<Keras operation class>` (Keras' operations Add, Concatenate, ... share names with its
  // layers; the prefix keeps them apart): the keys of ops_table.OPS, sorted, on one line (the
  // converter reads this list; converter/tests/test_ops_table.py checks it against both tables).
  provides: ['ops.Absolute', 'ops.Add', 'ops.All', 'ops.Amax', 'ops.Amin', 'ops.Any', 'ops.Arccos', 'ops.Arccosh', 'ops.Arcsin', 'ops.Arcsinh', 'ops.Arctan', 'ops.Arctan2', 'ops.Arctanh', 'ops.Argmax', 'ops.Argmin', 'ops.Cast', 'ops.Ceil', 'ops.Celu', 'ops.Clip', 'ops.Concatenate', 'ops.Copy', 'ops.Cos', 'ops.Cosh', 'ops.Cumprod', 'ops.Cumsum', 'ops.Divide', 'ops.DivideNoNan', 'ops.Dot', 'ops.Einsum', 'ops.Elu', 'ops.Equal', 'ops.Erf', 'ops.Exp', 'ops.Exp2', 'ops.ExpandDims', 'ops.Expm1', 'ops.Flip', 'ops.Floor', 'ops.FloorDivide', 'ops.Gelu', 'ops.GetItem', 'ops.Glu', 'ops.Greater', 'ops.GreaterEqual', 'ops.HardSigmoid', 'ops.HardSilu', 'ops.HardTanh', 'ops.Isfinite', 'ops.Isinf', 'ops.Isnan', 'ops.LeakyRelu', 'ops.Less', 'ops.LessEqual', 'ops.Log', 'ops.Log10', 'ops.Log1p', 'ops.Log2', 'ops.LogSigmoid', 'ops.LogSoftmax', 'ops.LogicalAnd', 'ops.LogicalNot', 'ops.LogicalOr', 'ops.LogicalXor', 'ops.Logsumexp', 'ops.Matmul', 'ops.Max', 'ops.Maximum', 'ops.Mean', 'ops.Min', 'ops.Minimum', 'ops.Mod', 'ops.Moments', 'ops.Moveaxis', 'ops.Multiply', 'ops.Negative', 'ops.NotEqual', 'ops.OneHot', 'ops.Pad', 'ops.Power', 'ops.Prod', 'ops.Ravel', 'ops.Reciprocal', 'ops.Relu', 'ops.Relu6', 'ops.Repeat', 'ops.Reshape', 'ops.Round', 'ops.Rsqrt', 'ops.Selu', 'ops.Sigmoid', 'ops.Sign', 'ops.Silu', 'ops.Sin', 'ops.Sinh', 'ops.Softmax', 'ops.Softplus', 'ops.Softsign', 'ops.Split', 'ops.Sqrt', 'ops.Square', 'ops.Squareplus', 'ops.Squeeze', 'ops.Stack', 'ops.Std', 'ops.Subtract', 'ops.Sum', 'ops.Swapaxes', 'ops.Take', 'ops.Tan', 'ops.Tanh', 'ops.TanhShrink', 'ops.Tile', 'ops.Transpose', 'ops.TrueDivide', 'ops.Trunc', 'ops.Unstack', 'ops.Var', 'ops.Where'],
  needs: [],
  define(tf, lib) {
    const ops = makeOps(tf, lib);
    const resolve = (template, inputs) => {
      if (Array.isArray(template)) return template.map((t) => resolve(t, inputs));
      if (template && typeof template === 'object') {
        if (template.tensor !== undefined) return inputs[template.tensor];
        if (template.array !== undefined) return tf.tensor(template.array, undefined, template.dtype === 'bool' ? 'bool' : /int/.test(template.dtype) ? 'int32' : 'float32');
      }
      return template;
    };
    const classes = {};
    for (const name of Object.keys(ops)) {
      const run = ops[name];
      /** keras.ops.<name> as a layer: no weights; masks stop here, as Keras' operations drop them. */
      class Operation extends tf.layers.Layer {
        constructor(args) {
          super(lib.withName(args, `ops_${name.toLowerCase()}`));
          // the call's arguments with tensors as {tensor: i}; by default the one input
          this.callArguments = args.arguments || [{tensor: 0}];
          this.options = args.options || {};
          this.inputDtypes = null;
          this.outputDtypes = null;
        }

        apply(inputs, kwargs) {
          // symbolic inputs' dtypes, for the probe runs of computeOutputShape
          const list = Array.isArray(inputs) ? inputs : [inputs];
          const symbolic = list.every((t) => t instanceof tf.SymbolicTensor);
          if (symbolic) this.inputDtypes = list.map((t) => t.dtype);
          const outputs = super.apply(inputs, kwargs);
          if (symbolic && this.outputDtypes) {
            // tfjs gives symbolic outputs the first input's dtype, and predict casts every
            // tensor it feeds on to that dtype: Cast, comparisons, argmax... need their own.
            (Array.isArray(outputs) ? outputs : [outputs]).forEach((t, i) => { t.dtype = this.outputDtypes[i]; });
          }
          return outputs;
        }

        call(inputs) {
          const list = Array.isArray(inputs) ? inputs : [inputs];
          return tf.tidy(() => run(resolve(this.callArguments, list), this.options));
        }

        computeMask() {
          // (supportsMasking stays false: tfjs then neither checks nor sets the outputs' masks)
          return null;
        }

        computeOutputShape(inputShape) {
          const shapes = Array.isArray(inputShape[0]) ? inputShape : [inputShape];
          let several = false;  // an operation with a list of outputs (split, moments, ...)
          const probe = (size) => tf.tidy(() => {
            const inputs = shapes.map((shape, i) => tf.zeros(shape.map((d) => (d == null ? size : d)),
              (this.inputDtypes && this.inputDtypes[i]) || 'float32'));
            const out = run(resolve(this.callArguments, inputs), this.options);
            several = Array.isArray(out);
            this.outputDtypes = (several ? out : [out]).map((t) => t.dtype);
            return (several ? out : [out]).map((t) => t.shape);
          });
          const [first, second] = PROBE_SIZES.map(probe);
          const merged = first.map((shape, i) => shape.map((d, k) => (d === second[i][k] ? d : null)));
          return several ? merged : merged[0];
        }

        getConfig() {
          return Object.assign({}, super.getConfig(), {arguments: this.callArguments, options: this.options});
        }
      }
      classes[`ops.${name}`] = Operation;
    }
    return classes;
  },
};
