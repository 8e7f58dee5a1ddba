"""Command line: `tfjs-export COMMAND ...` (`bazel run //converter:cli -- COMMAND ...`).

User errors print one line, `tfjs-export: error: <file>: <problem>`, and exit 1 (2 for bad
usage); anything unexpected (a bug) prints one line too, `tfjs-export COMMAND: error: <file>:
internal error (<type>: <message>); rerun with --debug and report it`, and exits 1; `--debug`
shows the traceback instead. Subcommands live in converter/commands/.
"""

import argparse
import importlib
import os
import sys

from tfjs_export.converter.commands.common import PROG
from tfjs_export.converter.tf_logs import SHOW_TENSORFLOW_LOGS

# Subcommand names; each is a module of converter/commands/ (a dash in the name, an underscore there).
COMMANDS = ("convert", "inspect", "verify", "bundle", "install-runtime")


def _modules():
    return [importlib.import_module(f"tfjs_export.converter.commands.{name.replace('-', '_')}") for name in COMMANDS]


def _parser(modules):
    parser = argparse.ArgumentParser(prog=PROG, description="Convert Keras/TensorFlow models to TensorFlow.js.")
    parser.add_argument("--version", "-v", action=_Versions, nargs=0,
                        help="show the versions of tfjs-export and of the libraries it would use, and exit")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in modules:
        sub = subparsers.add_parser(module.NAME, help=module.HELP,
                                    description=getattr(module, "DESCRIPTION", module.HELP))
        module.add_arguments(sub)
        sub.add_argument("--debug", action="store_true",
                         help="show tracebacks for errors, and TensorFlow's own log lines (hidden otherwise)")
        sub.set_defaults(run=module.run)
    return parser


class _Versions(argparse.Action):
    """--version: print versions_text() as it is (argparse's own action reflows it) and exit."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(versions_text())
        parser.exit()


def versions_text():
    """tfjs-export's version and those of the libraries it uses when installed (read from their
    package metadata: nothing is imported)."""
    from importlib import metadata

    from tfjs_export.converter.version import __version__
    lines = [f"{PROG} {__version__}"]
    for package in ("numpy", "h5py", "keras", "tensorflow", "tf_keras", "jax"):
        try:
            lines.append(f"  {package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            lines.append(f"  {package} not installed")
    return "\n".join(lines)


def main(argv=None):
    """Run the CLI; return the process exit code."""
    modules = _modules()
    argv = sys.argv[1:] if argv is None else list(argv)
    for module in modules:
        argv = getattr(module, "normalise_argv", lambda a: a)(argv)
    args = _parser(modules).parse_args(argv)
    from tfjs_export.converter.errors import ConversionError
    if args.debug:
        os.environ[SHOW_TENSORFLOW_LOGS] = "1"  # read by converter/tf_logs.py
    try:
        return args.run(args)
    except ConversionError as err:
        if args.debug:
            raise
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tfjs-export inspect DIR | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except Exception as err:  # the last line of defence: a bug of ours, never a traceback
        if args.debug:
            raise
        print(internal_error_line(args, err), file=sys.stderr)
        return 1


def internal_error_line(args, err):
    """The one line for an unexpected exception: the subcommand, the file it was working on, the
    exception, and what to do. (Writers clean up on any exception: nothing is left on disk.)"""
    target = next((getattr(args, name) for name in ("src", "model_dir") if getattr(args, name, None)), "?")
    detail = " ".join(str(err).split()) or "no message"
    if len(detail) > 300:
        detail = detail[:297] + "..."
    return (f"{PROG} {args.command}: error: {target}: internal error ({type(err).__name__}: {detail}); "
            "rerun with --debug and report it")


if __name__ == "__main__":
    sys.exit(main())
