"""converter/official_options.py against both command lines: it lists exactly the options of the
official tensorflowjs_converter 4.22 (its own argparse parser, from the `tensorflowjs` package
installed as our reference), every option of ours it names exists in `convert --help`, and
docs/official.md's generated table is current."""

import os

from tfjs_export.converter.official_options import OPTIONS

# tensorflowjs imports tensorflow_decision_forests, whose welcome message imports IPython unless
# told not to (IPython is not installed).
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _official_names():
    from tensorflowjs.converters import converter
    names = []
    for action in converter.get_arg_parser()._actions:
        if action.option_strings:
            if action.dest != "help":
                names.append(max(action.option_strings, key=len))
        else:
            names.append(action.dest)
    return names


def _our_convert_parser():
    from tools import gen_cli_docs
    return dict(gen_cli_docs.subcommand_parsers())["convert"]


def test_every_official_option_is_listed_once():
    listed = [o.official for o in OPTIONS]
    assert sorted(listed) == sorted(_official_names())
    assert len(set(listed)) == len(listed)


def test_every_option_of_ours_named_exists():
    parser = _our_convert_parser()
    ours = {s for a in parser._actions for s in a.option_strings} | {a.metavar for a in parser._actions
                                                                     if not a.option_strings}
    from tfjs_export.converter import cli
    ours |= {"--version"} if any("--version" in a.option_strings
                                 for a in cli._parser(cli._modules())._actions) else set()
    missing = [o.ours for o in OPTIONS if o.ours and o.ours not in ours]
    assert not missing


def test_the_official_format_names_are_ours_too():
    from tensorflowjs.converters import converter
    from tfjs_export.converter.options import OUTPUT_FORMATS
    from tfjs_export.converter.readers import INPUT_FORMATS
    actions = {a.dest: a for a in converter.get_arg_parser()._actions}
    assert set(actions["input_format"].choices) <= set(INPUT_FORMATS)
    assert set(actions["output_format"].choices) <= set(OUTPUT_FORMATS)


def test_docs_table_is_current():
    from tools import gen_docs, gen_official_docs
    with open(os.path.join(ROOT, gen_official_docs.DOC), encoding="utf-8") as f:
        block = gen_docs.current_block(f.read(), gen_official_docs)
    assert block == gen_official_docs.render(), "docs/official.md is stale: run tools/gen_docs.py"
