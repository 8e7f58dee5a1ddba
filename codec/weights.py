"""Weight shards: write (pack + quantise + shard) and read TF.js weight groups.

Contract (checked by codec/tests/test_weights.py against the official
`tensorflowjs.write_weights.write_weights` / TF.js `decodeWeights`):

Layout. A group's weights are concatenated in the given order as raw
little-endian bytes (float32, int32, complex64 as (re, im) float32 pairs,
bool and uint8 as one byte each; a string tensor as, per element in C order,
a uint32 LE byte length then the UTF-8 bytes; quantised float32 tensors as
their float16 / uint8 / uint16 codes), and the concatenation is cut into files
``group{G}-shard{i}of{N}.bin`` (1-based) of exactly `shard_size` bytes, the
last one shorter. A shard boundary may fall anywhere, inside a tensor or
exactly between two. Zero total bytes (no weights, or only empty tensors)
gives ``"paths": []`` and writes no file, as the official package does.

`write_weights(weights, out_dir, shard_size=4194304, group=1, progress=None)`:
  `weights` is a sequence of ``(name, array, quantize)``; `quantize` is None
  or "float16" / "uint8" / "uint16" (see codec.quantization). As in the
  official package, `quantize` only applies to float32 arrays; a non-float32
  array is written unquantised. Supported array dtypes: float32, int32, bool,
  uint8, complex64 and strings (object arrays of str/bytes, or numpy str_/bytes_
  arrays); any other dtype (float64, int64, float16, ...) raises `CodecError`
  naming the weight (narrow dtypes before calling). Names must be unique
  within the call. Returns the manifest group
  ``{"paths": [...], "weights": [{"name", "shape", "dtype", "quantization"?}]}``
  with the official package's keys, key order and values.

  Streaming: a first pass validates every weight and computes the total size
  (affine min/max, string byte lengths), so every `CodecError` is raised
  before a file is created; the second pass encodes tensor by tensor in
  chunks of 256 Ki elements straight into the open shard file. Peak extra
  memory is one chunk for numeric tensors, one tensor's encoding for strings,
  plus a contiguous copy of an input that is not C-contiguous little-endian.
  Output is deterministic: same input, same bytes.

`read_weights(manifest, model_dir)`:
  `manifest` is model.json's ``weightsManifest`` (a list of groups). Returns an
  insertion-ordered ``{name: np.ndarray}``: quantised weights dequantised as
  TF.js does (float32), bool as bool, strings as object arrays of `str`
  (of `bytes` if some element of that tensor is not valid UTF-8). A missing
  shard, a group whose shards hold fewer or more bytes than its weights need,
  an unknown dtype, a duplicate name or a path leaving `model_dir` (absolute or
  with `..`) raises `CodecError` naming the file or weight. An empty string tensor occupies 0 bytes (as TF.js reads it).
"""

import os

import numpy as np

from tfjs_export.codec.errors import CodecError, CodecWriteError
from tfjs_export.codec import quantization as _q
from tfjs_export.codec.sizes import DEFAULT_SHARD_SIZE, DTYPE_BYTES, element_count

_CHUNK = 1 << 18  # elements per encode chunk (1 MiB of float32 input)

# (numpy kind, itemsize) -> manifest dtype, for arrays written unquantised.
_RAW_DTYPES = {
    ("f", 4): "float32",
    ("i", 4): "int32",
    ("b", 1): "bool",
    ("u", 1): "uint8",
    ("c", 8): "complex64",
}
# manifest dtype -> little-endian numpy dtype read from the shards.
_READ_DTYPES = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
    "uint8": np.dtype("u1"),
    "complex64": np.dtype("<c8"),
}
_QUANT_ITEMSIZE = {q: DTYPE_BYTES[q] for q in _q.QUANTIZATION_DTYPES}


# ----------------------------------------------------------------------------- write

class _Entry(object):
    __slots__ = ("name", "array", "kind", "nbytes", "qdtype", "params", "flat", "manifest")


def _encode_strings(array, name):
    """Yields the encoded bytes of each element (uint32 LE length + UTF-8)."""
    for x in array.reshape(-1).tolist():
        if isinstance(x, bytes):
            b = x
        elif isinstance(x, str):
            try:
                b = x.encode("utf-8")
            except UnicodeEncodeError as e:
                raise CodecError("weight %r: string element is not encodable as UTF-8 (%s)" % (name, e))
        else:
            raise CodecError("weight %r: string tensor holds a %s, expected str or bytes"
                             % (name, type(x).__name__))
        if len(b) > 0xFFFFFFFF:
            raise CodecError("weight %r: string element longer than 4 GiB" % (name,))
        yield len(b).to_bytes(4, "little")
        yield b


def _prepare(item, seen):
    try:
        name, array, quantize = item
    except (TypeError, ValueError):
        raise CodecError("each weight must be a (name, array, quantize) tuple, got %r" % (item,))
    if not isinstance(name, str):
        raise CodecError("weight name must be a str, got %r" % (name,))
    if name in seen:
        raise CodecError("duplicate weight name %r" % (name,))
    seen.add(name)
    if isinstance(array, np.generic):  # numpy scalar -> 0-d array
        array = np.asarray(array)
    if not isinstance(array, np.ndarray):
        raise CodecError("weight %r: expected a numpy array, got %s" % (name, type(array).__name__))
    if quantize is not None:
        _q.check_dtype(quantize, name)
    e = _Entry()
    e.name, e.array, e.qdtype, e.params, e.flat = name, array, None, None, None
    kind = array.dtype.kind
    if kind in "OUS":
        dtype = "string"
        e.kind = "string"
        e.nbytes = sum(len(b) for b in _encode_strings(array, name))
    else:
        dtype = _RAW_DTYPES.get((kind, array.dtype.itemsize))
        if dtype is None:
            raise CodecError(
                "weight %r: dtype %s is not supported (supported: float32, int32, bool, uint8, "
                "complex64, string; convert float64/int64 first)" % (name, array.dtype.name))
        e.kind = "raw"
        e.nbytes = array.size * array.dtype.itemsize
    e.manifest = {"name": name, "shape": [int(d) for d in array.shape], "dtype": dtype}
    if quantize is not None and dtype == "float32":
        e.kind = "quant"
        e.qdtype = quantize
        e.flat = _q.float32_flat(array, name)
        qentry, e.params = _q.plan(array, e.flat, quantize, name)
        e.manifest["quantization"] = qentry
        e.nbytes = array.size * _QUANT_ITEMSIZE[quantize]
    return e


class _ShardWriter(object):
    """Writes a byte stream into fixed-size shard files, opening each lazily."""

    def __init__(self, out_dir, group, total, shard_size, progress=None):
        self.progress = progress
        self.total = total
        self.num = -(-total // shard_size)  # ceil, in exact integer arithmetic
        self.paths = ["group%d-shard%dof%d.bin" % (group, i + 1, self.num) for i in range(self.num)]
        self.out_dir = out_dir
        self.shard_size = shard_size
        self.index = 0
        self.f = None
        self.room = 0
        self.written = 0

    def _path(self):
        return os.path.join(self.out_dir, self.paths[self.index])

    def write(self, buf):
        mv = memoryview(buf)
        if mv.ndim != 1 or mv.itemsize != 1:
            mv = mv.cast("B")
        n = len(mv)
        pos = 0
        while pos < n:
            if self.f is None:
                if self.index >= self.num:
                    raise CodecError("internal error: more bytes than planned (was an array modified while writing?)")
                try:
                    self.f = open(self._path(), "wb", buffering=0)
                except OSError as e:
                    raise CodecWriteError("%s: cannot create: %s" % (self._path(), e.strerror or e),
                                          e.strerror or str(e))
                self.room = self.shard_size
            k = min(self.room, n - pos)
            chunk = mv[pos:pos + k]
            try:
                while len(chunk):
                    w = self.f.write(chunk)
                    chunk = chunk[w:]
            except OSError as e:
                raise CodecWriteError("%s: cannot write: %s" % (self._path(), e.strerror or e),
                                      e.strerror or str(e))
            pos += k
            self.room -= k
            self.written += k
            if self.progress is not None:
                self.progress(self.written, self.total)
            if self.room == 0:
                self._close_current()

    def _close_current(self):
        f, self.f = self.f, None
        try:
            f.close()
        except OSError as e:
            raise CodecWriteError("%s: cannot write: %s" % (self._path(), e.strerror or e),
                                  e.strerror or str(e))
        self.index += 1

    def finish(self, total):
        if self.f is not None:
            self._close_current()
        if self.written != total or self.index != self.num:
            raise CodecError("internal error: wrote %d bytes in %d shards, planned %d in %d "
                             "(was an array modified while writing?)"
                             % (self.written, self.index, total, self.num))

    def abort(self):
        if self.f is not None:
            try:
                self.f.close()
            except OSError:
                pass
            self.f = None


def _raw_bytes(array):
    a = array
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    a = np.ascontiguousarray(a).reshape(-1)
    return a.view(np.uint8)


def write_weights(weights, out_dir, shard_size=DEFAULT_SHARD_SIZE, group=1, progress=None):
    """Packs, quantises and shards `weights` into `out_dir`; returns the manifest group.

    `progress`, if given, is called as progress(bytes_written, total_bytes) as shards fill.
    See the module docstring for the full contract.
    """
    if isinstance(shard_size, bool) or not isinstance(shard_size, (int, np.integer)) or shard_size <= 0:
        raise CodecError("shard_size must be a positive integer, got %r" % (shard_size,))
    if isinstance(group, bool) or not isinstance(group, (int, np.integer)) or group < 1:
        raise CodecError("group must be an integer >= 1, got %r" % (group,))
    shard_size, group = int(shard_size), int(group)
    seen = set()
    entries = [_prepare(item, seen) for item in weights]  # pass 1: validate, size, min/max
    total = sum(e.nbytes for e in entries)
    if total:
        os.makedirs(out_dir, exist_ok=True)
    writer = _ShardWriter(out_dir, group, total, shard_size, progress)
    bufs = {}
    try:
        for e in entries:  # pass 2: encode and write
            if e.nbytes == 0:
                continue
            if e.kind == "raw":
                writer.write(_raw_bytes(e.array))
            elif e.kind == "string":
                writer.write(b"".join(_encode_strings(e.array, e.name)))
            else:
                itemsize = _QUANT_ITEMSIZE[e.qdtype]
                buf = bufs.get(itemsize)
                if buf is None:  # one reusable chunk buffer per code width
                    buf = bufs[itemsize] = np.empty(_CHUNK, np.uint8 if itemsize == 1 else np.uint16)
                flat, n = e.flat, e.flat.size
                for start in range(0, n, buf.size):
                    stop = min(start + buf.size, n)
                    out = buf[:stop - start]
                    _q.encode_chunk(e.qdtype, e.params, flat[start:stop], out)
                    writer.write(out.view(np.uint8))
        writer.finish(total)
    finally:
        writer.abort()
    return {"paths": writer.paths, "weights": [e.manifest for e in entries]}


# ----------------------------------------------------------------------------- read

class _GroupReader(object):
    """Reads a group's shards as one stream, file after file."""

    def __init__(self, files, sizes, group):
        self.files, self.sizes, self.group = files, sizes, group
        self.index = -1
        self.f = None
        self.left = 0
        self.remaining = sum(sizes)

    def _ends_early(self, n, name):
        raise CodecError(
            "%s: weight data ends early: weight %r of group %d needs %d more bytes but the "
            "group's shards have only %d left (truncated shard?)"
            % (self.files[-1] if self.files else "<no files>", name, self.group, n, self.remaining))

    def readinto(self, mv, name):
        n = len(mv)
        if n > self.remaining:
            self._ends_early(n, name)
        pos = 0
        while pos < n:
            while self.left == 0:
                self._next()
            k = min(n - pos, self.left)
            got = self.f.readinto(mv[pos:pos + k])
            if not got:
                raise CodecError("%s: file shrank while reading" % self.files[self.index])
            pos += got
            self.left -= got
            self.remaining -= got

    def read(self, n, name):
        if n > self.remaining:  # before allocating: a string's declared length may be anything
            self._ends_early(n, name)
        buf = bytearray(n)
        self.readinto(memoryview(buf), name)
        return bytes(buf)

    def _next(self):
        self.close()
        self.index += 1
        path = self.files[self.index]
        try:
            self.f = open(path, "rb")
        except OSError as e:
            raise CodecError("%s: cannot read: %s" % (path, e.strerror or e))
        self.left = self.sizes[self.index]

    def current_file(self):
        # The file holding the next unread byte.
        i, seen = 0, 0
        consumed = sum(self.sizes) - self.remaining
        for i, s in enumerate(self.sizes):
            if consumed < seen + s:
                return self.files[i]
            seen += s
        return self.files[-1]

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None


def _spec(w, gi):
    if not isinstance(w, dict) or not isinstance(w.get("name"), str):
        raise CodecError("weightsManifest group %d: bad weight entry %r" % (gi, w))
    name = w["name"]
    shape = w.get("shape")
    if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise CodecError("weight %r: bad shape %r" % (name, shape))
    dtype = w.get("dtype")
    quant = w.get("quantization")
    size = element_count(shape)
    if quant is not None:
        qd = quant.get("dtype") if isinstance(quant, dict) else None
        if qd not in _QUANT_ITEMSIZE:
            raise CodecError("weight %r: unknown quantization dtype %r" % (name, qd))
        if dtype not in ("float32", "int32") or (qd == "float16" and dtype != "float32"):
            raise CodecError("weight %r: %s quantisation of dtype %r is not supported" % (name, qd, dtype))
        nbytes = size * _QUANT_ITEMSIZE[qd]
    elif dtype == "string":
        nbytes = None
    elif dtype in _READ_DTYPES:
        nbytes = size * DTYPE_BYTES[dtype]
    else:
        raise CodecError("weight %r: unsupported dtype %r" % (name, dtype))
    return name, tuple(shape), size, dtype, quant, nbytes


def _size_error(files, sizes, expected, gi):
    total = sum(sizes)
    if not files:
        raise CodecError("weightsManifest group %d lists no files but its weights need %d bytes"
                         % (gi, expected))
    what = "short" if total < expected else "long"
    if len(files) > 1:
        full = max(sizes[:-1])
        for f, s in zip(files[:-1], sizes[:-1]):
            if s != full:
                raise CodecError("%s: shard is %d bytes but the other shards are %d (group %d needs %d "
                                 "bytes, its shards hold %d: too %s)" % (f, s, full, gi, expected, total, what))
        last = expected - full * (len(files) - 1)
    else:
        last = expected
    raise CodecError("%s: shard is %d bytes, expected %d (group %d needs %d bytes, its shards hold %d: "
                     "too %s)" % (files[-1], sizes[-1], last, gi, expected, total, what))


def _decode_strings(reader, name, size, shape):
    vals = []
    for _ in range(size):
        n = int.from_bytes(reader.read(4, name), "little")
        vals.append(reader.read(n, name))
    try:
        vals = [v.decode("utf-8") for v in vals]
    except UnicodeDecodeError:
        pass
    out = np.empty(size, dtype=object)
    out[:] = vals
    return out.reshape(shape)


def read_weights(manifest, model_dir):
    """Reads every weight of a TF.js weights manifest; see the module docstring."""
    if not isinstance(manifest, list):
        raise CodecError("weightsManifest must be a list of groups, got %s" % type(manifest).__name__)
    out = {}
    for gi, group in enumerate(manifest, 1):
        if not isinstance(group, dict) or not isinstance(group.get("paths"), list) \
                or not isinstance(group.get("weights"), list):
            raise CodecError("weightsManifest group %d must have 'paths' and 'weights' lists" % gi)
        for p in group["paths"]:
            if not isinstance(p, str) or not p or os.path.isabs(p) or ".." in p.replace("\\", "/").split("/"):
                raise CodecError("weightsManifest group %d: weight path %r leaves the model directory" % (gi, p))
        files = [os.path.join(model_dir, p) for p in group["paths"]]
        sizes = []
        for f in files:
            try:
                sizes.append(os.path.getsize(f))
            except OSError:
                raise CodecError("%s: weights file missing (listed in weightsManifest group %d)" % (f, gi))
        specs = [_spec(w, gi) for w in group["weights"]]
        if all(s[5] is not None for s in specs):
            expected = sum(s[5] for s in specs)
            if expected != sum(sizes):
                _size_error(files, sizes, expected, gi)
        reader = _GroupReader(files, sizes, gi)
        try:
            for name, shape, size, dtype, quant, nbytes in specs:
                if name in out:
                    raise CodecError("duplicate weight name %r in weightsManifest" % (name,))
                # Checked before allocating: a manifest may declare any shape (a group holding a
                # string tensor skips the whole-group size check above).
                least = 4 * size if (dtype == "string" and quant is None) else nbytes
                if least > reader.remaining:
                    raise CodecError(
                        "%s: weight %r of group %d declares shape %s (at least %d bytes) but the group's "
                        "shards have only %d bytes left" % (reader.current_file() if files else "<no files>",
                                                           name, gi, list(shape), least, reader.remaining))
                if dtype == "string" and quant is None:
                    out[name] = _decode_strings(reader, name, size, shape)
                    continue
                if quant is not None:
                    qd = quant["dtype"]
                    raw = np.empty(size, np.uint8 if qd == "uint8" else np.uint16)
                    reader.readinto(memoryview(raw.view(np.uint8)), name)
                    if qd == "float16":
                        raw = raw.view("<f2")
                    out[name] = _q.dequantize(raw.reshape(shape), quant)
                    continue
                rd = _READ_DTYPES[dtype]
                arr = np.empty(size, rd)
                reader.readinto(memoryview(arr.view(np.uint8)), name)
                if dtype == "bool":
                    arr = arr.astype(bool)
                out[name] = arr.reshape(shape)
            if reader.remaining:
                raise CodecError("%s: %d unexpected bytes after the last weight of group %d (shard too long?)"
                                 % (reader.current_file(), reader.remaining, gi))
        finally:
            reader.close()
    return out
