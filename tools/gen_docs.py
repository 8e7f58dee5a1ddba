"""Regenerate the generated blocks of the docs: the command-line reference (docs/cli.md, from the
CLI's argparse definitions), the Layers support table (docs/layers.md, from the layer table), the
official converter's options with ours (docs/official.md, from converter/official_options.py) and
the keras.ops table (docs/keras_ops.md, from converter/layers_config/ops_table.py).

    bazel run //tools:gen_docs               # rewrite the blocks in the source tree
    bazel run //tools:gen_docs -- --check    # exit 1 if a page is stale
converter/tests/test_docs.py fails when a page is stale.
"""

import argparse
import os
import sys

ROOT = os.environ.get("BUILD_WORKSPACE_DIRECTORY") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generators():
    """The generator modules: each has DOC (a path from the root), BEGIN, END and render()."""
    from tools import gen_cli_docs, gen_layer_docs, gen_official_docs, gen_ops_docs
    return [gen_cli_docs, gen_layer_docs, gen_official_docs, gen_ops_docs]


def current_block(text, generator):
    """The generator's block in a page's text (markers included), or None."""
    start, end = text.find(generator.BEGIN), text.find(generator.END)
    return text[start:end + len(generator.END)] if start >= 0 and end > start else None


def main(argv=None):
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="exit 1 if a page is not up to date")
    args = args.parse_args(argv)
    stale = 0
    for generator in generators():
        path = os.path.join(ROOT, generator.DOC)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        block, wanted = current_block(text, generator), generator.render()
        if block is None:
            print(f"{path}: no '{generator.BEGIN}' ... '{generator.END}' block to fill", file=sys.stderr)
            return 1
        if block == wanted:
            continue
        if args.check:
            print(f"{path}: the generated block is stale: run tools/gen_docs.py", file=sys.stderr)
            stale = 1
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(block, wanted))
        print(f"rewrote the generated block of {generator.DOC} ({len(wanted.splitlines())} lines)")
    return stale


if __name__ == "__main__":
    sys.path.append(os.path.dirname(ROOT))  # plain `python tools/gen_docs.py` from a symlink farm
    sys.exit(main())
