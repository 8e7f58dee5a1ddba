"""`tfjs-export bundle MODEL_DIR [--tfjs NODE_MODULES]`: make a converted model web-ready."""

import sys

from tfjs_export.converter.commands.common import PROG, resolve_path
from tfjs_export.converter.labels import add_labels_option

NAME = "bundle"
HELP = "add integrity file, caching loader and demo page to a converted model directory"
DESCRIPTION = ("Write next to MODEL_DIR/model.json: integrity.json (SHA-256 of model.json and every "
               "shard), tfjs-bundle-loader.js (verifies each file, keeps the model in Cache Storage "
               "for offline visits, resumes broken downloads), a service worker and index.html (demo "
               "page). Serve MODEL_DIR over http(s) and open index.html.")


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="a directory written by `convert`")
    parser.add_argument("--tfjs", metavar="NODE_MODULES", default=None,
                        help="copy TF.js and its WASM backend from this node_modules directory into "
                             "MODEL_DIR/tfjs/ (else the page expects them there already)")
    add_labels_option(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def run(args):
    """Write the bundle; one summary line on stdout."""
    from tfjs_export.converter.labels import read_labels
    from tfjs_export.converter.web_bundle import write_bundle
    labels = read_labels(resolve_path(args.labels)) if args.labels else None
    summary = write_bundle(resolve_path(args.model_dir),
                           tfjs_modules=resolve_path(args.tfjs) if args.tfjs else None, labels=labels)
    if not args.quiet:
        print(f"bundled {summary.model_dir}: integrity.json covers model.json + {summary.shards} "
              f"shard{'s' * (summary.shards != 1)} ({summary.model_bytes:,} bytes); wrote "
              f"{', '.join(summary.files[:4])}" + (" + tfjs/" if summary.tfjs_copied else ""))
        if not summary.tfjs_present:
            print(f"{PROG}: note: the page loads TF.js from {summary.model_dir}/tfjs/; pass --tfjs "
                  "NODE_MODULES to copy it there", file=sys.stderr)
    return 0
