"""`tfjs-export install-runtime [DIR]`: install the light TF.js runtime `verify` uses when
tfjs-node is not installed (TF.js core, layers, converter and the WASM backend, pinned by the lock
shipped with tfjs-export; `npm ci` from the npm registry, nothing compiled)."""

from tfjs_export.converter.commands.common import resolve_path

NAME = "install-runtime"
HELP = "install the light TF.js runtime (WASM, no native build) that verify runs on"


def add_arguments(parser):
    parser.add_argument("dir", metavar="DIR", nargs="?", default=None,
                        help="where to install it (default: $XDG_CACHE_HOME/tfjs-export/runtime, i.e. "
                             "~/.cache/tfjs-export/runtime, where verify looks; elsewhere, pass "
                             "--node_modules DIR to verify)")


def run(args):
    """Install into args.dir (or the default place) and say where it went."""
    from tfjs_export.converter.runtime import light
    target = resolve_path(args.dir) if args.dir else light.default_dir()
    print(f"installed the light TF.js runtime (WASM backend) in {light.install(target)}")
    return 0
