"""TensorProto <-> numpy without TensorFlow (what tf.make_ndarray / tf.make_tensor_proto do, for
the dtypes a graph model holds), and the TF DataType enum <-> numpy dtype table."""

import numpy as np

from tfjs_export.codec import element_count
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

DT_STRING, DT_RESOURCE = 7, 20
# TensorFlow DataType enum -> numpy dtype.
DT_COMPLEX64 = 8
NUMPY_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
                DT_COMPLEX64: np.complex64, 9: np.int64, 10: np.bool_, 17: np.uint16, 19: np.float16,
                22: np.uint32, 23: np.uint64}
_ENUMS = {np.dtype(v): k for k, v in NUMPY_DTYPES.items()}

# Where a TensorProto without tensor_content keeps its values, per dtype enum.
_VALUE_FIELDS = {1: "float_val", 2: "double_val", 3: "int_val", 4: "int_val", 5: "int_val",
                 6: "int_val", DT_COMPLEX64: "scomplex_val", 9: "int64_val", 10: "bool_val", 17: "int_val", 19: "half_val",
                 22: "uint32_val", 23: "uint64_val", DT_STRING: "string_val"}


# TF.js tensors are indexed by 32-bit integers in WebGL/WASM: no tensor has more elements.
MAX_ELEMENTS = 2 ** 31 - 1


def dtype_enum(dtype):
    """numpy dtype -> TF DataType enum (strings/objects -> DT_STRING)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "SUO":
        return DT_STRING
    if dtype not in _ENUMS:
        raise ValueError(f"no TensorFlow dtype for numpy {dtype}")
    return _ENUMS[dtype]


def to_numpy(tensor):
    """A TensorProto's value as a numpy array (object array of bytes for strings)."""
    shape = [d.size for d in tensor.tensor_shape.dim]
    count = element_count(shape)  # exact: an int64 product of a declared shape can wrap around
    if count > MAX_ELEMENTS or any(d < 0 for d in shape):
        raise ValueError(f"a constant declares shape {shape}: not a tensor TF.js can hold")
    if tensor.dtype == DT_STRING:
        values = list(tensor.string_val)
        return np.array(_fill(values, count, b""), dtype=object).reshape(shape)
    if tensor.dtype not in NUMPY_DTYPES:
        raise ValueError(f"unsupported tensor dtype enum {tensor.dtype}")
    dtype = NUMPY_DTYPES[tensor.dtype]
    if tensor.tensor_content:
        if len(tensor.tensor_content) != count * np.dtype(dtype).itemsize:
            raise ValueError(f"a constant of shape {shape} holds {len(tensor.tensor_content)} bytes, "
                             f"its shape needs {count * np.dtype(dtype).itemsize}")
        return np.frombuffer(tensor.tensor_content, dtype=dtype).reshape(shape)
    values = getattr(tensor, _VALUE_FIELDS[tensor.dtype])
    if tensor.dtype == 19:  # half_val holds the float16 bit patterns as ints
        values = np.array(values, dtype=np.uint16).view(np.float16)
    elif tensor.dtype == DT_COMPLEX64:  # scomplex_val holds (real, imaginary) float pairs
        values = np.array(values, dtype=np.float32).view(np.complex64)
    return np.array(_fill(list(values), count, 0), dtype=dtype).reshape(shape)


def _fill(values, count, zero):
    """TF's rule: a short value list is padded with its last value (a scalar fills the shape)."""
    if not values:
        return [zero] * count
    return values[:count] + [values[-1]] * (count - len(values))


def to_tensor_proto(array):
    """A numpy array (or object array of bytes) as a TensorProto."""
    protos = tensorflow_protos()
    array = np.asarray(array)
    tensor = protos.tensor_pb2.TensorProto(dtype=dtype_enum(array.dtype))
    for size in array.shape:
        tensor.tensor_shape.dim.add(size=size)
    if tensor.dtype == DT_STRING:
        tensor.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1))
    else:
        tensor.tensor_content = np.ascontiguousarray(array).tobytes()  # x86/ARM: little-endian, as TF
    return tensor
