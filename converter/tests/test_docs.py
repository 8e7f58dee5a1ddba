"""The README documents every subcommand and every option the CLI accepts."""

import argparse
import ast
import os
import re
import subprocess
import sys

import pytest

from tfjs_export.converter import cli

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


# -- every error message the CLI can print is in the README's troubleshooting -----------------

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_ERROR_CLASSES = {"ConversionError": 0, "UnsupportedLayerError": 2, "ObjectError": 0, "CodecError": 0,
                  "CodecWriteError": 0, "ValueError": 0}  # class -> index of its message argument
_MIN_KEY = 6  # a message whose fixed parts are all shorter only passes another message on


def _normalise(text):
    return " ".join(text.split())


def _fragments(node, module):
    """The fixed parts of a message template (None: not a template), following f-strings,
    '%' formats, concatenation, `A or B`, `TABLE.get(...)` of a module-level dict of strings and
    calls of a module function (its returned templates)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [re.split(r"%[-#0 +]*\d*(?:\.\d+)?[sdrifgxX]", node.value)]
    if isinstance(node, ast.JoinedStr):
        parts, current = [], ""
        for value in node.values:
            if isinstance(value, ast.Constant):
                current += value.value
            else:
                parts.append(current)
                current = ""
        return [parts + [current]]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _fragments(node.left, module)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fragments(node.left, module), _fragments(node.right, module)
        if left is None or right is None:
            return None
        return [a[:-1] + [a[-1] + b[0]] + b[1:] for a in left for b in right]
    if isinstance(node, ast.BoolOp):
        found = [_fragments(value, module) for value in node.values]
        return [t for f in found if f for t in f] or None
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and isinstance(func.value, ast.Name):
            table = module["dicts"].get(func.value.id)
            return [t for value in table for t in _fragments(value, module)] if table else None
        if isinstance(func, ast.Name) and func.id in module["functions"]:
            returns = [n.value for n in ast.walk(module["functions"][func.id])
                       if isinstance(n, ast.Return) and n.value is not None]
            found = [_fragments(value, module) for value in returns]
            return [t for f in found if f for t in f] or None
    return None


def _module_tables(tree):
    """A module's top-level functions and dicts (the message tables a raise may look up)."""
    return {"functions": {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)},
            "dicts": {t.id: n.value.values for n in tree.body if isinstance(n, ast.Assign)
                      and isinstance(n.value, ast.Dict) for t in n.targets if isinstance(t, ast.Name)}}


def error_templates():
    """[(file:line, key)] for every error message raised in converter/ and codec/ (tests
    excluded): the message argument of ConversionError, UnsupportedLayerError (its detail),
    ObjectError, CodecError, CodecWriteError and ValueError, messages assigned to `.message`, and
    lines the CLI prints on stderr itself. `key` is the template's longest fixed part."""
    found = []
    for folder in ("converter", "codec"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = [d for d in dirnames if d != "tests"]
            for filename in sorted(f for f in filenames if f.endswith(".py")):
                path = os.path.join(dirpath, filename)
                tree = ast.parse(open(path, encoding="utf-8").read())
                module = _module_tables(tree)
                for node in tree.body:  # tables imported from our own modules (e.g. MISMATCHED)
                    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tfjs_export."):
                        source = os.path.join(ROOT, *node.module.split(".")[1:]) + ".py"
                        if os.path.isfile(source):
                            tables = _module_tables(ast.parse(open(source, encoding="utf-8").read()))["dicts"]
                            module["dicts"].update({a.name: tables[a.name] for a in node.names if a.name in tables})
                for node in ast.walk(tree):
                    message = None
                    if isinstance(node, ast.Call):
                        func = node.func
                        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                        if name in _ERROR_CLASSES:
                            index = _ERROR_CLASSES[name]
                            message = node.args[index] if len(node.args) > index else next(
                                (k.value for k in node.keywords if k.arg in ("message", "detail")), None)
                            if message is None and name == "UnsupportedLayerError":  # its default detail
                                message = ast.Constant("not supported by the TF.js Layers format")
                        elif name == "print" and any(k.arg == "file" and ast.unparse(k.value) == "sys.stderr"
                                                     for k in node.keywords):
                            message = node.args[0] if node.args else None
                    elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "message"
                                                              for t in node.targets):
                        message = node.value
                    if message is None:
                        continue
                    where = f"{os.path.relpath(path, ROOT)}:{node.lineno}"
                    for parts in _fragments(message, module) or []:  # None: passes another message on
                        key = max((_normalise(p).strip(" :;,.()'\"/") for p in parts), key=len)
                        if len(key) >= _MIN_KEY:
                            found.append((where, key))
    return found


def troubleshooting_text():
    """The README sections whose heading says Troubleshooting (with their subsections)."""
    text, keep, level = [], False, 0
    for line in open(README, encoding="utf-8").read().splitlines():
        heading = re.match(r"(#+) ", line)
        if heading:
            if "Troubleshooting" in line:
                keep, level = True, len(heading.group(1))
            elif len(heading.group(1)) <= level:
                keep = False
        if keep:
            text.append(line)
    return _normalise("\n".join(text))


def test_every_error_message_is_in_the_troubleshooting():
    """Every error message template in converter/ and codec/ has a line in the README's
    troubleshooting. Matching rule: a template's key is its longest fixed part (the text between
    placeholders), whitespace-normalised and trimmed of surrounding ' :;,.('; the troubleshooting
    text (whitespace-normalised) must contain that key verbatim. Templates whose fixed parts are
    all shorter than 6 characters (e.g. f"{where}: {err}") only pass another message on and are
    skipped; that message is checked where it is raised."""
    templates = error_templates()
    assert len(templates) > 120  # the extraction itself works (found ~140 when written)
    text = troubleshooting_text()
    missing = sorted({f"{where}: {key}" for where, key in templates if key not in text})
    assert not missing, "README troubleshooting lacks:\n" + "\n".join(missing)


# -- `--help` of every subcommand matches the README's command-line reference -------------------

def _reference_section(command):
    """The README's generated reference section for `command`, whitespace-normalised, with the
    Markdown table escapes (`\\|`) undone."""
    from tools import gen_cli_docs
    block = gen_cli_docs.current_block(open(README, encoding="utf-8").read())
    assert block, "README has no generated command-line reference (run tools/gen_cli_docs.py)"
    match = re.search(rf"^### `tfjs-export {command}`$(.*?)(?=^### |\Z)", block, re.M | re.S)
    assert match, f"README's command-line reference has no section for {command}"
    return _normalise(match.group(1).replace("\\|", "|"))


def test_cli_reference_in_readme_is_current():
    """The generated block equals what tools/gen_cli_docs.py makes from the parsers now."""
    from tools import gen_cli_docs
    block = gen_cli_docs.current_block(open(README, encoding="utf-8").read())
    assert block == gen_cli_docs.render(), "README's command-line reference is stale: run tools/gen_cli_docs.py"


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_help_matches_the_readme(command):
    """`python -m tfjs_export.converter.cli COMMAND --help` (a real process, unwrapped): its usage, description,
    every argument as listed and every help text (whitespace-normalised) appear in the README's
    reference section for COMMAND, and every option string it shows is there too."""
    from tools import gen_cli_docs
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", ""), "COLUMNS": "2000"}
    result = subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", command, "--help"], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr
    shown, section = _normalise(result.stdout), _reference_section(command)
    parser = dict(gen_cli_docs.subcommand_parsers())[command]
    assert gen_cli_docs.usage(parser) in shown and gen_cli_docs.usage(parser) in section
    assert _normalise(parser.description) in shown and _normalise(parser.description) in section
    for action in parser._actions:
        listed, text = gen_cli_docs.invocation(parser, action), gen_cli_docs.help_text(parser, action)
        assert f"{listed} {text}" in shown, (listed, text)  # what the generator reads is what --help prints
        assert f"`{listed}` | {text} |" in section, f"README's {command} reference lacks {listed}: {text}"
    for option in set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", shown)):
        assert option in section, f"`{command} --help` shows {option}, README's reference does not"
