"""Read a TensorFlow checkpoint (the "tensor bundle" of a SavedModel's `variables/`) without TF.

A bundle is `PREFIX.index`, a LevelDB-format table mapping each tensor key to a
`BundleEntryProto` (dtype, shape, data shard, offset, size), plus the data files
`PREFIX.data-0000N-of-0000M` holding the raw little-endian tensor bytes. The table is parsed here
in Python and every numeric tensor is returned as a read-only numpy memory map of its data file:
reading ResNet50's 100 MB of weights costs no copy and no TensorFlow import (5 s, 550 MB).

Everything read from the files is bounds-checked: a damaged or hostile checkpoint is a
ConversionError, never a crash or a huge allocation.
"""

import os
import struct

import numpy as np

from tfjs_export.codec import element_count
from tfjs_export.converter.errors import ConversionError, os_error_message
from tfjs_export.converter.graph.tensors import DT_STRING, NUMPY_DTYPES
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48
_BLOCK_TRAILER_SIZE = 5  # compression type byte + crc32c
_NO_COMPRESSION = 0

class TensorBundle:
    """The tensors of one checkpoint: `entries` (key -> BundleEntryProto), `array(key)`."""

    def __init__(self, prefix):
        self.prefix = prefix
        index_path = prefix + ".index"
        try:
            with open(index_path, "rb") as f:
                table = f.read()
        except OSError as err:
            raise ConversionError(f"cannot read the checkpoint index: {os_error_message(err)}", index_path) from None
        protos = tensorflow_protos()
        self.entries = {}
        header = None
        try:
            for key, value in _table_items(table, index_path):
                if key == b"":
                    header = protos.tensor_bundle_pb2.BundleHeaderProto.FromString(value)
                    continue
                entry = protos.tensor_bundle_pb2.BundleEntryProto.FromString(value)
                self.entries[key.decode("utf-8", "replace")] = entry
        except ConversionError:
            raise
        except Exception as err:  # protobuf's DecodeError: a damaged entry
            raise _damaged(f"an entry does not parse ({err})", index_path) from None
        if header is None:
            raise _damaged("no bundle header", index_path)
        if header.endianness != 0:  # 0 = little-endian, as numpy reads below
            raise ConversionError("big-endian checkpoints are not supported: save the model on a "
                                  "little-endian machine", index_path)
        self.num_shards = header.num_shards
        self._maps = {}

    def _data_path(self, shard_id):
        return f"{self.prefix}.data-{shard_id:05d}-of-{self.num_shards:05d}"

    def _shard(self, shard_id):
        if shard_id not in self._maps:
            path = self._data_path(shard_id)
            if not 0 <= shard_id < self.num_shards:
                raise _damaged(f"an entry names data shard {shard_id} of {self.num_shards}", self.prefix + ".index")
            try:
                size = os.path.getsize(path)
                self._maps[shard_id] = np.memmap(path, dtype=np.uint8, mode="r") if size else np.zeros(0, np.uint8)
            except OSError as err:
                raise ConversionError(f"cannot read checkpoint data: {os_error_message(err)}", path) from None
        return self._maps[shard_id]

    def _bytes(self, key):
        entry = self.entries.get(key)
        if entry is None:
            raise ConversionError(f"checkpoint has no tensor '{key}'", self.prefix + ".index")
        if entry.slices:
            raise _bad_tensor(key, "it is saved in slices (a partitioned variable), which is not supported",
                                  self.prefix + ".index")
        data = self._shard(entry.shard_id)
        if entry.offset < 0 or entry.size < 0 or entry.offset + entry.size > data.size:
            raise _bad_tensor(key, "it lies outside its data file (truncated?)",
                                  self._data_path(entry.shard_id))
        return entry, data[entry.offset:entry.offset + entry.size]

    def array(self, key):
        """The tensor `key` as a read-only numpy array (a memory map for numeric dtypes)."""
        entry, raw = self._bytes(key)
        shape = [d.size for d in entry.shape.dim]
        if any(d < 0 for d in shape):
            raise _bad_tensor(key, "a negative dimension", self.prefix + ".index")
        # Exact Python integers: a numpy int64 product of a declared shape can wrap around back to
        # the true element count (e.g. [2**62 + n/4, 4]) and pass the size check below.
        count = element_count(shape)
        if entry.dtype == DT_STRING:
            if count > raw.size:  # each element takes at least its one-byte length
                raise _bad_tensor(key, f"its shape {shape} declares {count:,} strings but it holds {raw.size} bytes",
                                  self.prefix + ".index")
            return np.array(_decode_strings(bytes(raw), count, key, self.prefix), dtype=object).reshape(shape)
        dtype = NUMPY_DTYPES.get(entry.dtype)
        if dtype is None:
            raise _bad_tensor(key, f"unsupported dtype enum {entry.dtype}",
                                  self.prefix + ".index")
        if count * np.dtype(dtype).itemsize != raw.size:
            raise _bad_tensor(key, f"it holds {raw.size} bytes, its shape "
                                  f"{shape} needs {count * np.dtype(dtype).itemsize}", self.prefix + ".index")
        return raw.view(dtype).reshape(shape)


def _damaged(detail, where):
    """The error for a checkpoint index whose structure is broken (one message: re-export)."""
    return ConversionError(f"damaged checkpoint index, re-export the SavedModel ({detail})", where)


def _bad_tensor(key, detail, where):
    return ConversionError(f"checkpoint tensor '{key}' cannot be read: {detail}", where)


def _decode_strings(raw, count, key, prefix):
    """A string tensor: `count` varint lengths, a 4-byte checksum of them, then the bytes."""
    pos, lengths = 0, []
    for _ in range(count):
        length, pos = _varint(raw, pos, prefix)
        lengths.append(length)
    pos += 4
    if pos + sum(lengths) > len(raw):
        raise _bad_tensor(key, "the string tensor is truncated", prefix + ".data")
    out = []
    for length in lengths:
        out.append(raw[pos:pos + length])
        pos += length
    return out


def _varint(buf, pos, where):
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _damaged("malformed varint", where)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _block_handle(buf, pos, where):
    offset, pos = _varint(buf, pos, where)
    size, pos = _varint(buf, pos, where)
    return offset, size, pos


def _read_block(table, offset, size, where):
    end = offset + size
    if end + _BLOCK_TRAILER_SIZE > len(table):
        raise _damaged("a block lies outside the file (truncated?)", where)
    kind = table[end]
    block = table[offset:end]
    if kind != _NO_COMPRESSION:  # TF's BundleWriter never compresses its index blocks
        raise _damaged(f"a block is compressed (type {kind}), which TF never writes", where)
    return block


def _block_entries(block, where):
    """(key, value) pairs of one table block (keys are prefix-compressed)."""
    if len(block) < 4:
        raise _damaged("a block is too short", where)
    num_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise _damaged("a block has a bad restart count", where)
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos, where)
        non_shared, pos = _varint(block, pos, where)
        value_length, pos = _varint(block, pos, where)
        if shared > len(key) or pos + non_shared + value_length > limit:
            raise _damaged("an entry overruns its block", where)
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + value_length]
        pos += value_length


def _table_items(table, where):
    if len(table) < _FOOTER_SIZE or struct.unpack_from("<Q", table, len(table) - 8)[0] != _TABLE_MAGIC:
        raise _damaged("bad table magic", where)
    footer = table[len(table) - _FOOTER_SIZE:]
    _, _, pos = _block_handle(footer, 0, where)  # the metaindex block: unused by bundles
    index_offset, index_size, _ = _block_handle(footer, pos, where)
    for _, handle in _block_entries(_read_block(table, index_offset, index_size, where), where):
        offset, size, _ = _block_handle(handle, 0, where)
        yield from _block_entries(_read_block(table, offset, size, where), where)
