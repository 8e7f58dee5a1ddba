"""The README documents every subcommand and every option the CLI accepts."""

import argparse
import os

import pytest

from converter import cli

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "README.md")


def _options():
    parser = cli._parser(cli._modules())
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        yield name, None
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    yield name, option


@pytest.mark.parametrize("command,option", list(_options()))
def test_readme_mentions(command, option):
    text = open(README, encoding="utf-8").read()
    assert f"-- {command}" in text, f"README has no `{command}` example"
    if option:
        assert f"`{option}" in text, f"README does not document {command} {option}"
