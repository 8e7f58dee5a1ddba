"""Regenerate converter/graph/tfjs_ops.txt: the TF op names tfjs-converter can execute.

Source: the op lists compiled into @tensorflow/tfjs-converter (runtime_tests/node_modules), the
runtime our parity tests use. Only the op *names* are taken (one per line, sorted).
    .venv/bin/python tools/gen_tfjs_ops.py
"""

import glob
import os
import re

# The source tree (node_modules lives there, not in Bazel's runfiles).
ROOT = os.environ.get("TFJS_EXPORT_ROOT") or os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
OP_LIST_GLOB = "runtime_tests/node_modules/@tensorflow/tfjs-converter/dist/operations/op_list/*.js"
OUT = os.path.join(ROOT, "converter", "graph", "tfjs_ops.txt")
_NAME = re.compile(r"""['"]tfOpName['"]\s*:\s*['"]([^'"]+)['"]""")


def ops_in_tfjs_converter(root=ROOT):
    """Set of tfOpName values in the installed tfjs-converter's op lists."""
    files = glob.glob(os.path.join(root, OP_LIST_GLOB))
    if not files:
        raise SystemExit(f"no op lists under {os.path.join(root, OP_LIST_GLOB)}: run tools/setup.sh")
    names = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            names.update(_NAME.findall(f.read()))
    return names


def main():
    names = sorted(ops_in_tfjs_converter())
    version = _tfjs_converter_version()
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(f"# TF ops executable by @tensorflow/tfjs-converter {version} (tools/gen_tfjs_ops.py)\n")
        f.write("\n".join(names) + "\n")
    print(f"wrote {len(names)} op names to {OUT}")


def _tfjs_converter_version(root=ROOT):
    import json
    with open(os.path.join(root, "runtime_tests/node_modules/@tensorflow/tfjs-converter/package.json")) as f:
        return json.load(f)["version"]


if __name__ == "__main__":
    main()
