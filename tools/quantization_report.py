"""What each --quantize_* option costs in accuracy, measured in tfjs-node on the test zoo and the
example model. Prints a Markdown table (used in docs/converting.md). Not a test.

    bazel run //tools:quantization_report

For each model and option: the model size, and the max abs difference between the TF.js
model's outputs and the float Keras model's on random inputs, relative to the outputs' scale.
For the example classifier, also the held-out accuracy (Layers rows). The Graph rows compare one
range per tensor with one per output channel (--quantization_granularity; measured on bigger and
trained networks by tools/per_channel_report.py).
"""

import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

from tfjs_export.converter import convert  # noqa: E402
from tfjs_export.converter.verify import verify  # noqa: E402
from examples import bars  # noqa: E402
from runtime_tests import parity  # noqa: E402
from tools.testing import keras_models  # noqa: E402

GRAPH = {"output_format": "tfjs_graph_model"}
PER_CHANNEL = {"quantization_granularity": "per_channel", **GRAPH}
OPTIONS = [("float32", {}), ("float16", {"quantize_float16": None}), ("uint16", {"quantize_uint16": None}),
           ("uint8", {"quantize_uint8": None}),
           ("uint16, Graph", {"quantize_uint16": None, **GRAPH}),
           ("uint16 per channel, Graph", {"quantize_uint16": None, **PER_CHANNEL}),
           ("uint8, Graph", {"quantize_uint8": None, **GRAPH}),
           ("uint8 per channel, Graph", {"quantize_uint8": None, **PER_CHANNEL})]
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "bars_cnn.keras")


def _example_accuracy(model_dir, tmp):
    """Held-out accuracy of the converted example model, computed by TF.js."""
    images, labels = bars.make_images(300, seed=2)
    case = os.path.join(tmp, "accuracy")
    parity.write_case(case, os.path.join(model_dir, "model.json"), [images], [np.zeros((300, 3), "float32")],
                      name="accuracy", input_names=["image"], output_names=["class_probs"],
                      atol=1e9, rtol=0, why="only the predictions are used")
    parity.run_predict(case)
    probs = np.fromfile(os.path.join(case, "actual_0.bin"), "<f4").reshape(300, 3)
    return float(np.mean(probs.argmax(axis=1) == labels))


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = {name: os.path.join(tmp, f"{name}.keras") for name in keras_models.ZOO}
        for name, path in sources.items():
            keras_models.ZOO[name]().save(path)
        sources["bars_cnn (example)"] = EXAMPLE
        for name, path in sources.items():
            for label, options in OPTIONS:
                out = os.path.join(tmp, f"{len(rows)}")
                summary = convert(path, out, **options)
                report = verify(path, out, samples=16, seed=1)
                if not report.ok:
                    sys.exit(f"parity failed for {name} {label}: {report.table()}")
                errors = [(o.get("max_abs_err_vs_float") or o["max_abs_err"]) / max(o["max_abs_expected"], 1e-12)
                          for o in report.outputs]
                accuracy = _example_accuracy(out, tmp) if path == EXAMPLE and "output_format" not in options else None
                rows.append((name, label, summary.weight_bytes_written, max(errors), accuracy))
    print("| model | weights | weight bytes | max abs diff from float model (relative to max output) | held-out accuracy |")
    print("|---|---|---:|---:|---:|")
    for name, dtype, size, error, accuracy in rows:
        print(f"| {name} | {dtype} | {size:,} | {error:.1e} | {'' if accuracy is None else f'{accuracy:.1%}'} |")


if __name__ == "__main__":
    main()
