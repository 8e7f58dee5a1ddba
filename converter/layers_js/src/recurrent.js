'use strict';
/**
 * Keras 3's recurrent layers where tfjs-layers 4.22's own compute something else.
 *
 * GRU / GRUCell: Keras 3's cell (keras/src/layers/rnn/gru.py), gates in Keras' order z, r, h.
 * reset_after=True (Keras' default, which tfjs-layers refuses):
 *   x = inputs @ kernel + bias[0]            (bias: [2, 3 * units], input and recurrent biases)
 *   inner = h @ recurrent_kernel + bias[1]
 *   z = recurrent_activation(x_z + inner_z), r = recurrent_activation(x_r + inner_r)
 *   hh = activation(x_h + r * inner_h),      h' = z * h + (1 - z) * hh
 * reset_after=False (bias [3 * units]): hh = activation(x_h + (r * h) @ recurrent_kernel_h);
 * the converter uses it only where tfjs-layers' GRU would differ (zero_output_for_mask).
 *
 * zero_output_for_mask (GRU, LSTM, SimpleRNN): Keras' Bidirectional sets it when it returns
 * sequences, and then masked steps output 0; tfjs-layers' RNN repeats the last output there.
 * LSTM and SimpleRNN are tfjs-layers' own classes (whose maths match Keras) with that
 * difference, and with our masked step loop (maskedRun: every backend, WebGPU included).
 *
 * The layers are tf RNNs, so return_sequences, return_state, go_backwards, stateful and
 * Bidirectional / TimeDistributed come from tfjs-layers' RNN; a call with a mask steps through
 * maskedRun. Variables: `kernel`, `recurrent_kernel`, `bias`, named after the layer
 * (`gru/kernel`), as tfjs names an RNN cell's.
 */
module.exports = {
  provides: ['GRU', 'GRUCell', 'LSTM', 'SimpleRNN'],
  needs: [],
  define(tf, lib) {
    const PARTS = {kernel: 'glorotUniform', recurrent: 'orthogonal', bias: 'zeros'};  // Keras' GRU defaults

    class GRUCell extends tf.layers.RNNCell {
      constructor(args) {
        super(lib.withName(args, 'gru_cell'));
        this.units = args.units;
        if (!(Number.isInteger(this.units) && this.units > 0)) throw new Error(`GRUCell: units must be a positive integer, got ${args.units}`);
        this.activation = lib.activation(args.activation, 'tanh');
        this.recurrentActivation = lib.activation(args.recurrentActivation, 'sigmoid');
        this.useBias = args.useBias == null ? true : args.useBias;
        this.resetAfter = args.resetAfter == null ? true : Boolean(args.resetAfter);
        lib.readWeightSettings(this, args, PARTS);
        this.dropout = Math.min(1, Math.max(0, args.dropout || 0));
        this.recurrentDropout = Math.min(1, Math.max(0, args.recurrentDropout || 0));
        this.stateSize = this.units;
        this.dropoutMask = null;
        this.recurrentDropoutMask = null;
      }

      build(inputShape) {
        const shape = Array.isArray(inputShape[0]) ? inputShape[0] : inputShape;
        const inputDim = shape[shape.length - 1];
        this.kernel = this.addWeight('kernel', [inputDim, 3 * this.units], 'float32', this.kernelInitializer,
            this.kernelRegularizer, true, this.kernelConstraint);
        this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, 3 * this.units], 'float32',
            this.recurrentInitializer, this.recurrentRegularizer, true, this.recurrentConstraint);
        const biasShape = this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
        this.bias = this.useBias ? this.addWeight('bias', biasShape, 'float32', this.biasInitializer,
            this.biasRegularizer, true, this.biasConstraint) : null;
        this.built = true;
      }

      /** Keras 3 draws one dropout mask per sequence (the RNN layer clears them per call). */
      masks(inputs, h, training) {
        if (!training) return [null, null];
        const mask = (rate, like) => (rate > 0 && rate < 1 ?
          tf.keep(tf.dropout(tf.onesLike(like), rate)) : null);
        if (this.dropoutMask == null && this.dropout > 0) this.dropoutMask = mask(this.dropout, inputs);
        if (this.recurrentDropoutMask == null && this.recurrentDropout > 0) {
          this.recurrentDropoutMask = mask(this.recurrentDropout, h);
        }
        return [this.dropoutMask, this.recurrentDropoutMask];
      }

      call(inputs, kwargs) {
        return tf.tidy(() => {
          let [x, h] = inputs;
          const [dropoutMask, recurrentMask] = this.masks(x, h, kwargs && kwargs.training);
          const hPrevious = h;
          if (dropoutMask) x = tf.mul(x, dropoutMask);
          if (recurrentMask) h = tf.mul(h, recurrentMask);
          let matrixX = tf.matMul(x, this.kernel.read());
          const kernel = this.recurrentKernel.read();
          const [kernelZR, kernelH] = tf.split(kernel, [2 * this.units, this.units], -1);
          let inner = tf.matMul(h, this.resetAfter ? kernel : kernelZR);
          if (this.useBias) {
            const bias = this.bias.read();
            const [inputBias, recurrentBias] = this.resetAfter ? tf.unstack(bias) : [bias, null];
            matrixX = tf.add(matrixX, inputBias);
            if (recurrentBias) inner = tf.add(inner, recurrentBias);
          }
          const [xZ, xR, xH] = tf.split(matrixX, 3, -1);
          const [innerZ, innerR, innerH] = tf.split(inner, this.resetAfter ? 3 : 2, -1);
          const z = this.recurrentActivation.apply(tf.add(xZ, innerZ));
          const r = this.recurrentActivation.apply(tf.add(xR, innerR));
          const recurrentH = this.resetAfter ? tf.mul(r, innerH) : tf.matMul(tf.mul(r, h), kernelH);
          const hh = this.activation.apply(tf.add(xH, recurrentH));
          const next = tf.add(tf.mul(z, hPrevious), tf.mul(tf.sub(1, z), hh));
          return [next, next];
        });
      }

      getConfig() {
        return Object.assign({}, super.getConfig(), {
          units: this.units,
          activation: lib.serializeActivation(this.activation),
          recurrentActivation: lib.serializeActivation(this.recurrentActivation),
          useBias: this.useBias,
        }, lib.weightSettings(this, Object.keys(PARTS)), {
          dropout: this.dropout,
          recurrentDropout: this.recurrentDropout,
          resetAfter: this.resetAfter,
        });
      }
    }

    /**
     * One call of RNN `layer` over a mask, stepped here as Keras' rnn (TensorFlow backend) does:
     * at a masked step the states carry over and the output is the previous step's (zeros
     * before the first), or 0 when layer.zeroOutputForMask. The mask is float32 throughout and
     * masked values are blended by arithmetic: tfjs-layers' rnn() casts it bool -> float32 and
     * transposes it, which TF.js 4.22's WebGPU backend cannot (an invalid shader: zeros out), and
     * repeats the initial state, not zeros, at leading masked steps. Outputs come in the order
     * the steps ran (reversed for go_backwards), as in Keras.
     */
    function maskedRun(layer, inputs, mask, kwargs) {
      const cell = layer.cell;
      for (const key of ['dropoutMask', 'recurrentDropoutMask']) {  // drawn once per call (Keras)
        if (cell[key] != null) tf.dispose(cell[key]);
        cell[key] = null;
      }
      const given = kwargs.initialState;
      let states = given && given.length ? given : (layer.stateful ? layer.states : layer.getInitialState(inputs));
      const stepMasks = tf.unstack(lib.cast(tf.notEqual(mask, tf.scalar(0, mask.dtype)), 'float32'), 1)
          .map((m) => tf.expandDims(m, 1));
      const steps = tf.unstack(inputs, 1).map((x, t) => [x, stepMasks[t]]);
      if (layer.goBackwards) steps.reverse();
      const blend = (m, a, b) => tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m)));
      const outputs = [];
      let previous = null;
      for (const [x, m] of steps) {
        const [output, ...next] = cell.call([x].concat(states), {training: kwargs.training});
        if (previous == null) previous = tf.zerosLike(output);
        states = next.map((state, i) => blend(m, state, states[i]));
        previous = blend(m, output, layer.zeroOutputForMask ? tf.zerosLike(output) : previous);
        outputs.push(previous);
      }
      if (layer.stateful) layer.resetStates(states, kwargs.training);
      const output = layer.returnSequences ? tf.stack(outputs, 1) : outputs[outputs.length - 1];
      return layer.returnState ? [output].concat(states) : output;
    }

    /** `Base` (a tf RNN class) whose calls with a mask run maskedRun (zeroOutputForMask
     * settable); without a mask, Base's own call. */
    function kerasMasking(Base, className) {
      return class extends Base {
        constructor(args) {
          super(args);
          this.zeroOutputForMask = Boolean(args.zeroOutputForMask);
        }

        call(inputs, kwargs) {
          const mask = kwargs == null ? null : kwargs.mask;
          if (mask == null) return super.call(inputs, kwargs);
          return tf.tidy(() => maskedRun(this, Array.isArray(inputs) ? inputs[0] : inputs,
              Array.isArray(mask) ? mask[0] : mask, kwargs));
        }

        getConfig() {
          return Object.assign({}, super.getConfig(), {zeroOutputForMask: this.zeroOutputForMask});
        }

        static fromConfig(cls, config) {
          return new cls(config);
        }

        static get name() {
          return className;
        }
      };
    }

    class GRUBase extends tf.layers.RNN {
      constructor(args) {
        args = lib.withName(args, 'gru');
        super(Object.assign({}, args, {cell: new GRUCell(Object.assign({}, args, {name: `${args.name}_cell`}))}));
      }

      call(inputs, kwargs) {
        return tf.tidy(() => {
          // Keras draws the dropout masks once per call
          tf.dispose([this.cell.dropoutMask, this.cell.recurrentDropoutMask].filter((m) => m != null));
          this.cell.dropoutMask = null;
          this.cell.recurrentDropoutMask = null;
          return super.call(inputs, {mask: kwargs && kwargs.mask, training: kwargs && kwargs.training,
            initialState: kwargs && kwargs.initialState});
        });
      }
    }

    // tfjs-layers' own LSTM and SimpleRNN classes, as registered (public API, no instance made)
    const registered = (name) => tf.serialization.SerializationMap.getMap().classNameMap[name][0];
    const GRU = kerasMasking(GRUBase, 'GRU');
    const LSTM = kerasMasking(registered('LSTM'), 'LSTM');
    const SimpleRNN = kerasMasking(registered('SimpleRNN'), 'SimpleRNN');
    return {GRU, GRUCell, LSTM, SimpleRNN};
  },
};
