'use strict';
/**
 * Keras 3's image preprocessing and augmentation layers.
 *
 * Resizing and CenterCrop compute exactly what Keras 3 computes with the TensorFlow backend
 * (tfjs-layers' own classes differ: align_corners resizing, crop_and_resize boxes):
 *   Resizing: tf.image.resize with half-pixel centres (bilinear or nearest, no antialias),
 *     after a centred crop to the target's aspect ratio (crop_to_aspect_ratio) or a padding to
 *     it with fill_value (pad_to_aspect_ratio), as keras/src/backend/tensorflow/image.py does;
 *   CenterCrop: the centred pixel slice; an input smaller than the target on either side is
 *     smart-resized instead (the largest centred window of the target's aspect ratio, resized
 *     bilinearly), as keras/src/layers/preprocessing/image_preprocessing/center_crop.py does.
 * The augmentation layers (RandomFlip, RandomRotation, ..., MixUp) are identities at inference,
 * which is what Keras computes outside training (RandomCrop included: Keras 3 skips the crop
 * when training is false). They stay identities in TF.js training too: model.fit in TF.js does
 * not augment (augment the data in the input pipeline instead). Their configs are kept as they
 * are, so a model saved from TF.js records the same settings.
 */
module.exports = {
  provides: ['AugMix', 'CenterCrop', 'CutMix', 'MixUp', 'RandAugment', 'RandomBrightness', 'RandomColorDegeneration', 'RandomColorJitter', 'RandomContrast', 'RandomCrop', 'RandomElasticTransform', 'RandomErasing', 'RandomFlip', 'RandomGaussianBlur', 'RandomGrayscale', 'RandomHue', 'RandomInvert', 'RandomPerspective', 'RandomPosterization', 'RandomRotation', 'RandomSaturation', 'RandomSharpness', 'RandomShear', 'RandomTranslation', 'RandomZoom', 'Resizing', 'Solarization'],
  needs: [],
  define(tf, lib) {
    const channelsFirst = (format) => format === 'channelsFirst' || format === 'channels_first';
    /** images (channels last) -> f(images), for a layer of either data format */
    const lastAxis = (x, format, f) => {
      if (!channelsFirst(format)) return f(x);
      const perm = x.rank === 4 ? [0, 2, 3, 1] : [1, 2, 0];
      const back = x.rank === 4 ? [0, 3, 1, 2] : [2, 0, 1];
      return tf.transpose(f(tf.transpose(x, perm)), back);
    };
    const size = (x) => [x.shape[x.rank - 3], x.shape[x.rank - 2]];
    const crop = (x, top, left, height, width) => (x.rank === 4
      ? tf.slice(x, [0, top, left, 0], [-1, height, width, -1])
      : tf.slice(x, [top, left, 0], [height, width, -1]));
    const resize = (x, height, width, interpolation) => (interpolation === 'nearest'
      ? tf.image.resizeNearestNeighbor(x, [height, width], false, true)
      : tf.image.resizeBilinear(x, [height, width], false, true));
    /** Keras' crop_to_aspect_ratio window: int() of float32 arithmetic, as its TF backend. */
    const aspectCrop = (x, height, width) => {
      const [h, w] = size(x);
      const cropHeight = Math.max(Math.min(h, Math.trunc(Math.fround(w * height) / width)), 1);
      const cropWidth = Math.max(Math.min(w, Math.trunc(Math.fround(h * width) / height)), 1);
      return crop(x, Math.trunc((h - cropHeight) / 2), Math.trunc((w - cropWidth) / 2), cropHeight, cropWidth);
    };
    const aspectPad = (x, height, width, fillValue) => {
      const [h, w] = size(x);
      const padHeight = Math.max(h, Math.trunc(Math.fround(w * height) / width));
      const padWidth = Math.max(w, Math.trunc(Math.fround(h * width) / height));
      // Keras pads both sides by the same (rounded-down) half
      const top = Math.trunc((padHeight - h) / 2), left = Math.trunc((padWidth - w) / 2);
      const pads = [[top, top], [left, left], [0, 0]];
      return tf.pad(x, x.rank === 4 ? [[0, 0]].concat(pads) : pads, fillValue);
    };
    const outputShape = (inputShape, format, height, width) => {
      const shape = inputShape.slice();
      const rows = channelsFirst(format) ? shape.length - 2 : shape.length - 3;
      shape[rows] = height;
      shape[rows + 1] = width;
      return shape;
    };

    class Resizing extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'resizing'));
        this.height = args.height;
        this.width = args.width;
        this.interpolation = args.interpolation || 'bilinear';
        if (!['bilinear', 'nearest'].includes(this.interpolation)) {
          throw new Error(`Resizing: interpolation '${this.interpolation}' is not implemented (bilinear, nearest)`);
        }
        if (args.antialias) throw new Error('Resizing: antialias=true is not implemented');
        this.cropToAspectRatio = Boolean(args.cropToAspectRatio);
        this.padToAspectRatio = Boolean(args.padToAspectRatio);
        this.fillMode = args.fillMode || 'constant';
        this.fillValue = args.fillValue == null ? 0 : args.fillValue;
        this.dataFormat = args.dataFormat || 'channelsLast';
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
          return lastAxis(x, this.dataFormat, (images) => {
            let fitted = images;
            if (this.cropToAspectRatio) fitted = aspectCrop(images, this.height, this.width);
            else if (this.padToAspectRatio) fitted = aspectPad(images, this.height, this.width, this.fillValue);
            return resize(fitted, this.height, this.width, this.interpolation);
          });
        });
      }

      computeOutputShape(inputShape) {
        return outputShape(inputShape, this.dataFormat, this.height, this.width);
      }

      getConfig() {
        return Object.assign(super.getConfig(), {
          height: this.height, width: this.width, interpolation: this.interpolation,
          cropToAspectRatio: this.cropToAspectRatio, padToAspectRatio: this.padToAspectRatio,
          fillMode: this.fillMode, fillValue: this.fillValue, antialias: false, dataFormat: this.dataFormat,
        });
      }
    }

    class CenterCrop extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, 'center_crop'));
        this.height = args.height;
        this.width = args.width;
        this.dataFormat = args.dataFormat || 'channelsLast';
      }

      call(inputs) {
        return tf.tidy(() => {
          const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
          return lastAxis(x, this.dataFormat, (images) => {
            const [h, w] = size(images);
            if (h >= this.height && w >= this.width) {
              return crop(images, Math.floor((h - this.height) / 2), Math.floor((w - this.width) / 2),
                this.height, this.width);
            }
            return resize(aspectCrop(images, this.height, this.width), this.height, this.width, 'bilinear');
          });
        });
      }

      computeOutputShape(inputShape) {
        return outputShape(inputShape, this.dataFormat, this.height, this.width);
      }

      getConfig() {
        return Object.assign(super.getConfig(), {height: this.height, width: this.width, dataFormat: this.dataFormat});
      }
    }

    /** An augmentation layer: the identity at inference (and in TF.js training); its Keras
     * settings kept for getConfig. */
    const augmentation = (name) => class extends tf.layers.Layer {
      constructor(args) {
        super(lib.withName(args, name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()));
        // (customObjects: what tfjs' deserialisation adds to every config it reads)
        const skip = ['name', 'trainable', 'dtype', 'batchInputShape', 'inputShape', 'batchSize', 'customObjects'];
        this.settings = Object.fromEntries(Object.entries(args || {}).filter(([key]) => !skip.includes(key)));
        this.supportsMasking = true;
      }

      call(inputs) {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.clone(x);
      }

      getConfig() {
        return Object.assign(super.getConfig(), this.settings);
      }
    };

    const classes = {Resizing, CenterCrop};
    for (const name of module.exports.provides) {
      if (!classes[name]) classes[name] = augmentation(name);
    }
    return classes;
  },
};
