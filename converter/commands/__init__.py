"""CLI subcommands, one module each. A module defines `NAME`, `HELP`, `add_arguments(parser)`
and `run(args) -> exit code`; converter/cli.py lists them in COMMANDS."""
