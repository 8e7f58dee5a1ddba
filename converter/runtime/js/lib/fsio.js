'use strict';
/**
 * A TF.js IOHandler that reads a model directory from disk (model.json + its weight shards), for
 * runtimes without tfjs-node's `file://` loader. Shards are read in manifest order and joined:
 * TF.js itself treats the concatenation of every group's shards as one weight buffer.
 */
const fs = require('fs');
const path = require('path');

function modelFromDisk(modelJsonPath) {
  return {
    async load() {
      const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
      const dir = path.dirname(modelJsonPath);
      const weightSpecs = [];
      const shards = [];
      for (const group of json.weightsManifest || []) {
        weightSpecs.push(...group.weights);
        for (const shard of group.paths) shards.push(fs.readFileSync(path.join(dir, shard)));
      }
      const joined = Buffer.concat(shards);
      const {weightsManifest, ...artifacts} = json; // everything but the manifest, as TF.js reads it
      return {...artifacts, weightSpecs,
        weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength)};
    },
  };
}

module.exports = {modelFromDisk};
