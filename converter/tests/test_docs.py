"""The docs match the code, both ways: README.md shows every subcommand and docs/ every option;
the generated pages (docs/cli.md, the support table in docs/layers.md) are current; every message
the code can print has an entry in docs/troubleshooting.md, and every entry there (and in the
README's troubleshooting) matches a message the code can print."""

import argparse
import ast
import os
import re
import subprocess
import sys

import pytest

from tfjs_export.converter import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")
DOCS = os.path.join(ROOT, "docs")
TROUBLESHOOTING = os.path.join(DOCS, "troubleshooting.md")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _all_docs():
    """README.md and every page of docs/, as one text."""
    return "\n".join(_read(p) for p in [README] + sorted(
        os.path.join(DOCS, name) for name in os.listdir(DOCS) if name.endswith(".md")))


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
def test_docs_mention(command, option):
    assert f"-- {command}" in _read(README), f"README has no `{command}` example"
    if option:
        assert f"`{option}" in _all_docs(), f"the docs do not document {command} {option}"


# -- every error message the CLI can print is in docs/troubleshooting.md ------------------------

_ERROR_CLASSES = {"ConversionError": 0, "UnsupportedLayerError": 2, "ObjectError": 0, "CodecError": 0,
                  "CodecWriteError": 0, "ValueError": 0, "StructureError": 0,  # class -> index of its message argument
                  "fail": 0}  # model_dir.py's `field.fail(problem)`: a ConversionError naming the field
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
            elif (isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name)
                  and value.value.id in module.get("strings", {}) and value.conversion == -1):
                current += module["strings"][value.value.id]  # a module constant, e.g. _GRAPH_HINT
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
    if isinstance(node, ast.IfExp):  # "A" if ... else "B": both can be printed
        found = [_fragments(value, module) for value in (node.body, node.orelse)]
        return [t for f in found if f for t in f] or None
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
            "strings": {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                        and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                        for t in n.targets if isinstance(t, ast.Name)},
            "dicts": {t.id: n.value.values for n in tree.body if isinstance(n, ast.Assign)
                      and isinstance(n.value, ast.Dict) for t in n.targets if isinstance(t, ast.Name)}}


def error_templates():
    """[(file:line, key)] for every error message (see message_templates)."""
    return [(where, key) for where, key, _ in message_templates()]


def message_templates():
    """[(file:line, key, fixed parts)] for every error message raised in converter/ and codec/ (tests
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
                            tables = _module_tables(ast.parse(open(source, encoding="utf-8").read()))
                            for kind in ("dicts", "strings"):  # PROG prefixes every line: entries quote what follows
                                module[kind].update({a.name: tables[kind][a.name] for a in node.names
                                                     if a.name in tables[kind] and a.name != "PROG"})
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
                    elif isinstance(node, ast.keyword) and node.arg == "hints" and isinstance(node.value, ast.Dict):
                        for value in node.value.values:  # a layer rule's messages (layer_table.py)
                            for parts in _fragments(value, module) or []:
                                key = max((_normalise(p).strip(" :;,.()'\"/") for p in parts), key=len)
                                found.append((f"{os.path.relpath(path, ROOT)}:{value.lineno}", key, parts))
                    elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "message"
                                                              for t in node.targets):
                        message = node.value
                    if message is None:
                        continue
                    where = f"{os.path.relpath(path, ROOT)}:{node.lineno}"
                    for parts in _fragments(message, module) or []:  # None: passes another message on
                        key = max((_normalise(p).strip(" :;,.()'\"/") for p in parts), key=len)
                        if len(key) >= _MIN_KEY:
                            found.append((where, key, parts))
    return found


def _section(text, word):
    """The sections of a Markdown text whose heading contains `word` (with their subsections)."""
    kept, keep, level = [], False, 0
    for line in text.splitlines():
        heading = re.match(r"(#+) ", line)
        if heading:
            if word in line:
                keep, level = True, len(heading.group(1))
            elif len(heading.group(1)) <= level:
                keep = False
        if keep:
            kept.append(line)
    return "\n".join(kept)


def troubleshooting_text():
    """docs/troubleshooting.md, whitespace-normalised."""
    return _normalise(_read(TROUBLESHOOTING))


def test_every_error_message_is_in_the_troubleshooting():
    """Every error message template in converter/ and codec/ has a line in
    docs/troubleshooting.md. Matching rule: a template's key is its longest fixed part (the text between
    placeholders), whitespace-normalised and trimmed of surrounding ' :;,.('; the troubleshooting
    text (whitespace-normalised) must contain that key verbatim. Templates whose fixed parts are
    all shorter than 6 characters (e.g. f"{where}: {err}") only pass another message on and are
    skipped; that message is checked where it is raised."""
    templates = error_templates()
    assert len(templates) > 120  # the extraction itself works (found ~140 when written)
    text = troubleshooting_text()
    missing = sorted({f"{where}: {key}" for where, key in templates if key not in text})
    assert not missing, "docs/troubleshooting.md lacks:\n" + "\n".join(missing)


# -- the generated pages are current; `--help` matches docs/cli.md ------------------------------

def _generated_block(generator):
    from tools import gen_docs
    block = gen_docs.current_block(_read(os.path.join(ROOT, generator.DOC)), generator)
    assert block, f"{generator.DOC} has no generated block (run tools/gen_docs.py)"
    return block


def _reference_section(command):
    """docs/cli.md's generated section for `command`, whitespace-normalised, with the Markdown
    table escapes (`\\|`) undone."""
    from tools import gen_cli_docs
    block = _generated_block(gen_cli_docs)
    match = re.search(rf"^### `tfjs-export {command}`$(.*?)(?=^### |\Z)", block, re.M | re.S)
    assert match, f"docs/cli.md has no section for {command}"
    return _normalise(match.group(1).replace("\\|", "|"))


def test_cli_reference_is_current():
    """docs/cli.md's block equals what tools/gen_cli_docs.py makes from the parsers now."""
    from tools import gen_cli_docs
    assert _generated_block(gen_cli_docs) == gen_cli_docs.render(), \
        "docs/cli.md is stale: run tools/gen_docs.py"


def test_layer_support_table_is_current():
    """docs/layers.md's support table equals what tools/gen_layer_docs.py makes from the layer
    table now, and lists every class of the table."""
    from tools import gen_layer_docs
    from tfjs_export.converter.layers_config.layer_table import MISMATCHED, RULES
    block = _generated_block(gen_layer_docs)
    assert block == gen_layer_docs.render(), "docs/layers.md's support table is stale: run tools/gen_docs.py"
    for name in list(RULES) + list(MISMATCHED):
        assert f"| `{name}` |" in block, name


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_help_matches_the_readme(command):
    """`python -m tfjs_export.converter.cli COMMAND --help` (a real process, unwrapped): its usage, description,
    every argument as listed and every help text (whitespace-normalised) appear in docs/cli.md's
    section for COMMAND, and every option string it shows is there too."""
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
        assert f"`{listed}` | {text} |" in section, f"docs/cli.md's {command} section lacks {listed}: {text}"
    for option in set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", shown)):
        assert option in section, f"`{command} --help` shows {option}, docs/cli.md does not"


# -- every message the docs quote is one the code can print ----------------------------------

# Placeholders in a quoted message: <name>, ..., …, [..]
_DOC_PLACEHOLDER = re.compile(r"'?(?:<[^<>`]*>|\.\.\.|…|\[\.\.\])'?")
_CODE_PLACEHOLDER = "\x00"  # where a template has a value filled in


def _quoted_messages(text):
    """[(message, row)] for every `code span` in the first cell of a table row under a heading of
    `text` (a troubleshooting page: the first column quotes messages)."""
    found = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        first = line.split(" | ")[0]
        found += [(span, line) for span in re.findall(r"`([^`]+)`", first)]
    return found


def _templates():
    """Every message the code can print, as its fixed parts joined by a placeholder mark: the
    templates error_templates checks, and argparse's own messages for a bad command line."""
    return [_CODE_PLACEHOLDER.join(re.sub(r"\s+", " ", p) for p in parts) for _, _, parts in message_templates()
            ] + _argparse_messages()


def _argparse_messages():
    """What argparse itself prints for bad command lines (exit 2), from real parser runs."""
    import contextlib
    import io
    parser = cli._parser(cli._modules())
    out = []
    for argv in (["convert"], ["nope"], ["inspect", "a", "b", "c"], ["convert", "a", "b", "--samples"]):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit):
            parser.parse_args(argv)
        out.append(re.sub(r"\s+", " ", stderr.getvalue()))
    return out


def _matches(message, templates):
    """A quoted message matches a template when its fixed parts appear in it in order, with
    only the doc's placeholders standing for the template's filled-in values."""
    message = re.sub(r"^(?:<[^<>]*>|\.\.\.|…)\s*:?\s*", "", message)  # the file the error names
    pieces = [re.escape(re.sub(r"\s+", " ", p)) for p in _DOC_PLACEHOLDER.split(message)]
    pattern = re.compile("(?s)" + ".*?".join(pieces))
    return any(pattern.search(text) for text in templates)


@pytest.mark.parametrize("page", ["docs/troubleshooting.md", "README.md"])
def test_every_quoted_message_is_one_the_code_prints(page):
    """Every message quoted in the first column of a troubleshooting table (all of
    docs/troubleshooting.md; the README's Troubleshooting section) matches a message template in
    converter/ or codec/, or what argparse prints: stale or misquoted entries fail."""
    text = _read(os.path.join(ROOT, page))
    if page == "README.md":
        text = _section(text, "Troubleshooting")
    quoted = _quoted_messages(text)
    assert len(quoted) > (100 if page != "README.md" else 3)
    templates = _templates()
    stale = sorted({message for message, _ in quoted if not _matches(message, templates)})
    assert not stale, f"{page} quotes messages the code cannot print:\n" + "\n".join(stale)
