"""`tfjs-export-layers.js`: the JS layer classes a converted Layers model needs, in one file.

Our TF.js classes (converter/layers_js/, the npm package `tfjs-export-layers`) live in one
CommonJS module per class family, `src/<family>.js`, exporting `{provides: [...], needs: [...],
define(tf, lib)}` and requiring nothing. A model that uses some of them names them in model.json
as `tfjs-export-layers>Name` (the registered name, see src/registry.js); `write_library` writes
next to model.json one self-contained file holding registry.js and the families providing those
classes (with the families they need), usable

  - in Node: `require(dir + '/tfjs-export-layers.js').register(tf)`, with the application's tf;
  - in a page: `<script src="tfjs-export-layers.js">` after tf.min.js (registers itself with the
    global `tf`, and leaves the library as `tfjsExportLayers`).

Same classes, same bytes: the families are listed in a fixed order and nothing else varies.
"""

import json
import os
import re

LIBRARY_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "layers_js")
PACKAGE = "tfjs-export-layers"  # the npm package's name and the registered names' prefix
FILE_NAME = f"{PACKAGE}.js"
_REGISTRY = "registry"  # src/registry.js: builds register(tf); not a family
_COMMON = "common"  # src/common.js: helpers every family's lib holds
# One line each, a list of single-quoted names: `provides: ['GRU', 'GRUCell'],`
_LIST = r"^\s*{key}:\s*\[([^\]\n]*)\],?\s*$"


def registered_name(class_name):
    """The class name model.json records for our JS class `class_name`."""
    return f"{PACKAGE}>{class_name}"


def version():
    """The package's version (package.json; tests keep it equal to the converter's)."""
    with open(os.path.join(LIBRARY_DIR, "package.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


def _names(source, key, path):
    match = re.search(_LIST.format(key=key), source, re.M)
    if not match:
        raise ValueError(f"{path}: no {key} list written on one line")
    return [name.strip().strip("'") for name in match.group(1).split(",") if name.strip()]


def families():
    """{family: (provides, needs)} of every module of src/ but the registry."""
    found = {}
    src = os.path.join(LIBRARY_DIR, "src")
    for file_name in sorted(os.listdir(src)):
        name, ext = os.path.splitext(file_name)
        if ext != ".js" or name == _REGISTRY:
            continue
        path = os.path.join(src, file_name)
        with open(path, encoding="utf-8") as f:
            source = f.read()
        found[name] = (tuple(_names(source, "provides", path)), tuple(_names(source, "needs", path)))
    return found


def provided_classes():
    """{class name: family} of every class the library provides."""
    return {cls: family for family, (provides, _) in families().items() for cls in provides}


def classes_in(topology):
    """The sorted names of our classes a Layers topology uses (nested layers included)."""
    prefix = registered_name("")
    found = set()

    def walk(value):
        if isinstance(value, dict):
            name = value.get("class_name")
            if isinstance(name, str) and name.startswith(prefix):
                found.add(name[len(prefix):])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(topology)
    return sorted(found)


def families_for(classes):
    """The families holding `classes`, with the families they need, in a fixed order (sorted by
    name; registry.js orders them by `needs` at run time). ValueError for a class we lack."""
    table = families()
    provider = {cls: family for family, (provides, _) in table.items() for cls in provides}
    missing = sorted(set(classes) - set(provider))
    if missing:
        raise ValueError(f"no family of {PACKAGE} provides {', '.join(missing)}")
    wanted, todo = set(), [_COMMON] + [provider[c] for c in classes]
    while todo:
        family = todo.pop()
        if family not in wanted:
            wanted.add(family)
            todo.extend(table[family][1])
    return sorted(wanted)


def _module(path):
    with open(path, encoding="utf-8") as f:
        body = f.read().rstrip("\n")
    return "load(function (module, exports) {\n" + body + "\n})"


def library_source(classes):
    """The text of tfjs-export-layers.js holding `classes` (and what they need)."""
    src = os.path.join(LIBRARY_DIR, "src")
    names = families_for(classes)
    provided = sorted(c for f in names for c in families()[f][0])
    parts = ",\n".join(f"  Object.assign({{name: {json.dumps(f)}}}, {_module(os.path.join(src, f + '.js'))})"
                       for f in names)
    return f"""/* {PACKAGE} {version()}: TF.js layer classes {', '.join(provided)}.
 * Written by tfjs-export next to model.json. Node: require('./{FILE_NAME}').register(tf) before
 * tf.loadLayersModel; a page: <script src="{FILE_NAME}"></script> after tf.min.js. */
(function (root, factory) {{
  'use strict';
  var library = factory();
  if (typeof module === 'object' && module.exports) {{
    module.exports = library;
  }} else {{
    if (!root.tf || !root.tf.layers) {{
      throw new Error('{FILE_NAME}: load TensorFlow.js (tf.min.js) before this script');
    }}
    library.register(root.tf);
    root.tfjsExportLayers = library;
  }}
}})(typeof globalThis !== 'undefined' ? globalThis : this, function () {{
  'use strict';
  function load(source) {{
    var module = {{exports: {{}}}};
    source(module, module.exports);
    return module.exports;
  }}
  var registry = {_module(os.path.join(src, _REGISTRY + '.js'))};
  return registry.makeRegister([
{parts}
  ]);
}});
"""


def write_library(out_dir, topology):
    """Write tfjs-export-layers.js into `out_dir` when the Layers `topology` uses our classes;
    return (file name or None, the classes it uses)."""
    classes = classes_in(topology)
    if not classes:
        return None, classes
    with open(os.path.join(out_dir, FILE_NAME), "w", encoding="utf-8", newline="\n") as f:
        f.write(library_source(classes))
    return FILE_NAME, classes
