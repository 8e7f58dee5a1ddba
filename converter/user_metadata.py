"""User metadata files for model.json's userDefinedMetadata (`--metadata=KEY:FILE.json[,...]`, the
official converter's form): each file's JSON content is stored under its KEY, as TF.js exposes it
(`model.getUserDefinedMetadata()[KEY]`)."""

import json

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.small_files import read_small_file

MAX_BYTES = 1 << 20  # a metadata file rides inside model.json, which a browser parses whole
_RESERVED = ("tfjs_export", "labels")  # written by --metadata / --labels


def read_metadata_files(spec, resolve=lambda p: p):
    """{key: parsed JSON} from "key:path[,key:path...]"; ConversionError naming the file or entry."""
    found = {}
    for entry in (e.strip() for e in spec.split(",")):
        key, sep, path = entry.partition(":")
        if not sep or not key or not path:
            raise ConversionError(f"--metadata: expected KEY:FILE.json, got {entry!r}")
        if key in _RESERVED or key in found:
            raise ConversionError(f"--metadata: key {key!r} is {'used twice' if key in found else 'reserved'}")
        path = resolve(path)
        data = read_small_file(path, "metadata file", MAX_BYTES)
        try:
            found[key] = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise ConversionError(f"metadata file is not valid JSON ({err})", path) from None
    return found
