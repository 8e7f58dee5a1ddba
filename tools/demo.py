"""The demo's second half: load a converted bars_cnn in tfjs-node and show its predictions next
to Keras' for the same images, with the max error.

    bazel run //tools:demo -- out/bars_cnn
"""

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # only the demo's own output
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # no GPU here: skip the CUDA probe and its errors

import numpy as np  # noqa: E402

from examples import bars  # noqa: E402
from tfjs_export.converter.runtime import cases, node  # noqa: E402
from tfjs_export.converter.tf_logs import quiet_tensorflow  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "bars_cnn.keras")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", help="the converted model directory (holding model.json)")
    ap.add_argument("--samples", type=int, default=6)
    args = ap.parse_args()
    model_dir = os.path.join(os.environ.get("BUILD_WORKING_DIRECTORY", ""), args.model_dir)
    model_json = os.path.join(model_dir, "model.json")
    if not os.path.isfile(model_json):
        sys.exit(f"demo: error: {model_dir}: no model.json (convert the model first)")

    # TensorFlow's start-up lines (cuDNN/cuBLAS factories, absl) would land between Bazel's output
    # and the table: stderr is kept from them while Keras loads and predicts (setting
    # TFJS_EXPORT_DEBUG=1 shows them).
    with quiet_tensorflow():
        import keras
        model = keras.saving.load_model(EXAMPLE)
        images, labels = bars.make_images(args.samples, seed=2026)
        expected = np.asarray(model.predict(images, verbose=0))

    with tempfile.TemporaryDirectory() as tmp:
        cases.write_case(tmp, model_json, [images], [expected], name="bars_cnn",
                          input_names=["image"], output_names=["class_probs"], atol=1e-5, rtol=1e-5,
                          why="float32 rounding only")
        run = node.run_predict(tmp)
        result = cases.read_result(tmp)
        actual = np.fromfile(os.path.join(tmp, "actual_0.bin"), dtype="<f4").reshape(expected.shape)

    print(f"\nbars_cnn: Keras {keras.__version__} vs TF.js {result.get('tfjs_version')} "
          f"(tfjs-node, backend '{result.get('backend')}'), {args.samples} synthetic images\n")
    print(f"{'#':>2}  {'true class':<11} {'Keras probabilities':<26} {'TF.js probabilities':<26} {'max |diff|':>10}")
    for i in range(args.samples):
        fmt = lambda row: "[" + " ".join(f"{v:.4f}" for v in row) + "]"  # noqa: E731
        print(f"{i:>2}  {bars.CLASSES[labels[i]]:<11} {fmt(expected[i]):<26} {fmt(actual[i]):<26} "
              f"{np.max(np.abs(actual[i] - expected[i])):>10.2e}")
    output = result["outputs"][0]
    verdict = "PARITY OK" if result["ok"] else "PARITY FAILED"
    print(f"\nmax abs error {output['max_abs_err']:.2e} (bound {output['bound']:.1e}); "
          f"load {result['load_ms']:.0f} ms, predict {result['predict_ms']:.1f} ms: {verdict}")
    return 0 if result["ok"] and run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
