'use strict';
/**
 * Keras 3's EinsumDense, MultiHeadAttention, Attention and AdditiveAttention
 * (keras/src/layers/core/einsum_dense.py, keras/src/layers/attention/*.py), computed as Keras
 * computes them: the same equations, masks (the inputs' Keras masks, attention_mask,
 * use_causal_mask, sliding_window), softmax over the same axes with masked scores at -1e9,
 * dropout on the attention weights in training only. Weights in Keras' order and names:
 * EinsumDense `kernel`, `bias`; MultiHeadAttention `query/kernel`, `query/bias`, `key/...`,
 * (`gate/...`), `value/...`, `attention_output/...`; Attention `scale`, `concat_score_weight`;
 * AdditiveAttention `scale`.
 *
 * Calls with tensors in several arguments: the converter passes them as one list with
 * kwargs.tensorArgs naming each (lib.callTensors); masks of arguments other than the first come
 * as tensors too (masks.js' KerasMask), since tfjs-layers passes a layer its first input's mask only.
 */
module.exports = {
  provides: ['AdditiveAttention', 'Attention', 'EinsumDense', 'MultiHeadAttention'],
  needs: [],
  define(tf, lib) {
    const LARGE_NEGATIVE = -1e9;  // Keras' _large_negative_number for float32

    function shapeAt(shape, index) {
      return shape[index < 0 ? shape.length + index : index];
    }

    /** Keras' EinsumDense._analyze_einsum_string: the kernel, bias and full output shapes. */
    function analyzeEinsum(equation, biasAxes, inputShape, outputShape) {
      const dotted = equation.replace(/\.\.\./g, '0');
      const forms = [[/^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/, false], [/^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$/, true],
        [/^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]{2,})0$/, false]];
      for (const [pattern, leftElided] of forms) {
        const match = pattern.exec(dotted);
        if (match) return analyzeSplit(match.slice(1), biasAxes, inputShape, outputShape, leftElided, equation);
      }
      throw new Error(`EinsumDense: invalid einsum equation '${equation}' (Keras accepts 'ab,bc->ac', '...b,bc->...c', 'ab...,bc->ac...')`);
    }

    function analyzeSplit([inputSpec, weightSpec, outputSpec], biasAxes, inputShape, partial, leftElided, equation) {
      const elided = inputShape.length - inputSpec.length;
      const output = typeof partial === 'number' ? [partial] : [...partial];
      output.unshift(inputShape[0]);
      if (elided > 0 && leftElided) {
        for (let i = 1; i < elided; i++) output.splice(1, 0, inputShape[i]);  // as Keras inserts them
      } else if (elided > 0) {
        for (let i = inputShape.length - elided; i < inputShape.length; i++) output.push(inputShape[i]);
      }
      const inputAxis = {};
      const outputAxis = {};
      inputSpec.split('').forEach((c, i) => { inputAxis[c] = leftElided ? i + elided - inputShape.length : i; });
      outputSpec.split('').forEach((c, i) => { outputAxis[c] = leftElided ? i + elided : i; });
      for (const c of outputSpec) {
        if (!inputSpec.includes(c) && !weightSpec.includes(c)) {
          throw new Error(`EinsumDense '${equation}': output dimension '${c}' is in neither the input nor the weight`);
        }
      }
      const kernelShape = weightSpec.split('').map((c) => {
        if (c in inputAxis) return shapeAt(inputShape, inputAxis[c]);
        if (c in outputAxis) return output[outputAxis[c]];
        throw new Error(`EinsumDense '${equation}': weight dimension '${c}' is in neither the input nor the output`);
      });
      let biasShape = null;
      if (biasAxes != null) {
        for (const c of biasAxes) {
          if (!outputSpec.includes(c)) throw new Error(`EinsumDense '${equation}': bias axis '${c}' is not an output axis`);
        }
        const first = Math.min(...biasAxes.split('').map((c) => outputSpec.indexOf(c)));
        biasShape = outputSpec.slice(first).split('').map((c) => (biasAxes.includes(c) ? output[outputAxis[c]] : 1));
        if (!leftElided) for (let i = 0; i < elided; i++) biasShape.push(1);
      }
      return {kernelShape, biasShape, outputShape: output};
    }

    /** Kernel + bias of one einsum projection, created on `layer` as `<prefix>kernel`, `<prefix>bias`. */
    function projection(layer, prefix, equation, partialShape, biasAxes, inputShape, activation) {
      const {kernelShape, biasShape, outputShape} = analyzeEinsum(equation, biasAxes, inputShape, partialShape);
      for (const [what, d] of kernelShape.map((d) => ['kernel', d]).concat((biasShape || []).map((d) => ['bias', d]))) {
        if (!(Number.isInteger(d) && d > 0)) throw new Error(`${layer.name}: ${prefix}${what} needs a known input shape, got [${inputShape}]`);
      }
      const kernel = layer.addWeight(`${prefix}kernel`, kernelShape, 'float32', layer.kernelInitializer,
          layer.kernelRegularizer, true, layer.kernelConstraint);
      const bias = biasShape ? layer.addWeight(`${prefix}bias`, biasShape, 'float32', layer.biasInitializer,
          layer.biasRegularizer, true, layer.biasConstraint) : null;
      return {
        outputShape,
        apply(x) {
          let y = lib.einsum(equation, x, kernel.read());
          if (bias) y = tf.add(y, bias.read());
          return activation ? activation.apply(y) : y;
        },
      };
    }

    const PARTS = {kernel: 'glorotUniform', bias: 'zeros'};  // Keras' initializer defaults here

    const single = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
    /** A layer's input shape(s) as a list of shapes (tfjs gives one shape for one input). */
    const shapeList = (shapes) => (Array.isArray(shapes[0]) ? shapes : [shapes]);

    /** softmax over the last `count` axes (Keras: exp(x - logsumexp(x)) for several). */
    function softmaxLast(x, count) {
      if (count === 1) return tf.softmax(x, -1);
      const axes = Array.from({length: count}, (_, i) => x.rank - count + i);
      return tf.exp(tf.sub(x, tf.logSumExp(x, axes, true)));
    }

    class EinsumDense extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'einsum_dense'));
        this.equation = args.equation;
        this.partialOutputShape = args.outputShape;
        this.biasAxes = args.biasAxes == null ? null : args.biasAxes;
        this.activation = lib.activation(args.activation, 'linear');
        lib.readWeightSettings(this, args, PARTS);
        this.supportsMasking = true;  // Keras drops the mask here (computeMask)
      }

      build(inputShape) {
        this.projection = projection(this, '', this.equation, this.partialOutputShape, this.biasAxes,
            shapeList(inputShape)[0], this.activation);
        this.built = true;
      }

      computeOutputShape(inputShape) {
        return analyzeEinsum(this.equation, this.biasAxes, shapeList(inputShape)[0], this.partialOutputShape).outputShape;
      }

      computeMask() {
        return null;
      }

      call(inputs) {
        return tf.tidy(() => this.projection.apply(single(inputs)));
      }

      getConfig() {
        return Object.assign({}, super.getConfig(), {
          equation: this.equation, outputShape: this.partialOutputShape, biasAxes: this.biasAxes,
          activation: lib.serializeActivation(this.activation),
        }, lib.weightSettings(this, Object.keys(PARTS)));
      }
    }

    const letter = (i) => 'abcdefghijklmnopqrstuvwxyz'[i];

    /** Keras' _build_proj_equation. */
    function projEquation(freeDims, boundDims, outputDims) {
      let input = '';
      let kernel = '';
      let output = '';
      let bias = '';
      for (let i = 0; i < freeDims; i++) { input += letter(i); output += letter(i); }
      for (let i = 0; i < boundDims; i++) { input += letter(freeDims + i); kernel += letter(freeDims + i); }
      for (let i = 0; i < outputDims; i++) {
        const c = letter(freeDims + boundDims + i);
        kernel += c; output += c; bias += c;
      }
      return {equation: `${input},${kernel}->${output}`, biasAxes: bias, rank: output.length};
    }

    /** Keras' _get_output_shape. */
    const partialShape = (rank, last) => Array(rank - last.length).fill(null).concat(last);

    /** Keras' _build_attention_equation: (dot product, combine, scores rank). */
    function attentionEquations(rank, attnAxes) {
      let target = '';
      for (let i = 0; i < rank; i++) target += letter(i);
      const batchDims = [...Array(rank).keys()].filter((i) => !attnAxes.includes(i) && i !== rank - 1);
      let offset = rank;
      let source = '';
      for (let i = 0; i < rank; i++) source += batchDims.includes(i) || i === rank - 1 ? target[i] : letter(offset++);
      const product = batchDims.map((i) => target[i]).concat(attnAxes.map((i) => target[i]), attnAxes.map((i) => source[i])).join('');
      return {dot: `${source},${target}->${product}`, combine: `${product},${source}->${target}`, scoresRank: product.length};
    }

    /** `mask` (bool) with size-1 axes inserted at `axis` (negative, numpy's sense) until it has `rank`. */
    function expandTo(mask, rank, axis) {
      while (mask.rank < rank) mask = tf.expandDims(mask, mask.rank + axis + 1);
      return mask;
    }

    /** Keras' causal mask [1, T, S]: row >= column. */
    function causalMask(t, s) {
      const rows = tf.range(0, t, 1, 'int32').reshape([1, t, 1]);
      const cols = tf.range(0, s, 1, 'int32').reshape([1, 1, s]);
      return tf.greaterEqual(rows, cols);
    }

    const and = (a, b) => (a == null ? b : b == null ? a : tf.logicalAnd(a, b));

    /** A layer of ours taking a call's tensors as one list (tensorArgs) and its flags. */
    class MultiArgumentLayer extends lib.keepingCallArgs(tf.layers.Layer) {
      get callNames() {
        return lib.callArgs(this).tensorArgs || null;
      }

      get returnScores() {
        return Boolean(lib.callArgs(this).returnAttentionScores);
      }
    }

    class MultiHeadAttention extends MultiArgumentLayer {
      constructor(args) {
        super(lib.withName(args, 'multi_head_attention'));
        this.numHeads = args.numHeads;
        this.keyDim = args.keyDim;
        this.valueDim = args.valueDim == null ? args.keyDim : args.valueDim;
        this.dropout = args.dropout || 0;
        this.useBias = args.useBias == null ? true : args.useBias;
        this.useGate = Boolean(args.useGate);
        this.outputShapeArg = args.outputShape == null ? null : args.outputShape;
        this.attentionAxes = args.attentionAxes == null ? null :
          (typeof args.attentionAxes === 'number' ? [args.attentionAxes] : args.attentionAxes);
        this.slidingWindow = args.slidingWindow == null ? null : args.slidingWindow;
        lib.readWeightSettings(this, args, PARTS);
        this.supportsMasking = true;
      }

      /** {query, value, key, ...} shapes or tensors from a list in call order. */
      named(list) {
        const where = this.callNames || {query: 0, value: 1, key: 2};
        const out = {};
        for (const [name, at] of Object.entries(where)) out[name] = Array.isArray(at) ? at.map((i) => list[i]) : list[at];
        return out;
      }

      build(inputShape) {
        const shapes = this.named(shapeList(inputShape));
        const query = shapes.query;
        const value = shapes.value;
        const key = shapes.key || value;
        const project = (prefix, shape, dim, activation) => {
          const p = projEquation(shape.length - 1, 1, 2);
          return projection(this, prefix, p.equation, partialShape(p.rank - 1, [this.numHeads, dim]),
              this.useBias ? p.biasAxes : null, shape, activation);
        };
        this.queryDense = project('query/', query, this.keyDim);
        this.keyDense = project('key/', key, this.keyDim);
        if (this.useGate) this.gateDense = project('gate/', query, this.valueDim, lib.activation('sigmoid'));
        this.valueDense = project('value/', value, this.valueDim);
        const rank = this.valueDense.outputShape.length;
        this.axes = this.attentionAxes == null ? [...Array(rank - 3).keys()].map((i) => i + 1) :
          this.attentionAxes.map((a) => (a >= 0 ? a : rank - 1 + a));
        this.equations = attentionEquations(rank, this.axes);
        const last = this.outputShapeArg == null ? [query[query.length - 1]] :
          (typeof this.outputShapeArg === 'number' ? [this.outputShapeArg] : this.outputShapeArg);
        const p = projEquation(query.length - 1, 2, last.length);
        const combined = this.queryDense.outputShape.slice(0, -1).concat([this.valueDim]);
        this.outputDense = projection(this, 'attention_output/', p.equation, partialShape(p.rank - 1, last),
            this.useBias ? p.biasAxes : null, combined);
        this.built = true;
      }

      computeOutputShape(inputShape) {
        const shapes = this.named(shapeList(inputShape));
        const last = this.outputShapeArg == null ? [shapes.query[shapes.query.length - 1]] :
          (typeof this.outputShapeArg === 'number' ? [this.outputShapeArg] : this.outputShapeArg);
        const output = shapes.query.slice(0, -1).concat(last);
        if (!this.returnScores) return output;
        const value = shapes.value;
        const rank = shapes.query.length + 1;
        const axes = this.attentionAxes == null ? [...Array(rank - 3).keys()].map((i) => i + 1) :
          this.attentionAxes.map((a) => (a >= 0 ? a : rank - 1 + a));
        const batch = shapes.query.slice(0, -1).filter((_, i) => !axes.includes(i));
        return [output, batch.concat([this.numHeads], axes.map((a) => shapes.query[a]), axes.map((a) => value[a]))];
      }

      computeMask(inputs, mask) {
        const queryMask = Array.isArray(mask) ? mask[0] : mask;
        return this.returnScores ? [queryMask || null, null] : (queryMask || null);
      }

      /** Keras' _compute_attention_mask: the inputs' masks, attention_mask, causal, sliding window. */
      attentionMask(query, value, masks, given, causal) {
        let auto = null;
        if (masks.query != null) auto = tf.expandDims(tf.cast(masks.query, 'bool'), -1);
        if (masks.value != null) auto = and(auto, tf.expandDims(tf.cast(masks.value, 'bool'), -2));
        if (masks.key != null) auto = and(auto, tf.expandDims(tf.cast(masks.key, 'bool'), -2));
        const t = query.shape[1];
        const s = value.shape[1];
        if (causal) auto = and(auto, causalMask(t, s));
        if (this.slidingWindow != null) {
          const rows = tf.range(0, t, 1, 'int32').reshape([1, t, 1]);
          const cols = tf.range(0, s, 1, 'int32').reshape([1, 1, s]);
          auto = and(auto, tf.less(tf.abs(tf.sub(rows, cols)), this.slidingWindow));
        }
        return and(given == null ? null : tf.cast(given, 'bool'), auto);
      }

      call(inputs, kwargs) {
        return tf.tidy(() => {
          kwargs = lib.callArgs(this, kwargs);
          const list = Array.isArray(inputs) ? inputs : [inputs];
          const t = this.named(list);
          const query = t.query;
          const value = t.value;
          const key = t.key || value;
          // Masks: as tensors named in tensorArgs (the converter's calls), else kwargs.mask (per input).
          const given = Array.isArray(kwargs.mask) ? kwargs.mask : [kwargs.mask];
          // (the query's mask comes as kwargs.mask: tfjs-layers passes a layer its first input's)
          const masks = this.callNames ? {query: t.queryMask != null ? t.queryMask : given[0], value: t.valueMask,
            key: t.key ? t.keyMask : null} : {query: given[0], value: given[1], key: t.key ? given[2] : null};
          const causal = Boolean(kwargs.useCausalMask);
          const mask = this.attentionMask(query, value, masks, t.attentionMask, causal);
          const gate = this.useGate ? this.gateDense.apply(query) : null;
          const q = this.queryDense.apply(query);
          const k = this.keyDense.apply(key);
          const v = this.valueDense.apply(value);
          // Keras computes with its fused dot_product_attention unless it must return the scores,
          // has dropout, or the projections are not rank 4; only the unfused path zeroes the
          // weights of masked positions (a row masked throughout then gives 0, not a uniform mean).
          const unfused = this.dropout > 0 || this.returnScores || q.rank !== 4;
          let scores = lib.einsum(this.equations.dot, k, tf.mul(q, 1 / Math.sqrt(this.keyDim)));
          let keep = null;
          if (mask != null) {
            keep = expandTo(mask, scores.rank, -this.axes.length * 2 - 1);
            scores = tf.where(tf.broadcastTo(keep, scores.shape), scores, tf.fill(scores.shape, LARGE_NEGATIVE));
          }
          scores = softmaxLast(scores, this.axes.length);
          if (keep != null && unfused) scores = tf.where(tf.broadcastTo(keep, scores.shape), scores, tf.zerosLike(scores));
          const weights = kwargs.training && this.dropout > 0 ? tf.dropout(scores, this.dropout) : scores;
          let out = lib.einsum(this.equations.combine, weights, v);
          if (gate) out = tf.mul(out, gate);
          out = this.outputDense.apply(out);
          return this.returnScores ? [out, scores] : out;
        });
      }

      getConfig() {
        return Object.assign({}, super.getConfig(), {
          numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, dropout: this.dropout,
          useBias: this.useBias, useGate: this.useGate, outputShape: this.outputShapeArg,
          attentionAxes: this.attentionAxes, slidingWindow: this.slidingWindow,
        }, lib.weightSettings(this, Object.keys(PARTS)));
      }
    }

    /** Keras' Attention ('dot' or 'concat' scores) and the base of AdditiveAttention. */
    class Attention extends MultiArgumentLayer {
      constructor(args) {
        super(lib.withName(args, 'attention'));
        this.useScale = Boolean(args.useScale);
        this.scoreMode = args.scoreMode || 'dot';
        if (!['dot', 'concat'].includes(this.scoreMode)) throw new Error(`Attention: score_mode must be 'dot' or 'concat', got '${this.scoreMode}'`);
        this.dropout = args.dropout || 0;
        this.supportsMasking = true;
      }

      /** [query, value, key?] and [query mask, value mask] from the call's list. */
      split(list, kwargs) {
        if (!this.callNames) {
          const masks = Array.isArray(kwargs.mask) ? kwargs.mask : [kwargs.mask, null];
          return {inputs: list, masks};
        }
        const t = lib.callTensors(list, kwargs, ['inputs']);
        const masks = (t.mask || []).map((m) => (m === undefined ? null : m));
        // the query's mask comes as kwargs.mask (tfjs-layers passes a layer its first input's)
        const queryMask = masks[0] || (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) || null;
        return {inputs: t.inputs, masks: [queryMask, masks[1] || null]};
      }

      build(inputShape) {
        if (this.useScale) {
          this.scale = this.addWeight('scale', [], 'float32', lib.initializer('ones'), null, true);
        }
        if (this.scoreMode === 'concat') {
          this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'float32', lib.initializer('ones'), null, true);
        }
        this.built = true;
      }

      scores(q, k) {
        if (this.scoreMode === 'dot') {
          const s = tf.matMul(q, k, false, true);
          return this.scale ? tf.mul(s, this.scale.read()) : s;
        }
        let sum = tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3));
        if (this.scale) sum = tf.mul(this.scale.read(), sum);
        return tf.mul(this.concatScoreWeight.read(), tf.sum(tf.tanh(sum), -1));
      }

      computeOutputShape(inputShape) {
        const shapes = this.callNames ? this.callNames.inputs.map((i) => inputShape[i]) : inputShape;
        const output = shapes[0].slice(0, -1).concat([shapes[1][shapes[1].length - 1]]);
        const key = shapes[2] || shapes[1];
        return this.returnScores ? [output, shapes[0].slice(0, -1).concat([key[key.length - 2]])] : output;
      }

      computeMask(inputs, mask) {
        const queryMask = Array.isArray(mask) ? mask[0] : mask;
        return this.returnScores ? [queryMask || null, null] : (queryMask || null);
      }

      call(inputs, kwargs) {
        return tf.tidy(() => {
          kwargs = lib.callArgs(this, kwargs);
          const {inputs: [q, v, kGiven], masks: [queryMask, valueMask]} = this.split(Array.isArray(inputs) ? inputs : [inputs], kwargs);
          const k = kGiven || v;
          let scores = this.scores(q, k);
          let scoresMask = valueMask == null ? null : tf.expandDims(tf.cast(valueMask, 'bool'), -2);
          if (kwargs.useCausalMask) {
            const [tq, tv] = scores.shape.slice(-2);
            scoresMask = and(scoresMask, causalMask(tq, tv));
          }
          if (scoresMask != null) {
            // Keras: scores - 1e9 where masked (not a replacement)
            scores = tf.where(tf.broadcastTo(scoresMask, scores.shape), scores, tf.sub(scores, 1e9));
          }
          const weights = tf.softmax(scores, -1);
          const dropped = kwargs.training && this.dropout > 0 ? tf.dropout(weights, this.dropout) : weights;
          let out = tf.matMul(dropped, v);
          if (queryMask != null) {
            out = tf.where(tf.broadcastTo(tf.expandDims(tf.cast(queryMask, 'bool'), -1), out.shape), out, tf.zerosLike(out));
          }
          return this.returnScores ? [out, weights] : out;
        });
      }

      getConfig() {
        return Object.assign({}, super.getConfig(), {useScale: this.useScale, scoreMode: this.scoreMode, dropout: this.dropout});
      }
    }

    /** Keras' AdditiveAttention: scores sum(scale * tanh(q + k)), `scale` of the query's dim. */
    class AdditiveAttention extends Attention {
      constructor(args) {
        super(Object.assign({useScale: true}, lib.withName(args, 'additive_attention'), {scoreMode: 'dot'}));
        this.useScale = args.useScale == null ? true : Boolean(args.useScale);
      }

      build(inputShape) {
        const shapes = this.callNames ? this.callNames.inputs.map((i) => inputShape[i]) : inputShape;
        const dim = shapes[0][shapes[0].length - 1];
        if (this.useScale) {
          this.scale = this.addWeight('scale', [dim], 'float32', lib.initializer('glorotUniform'), null, true);
        }
        this.built = true;
      }

      scores(q, k) {
        const tanh = tf.tanh(tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3)));
        return tf.sum(this.scale ? tf.mul(this.scale.read(), tanh) : tanh, -1);
      }

      getConfig() {
        const config = super.getConfig();
        delete config.scoreMode;
        return config;
      }
    }

    return {AdditiveAttention, Attention, EinsumDense, MultiHeadAttention, analyzeEinsum};
  },
};
