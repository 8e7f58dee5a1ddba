const tf = require('@tensorflow/tfjs-node');
const fs = require('fs');
(async () => {
  const topo = JSON.parse(fs.readFileSync(process.argv[2]));
  const model = await tf.models.modelFromJSON({modelTopology: topo.modelTopology});
  for (const layer of model.layers) console.log(layer.name, layer.weights.map(w => w.originalName + ' ' + JSON.stringify(w.shape)).join(', '));
})().catch(e => { console.error('ERR', e.message); process.exit(1); });
