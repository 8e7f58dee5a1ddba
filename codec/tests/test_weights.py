"""codec.weights: shards and manifests byte-identical to tensorflowjs 4.22; round trips; errors."""
import json
import os
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from tfjs_export import codec
from tfjs_export.codec import CodecError

# Reference only (imports TensorFlow, ~7 s once per test process).
from tfjs_export.codec.tests import tfjs_reference

tfjs_read_weights = tfjs_reference.load("read_weights")
tfjs_write_weights = tfjs_reference.load("write_weights")


def ours(tmp_path, weights, shard_size=4194304, group=1, sub="ours"):
    d = tmp_path / sub
    d.mkdir(exist_ok=True)
    m = codec.write_weights(weights, str(d), shard_size=shard_size, group=group)
    return m, d


def official(tmp_path, weights, shard_size=4194304, sub="official"):
    d = tmp_path / sub
    d.mkdir(exist_ok=True)
    qmap = {}
    for name, _, q in weights:
        if q is not None:
            qmap.setdefault(q, []).append(name)
    group = [{"name": n, "data": a} for n, a, _ in weights]
    m = tfjs_write_weights.write_weights([group], str(d), shard_size_bytes=shard_size,
                                         write_manifest=False, quantization_dtype_map=qmap or None)
    return m[0], d


def files(d):
    return {p: (d / p).read_bytes() for p in sorted(os.listdir(d))}


def assert_same_as_official(tmp_path, weights, shard_size=4194304):
    m1, d1 = ours(tmp_path, weights, shard_size)
    m2, d2 = official(tmp_path, weights, shard_size)
    assert json.dumps(m1) == json.dumps(m2)         # content, key order, float reprs
    assert m1 == m2
    f1, f2 = files(d1), files(d2)
    assert sorted(f1) == sorted(m1["paths"])
    assert f1.keys() == f2.keys()
    for k in f1:
        assert f1[k] == f2[k], k
    if m1["paths"]:
        sizes = [len(f1[p]) for p in m1["paths"]]
        assert all(s == shard_size for s in sizes[:-1]) and 0 < sizes[-1] <= shard_size
    return m1, d1


RNG = np.random.default_rng(42)


def model_like():
    r = np.random.default_rng(5)
    return [
        ("conv1/kernel", (r.standard_normal((3, 3, 3, 16)) * 0.1).astype(np.float32)),
        ("conv1/bias", np.zeros(16, np.float32)),
        ("bn/gamma", np.ones(16, np.float32)),
        ("bn/moving_variance", r.uniform(0.5, 2.0, 16).astype(np.float32)),
        ("dense/kernel", r.standard_normal((256, 100)).astype(np.float32)),
        ("dense/bias", (r.standard_normal(100) * 1e-3).astype(np.float32)),
        ("tiny", (r.standard_normal(50) * 1e-40).astype(np.float32)),
        ("huge", (r.standard_normal(50) * 1e35).astype(np.float32)),
        ("positive", r.uniform(2.0, 9.0, 77).astype(np.float32)),
        ("scalar", np.array(-4.5, np.float32)),
    ]


@pytest.mark.parametrize("q", [None, "float16", "uint8", "uint16", "mixed"])
@pytest.mark.parametrize("shard_size", [1, 7, 1000, 65536, 4194304])
def test_model_like_matches_official(tmp_path, q, shard_size):
    ws = model_like()
    if shard_size == 1:
        ws = ws[:2] + ws[-2:]  # keep the one-byte-shard case small
    qs = [None, "float16", "uint8", "uint16"]
    weights = [(n, a, qs[i % 4] if q == "mixed" else q) for i, (n, a) in enumerate(ws)]
    assert_same_as_official(tmp_path, weights, shard_size)


def test_other_dtypes_match_official(tmp_path):
    weights = [
        ("i32", np.arange(-5, 12, dtype=np.int32).reshape(17, 1), None),
        ("flag", np.array([True, False, True]), None),
        ("u8", np.arange(0, 250, 7, dtype=np.uint8), None),
        ("cplx", (np.arange(6) + 1j * np.arange(6)).astype(np.complex64), None),
        ("i32_q", np.arange(4, dtype=np.int32), "uint8"),      # quantisation ignored: not float32
        ("f32_q", np.linspace(-1, 1, 9, dtype=np.float32), "uint8"),
        ("words", np.array(["hello", "wörld", "", "日本語", "emoji \U0001F600"], dtype=object), None),
        ("raw_bytes", np.array([b"\x00\xff", b"abc"], dtype=object), None),
        ("ustr", np.array([["ab", "ç"], ["", "xyz"]]), None),   # numpy <U3
        ("sbytes", np.array([b"q", b"rs"]), None),                # numpy |S2
    ]
    for shard in (3, 16, 4194304):
        sub = tmp_path / str(shard)
        sub.mkdir()
        assert_same_as_official(sub, weights, shard)


def test_shard_boundary_exactly_at_tensor_boundary(tmp_path):
    a = np.arange(4, dtype=np.float32)          # 16 bytes
    b = np.arange(4, 8, dtype=np.float32)
    m, d = assert_same_as_official(tmp_path, [("a", a, None), ("b", b, None)], 16)
    assert m["paths"] == ["group1-shard1of2.bin", "group1-shard2of2.bin"]
    assert (d / m["paths"][0]).read_bytes() == a.tobytes()
    assert (d / m["paths"][1]).read_bytes() == b.tobytes()


def test_one_tensor_spanning_many_shards(tmp_path):
    x = RNG.standard_normal(10_000).astype(np.float32)
    for q in (None, "float16", "uint8"):
        sub = tmp_path / str(q)
        sub.mkdir()
        m, d = assert_same_as_official(sub, [("big", x, q)], 333)
        assert len(m["paths"]) >= 10000 // 333


def test_chunked_encoder_crosses_chunk_boundaries(tmp_path):
    # > 2 encode chunks (256 Ki elements each), odd shard size.
    x = RNG.standard_normal((1 << 19) + 12345).astype(np.float32)
    for q in ("float16", "uint16"):
        sub = tmp_path / q
        sub.mkdir()
        assert_same_as_official(sub, [("w", x, q), ("v", x[:1001], q)], 1_000_003)


def test_zero_total_bytes_writes_nothing(tmp_path):
    weights = [("e1", np.zeros((0, 3), np.float32), None), ("e2", np.zeros(0, np.int32), None),
               ("e3", np.zeros(0, np.float32), "float16")]
    m, d = assert_same_as_official(tmp_path, weights)
    assert m["paths"] == [] and os.listdir(d) == []
    m, d = ours(tmp_path, [], sub="none")
    assert m == {"paths": [], "weights": []}


def test_empty_and_0d_tensors_between_others(tmp_path):
    weights = [("a", np.array(2.0, np.float32), None), ("e", np.zeros((2, 0), np.float32), None),
               ("es", np.array([], dtype=object), None), ("b", np.arange(3, dtype=np.int32), None)]
    m, d = assert_same_as_official(tmp_path, weights, 5)
    assert m["weights"][0]["shape"] == [] and m["weights"][1]["shape"] == [2, 0]


def test_empty_tensor_affine_and_constant(tmp_path):
    # The official package raises on an empty affine tensor; ours writes 0 bytes, min 0, scale 1.
    m, d = ours(tmp_path, [("e", np.zeros(0, np.float32), "uint8"),
                           ("c", np.full(5, 0.25, np.float32), "uint16")])
    assert m["weights"][0]["quantization"] == {"dtype": "uint8", "min": 0.0, "scale": 1.0,
                                               "original_dtype": "float32"}
    assert m["weights"][1]["quantization"]["min"] == 0.25
    assert (d / m["paths"][0]).read_bytes() == b"\x00" * 10
    got = codec.read_weights([m], str(d))
    assert got["e"].shape == (0,) and got["c"].tolist() == [0.25] * 5


def test_group_number_and_names(tmp_path):
    m, d = ours(tmp_path, [("w", np.ones(5, np.float32), None)], shard_size=8, group=3)
    assert m["paths"] == ["group3-shard1of3.bin", "group3-shard2of3.bin", "group3-shard3of3.bin"]
    assert [len((d / p).read_bytes()) for p in m["paths"]] == [8, 8, 4]


def test_non_contiguous_and_big_endian_inputs(tmp_path):
    base = RNG.standard_normal((40, 30)).astype(np.float32)
    views = [("t", base.T, None), ("s", base[::3, 1::2], "uint8"), ("be", base.astype(">f4"), None),
             ("bei", np.arange(9, dtype=">i4"), None), ("beq", base.astype(">f4"), "float16")]
    m1, d1 = ours(tmp_path, views, 1000, sub="a")
    copies = [(n, np.ascontiguousarray(a).astype(a.dtype.newbyteorder("=")), q) for n, a, q in views]
    m2, d2 = ours(tmp_path, copies, 1000, sub="b")
    assert m1 == m2 and files(d1) == files(d2)


@pytest.mark.parametrize("arr,dt", [(np.zeros(3, np.float64), "float64"), (np.zeros(3, np.int64), "int64"),
                                    (np.zeros(3, np.float16), "float16"), (np.zeros(3, np.uint16), "uint16"),
                                    (np.zeros(3, np.int8), "int8")])
def test_unsupported_dtype_names_weight(tmp_path, arr, dt):
    with pytest.raises(CodecError, match=r"weight 'layer/w'.*%s" % dt):
        ours(tmp_path, [("ok", np.ones(2, np.float32), None), ("layer/w", arr, None)])
    assert os.listdir(tmp_path / "ours") == []  # validated before writing


def test_bad_arguments(tmp_path):
    w = [("a", np.ones(2, np.float32), None)]
    for bad in (0, -4, 2.5, True):
        with pytest.raises(CodecError, match="shard_size"):
            ours(tmp_path, w, shard_size=bad)
    with pytest.raises(CodecError, match="group"):
        ours(tmp_path, w, group=0)
    with pytest.raises(CodecError, match="duplicate"):
        ours(tmp_path, w + w)
    with pytest.raises(CodecError, match="int4"):
        ours(tmp_path, [("a", np.ones(2, np.float32), "int4")])
    with pytest.raises(CodecError, match="'s'.*int"):
        ours(tmp_path, [("s", np.array(["a", 3], dtype=object), None)])
    with pytest.raises(CodecError, match="numpy array"):
        ours(tmp_path, [("l", [1.0, 2.0], None)])


def test_nan_under_affine_raises_before_writing(tmp_path):
    x = np.array([1.0, np.nan], np.float32)
    with pytest.raises(CodecError, match=r"weight 'bad'.*NaN"):
        ours(tmp_path, [("good", np.ones(9, np.float32), None), ("bad", x, "uint8")])
    assert os.listdir(tmp_path / "ours") == []
    m, d = ours(tmp_path, [("bad", x, "float16")], sub="f16")  # float16 carries NaN
    assert np.isnan(codec.read_weights([m], str(d))["bad"][1])


def test_streaming_peak_memory_is_small(tmp_path):
    x = RNG.standard_normal(16 << 20).astype(np.float32)   # 64 MiB
    for q in ("float16", "uint8", None):
        sub = tmp_path / str(q)
        sub.mkdir()
        tracemalloc.start()
        try:
            codec.write_weights([("x", x, q)], str(sub))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 4 << 20, (q, peak)   # one 256 Ki-element chunk, not the tensor


def test_read_matches_official_reader(tmp_path):
    weights = [(n, a, q) for (n, a), q in zip(model_like(), [None, "uint8", "float16", "uint16"] * 3)]
    m, d = official(tmp_path, weights, 1000)
    ref = tfjs_read_weights.read_weights([m], str(d), flatten=True)
    got = codec.read_weights([m], str(d))
    assert list(got) == [e["name"] for e in ref]
    for e in ref:
        assert got[e["name"]].dtype == e["data"].dtype
        np.testing.assert_array_equal(got[e["name"]].view(np.uint32), e["data"].view(np.uint32))


def test_read_errors_name_the_file(tmp_path):
    x = np.arange(100, dtype=np.float32)
    m, d = ours(tmp_path, [("x", x, None), ("y", x[:10], "uint8")], 128)
    paths = [str(d / p) for p in m["paths"]]
    assert codec.read_weights([m], str(d))["x"].tolist() == x.tolist()
    last = paths[-1]
    data = open(last, "rb").read()
    open(last, "wb").write(data[:-1])
    with pytest.raises(CodecError, match=r"%s.*too short" % last.replace("/", "/")):
        codec.read_weights([m], str(d))
    open(last, "wb").write(data + b"\0\0")
    with pytest.raises(CodecError, match=r"%s.*too long" % last):
        codec.read_weights([m], str(d))
    open(last, "wb").write(data)
    mid = paths[1]
    mdata = open(mid, "rb").read()
    open(mid, "wb").write(mdata[:50])
    with pytest.raises(CodecError, match=r"%s.*shard is 50 bytes" % mid):
        codec.read_weights([m], str(d))
    os.remove(mid)
    with pytest.raises(CodecError, match=r"%s.*missing" % mid):
        codec.read_weights([m], str(d))


def test_read_errors_with_strings(tmp_path):
    m, d = ours(tmp_path, [("s", np.array(["abc", "de"], dtype=object), None)], 4)
    last = str(d / m["paths"][-1])
    data = open(last, "rb").read()
    open(last, "wb").write(data[:-1])
    with pytest.raises(CodecError, match="ends early"):
        codec.read_weights([m], str(d))
    open(last, "wb").write(data + b"zz")
    with pytest.raises(CodecError, match="unexpected bytes"):
        codec.read_weights([m], str(d))
    with pytest.raises(CodecError, match="unsupported dtype"):
        codec.read_weights([{"paths": [], "weights": [{"name": "a", "shape": [0], "dtype": "int64"}]}], str(d))


# ----------------------------------------------------------------------------- properties

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)


@st.composite
def weight_lists(draw):
    n = draw(st.integers(0, 6))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(["f32", "i32", "bool", "u8", "c64", "str", "q"]))
        shape = draw(SHAPES)
        q = None
        if kind in ("f32", "q"):
            a = draw(hnp.arrays(np.float32, shape, elements=st.floats(-1e4, 1e4, width=32)))
            if kind == "q":
                q = draw(st.sampled_from(["float16", "uint8", "uint16"]))
        elif kind == "i32":
            a = draw(hnp.arrays(np.int32, shape))
        elif kind == "bool":
            a = draw(hnp.arrays(np.bool_, shape))
        elif kind == "u8":
            a = draw(hnp.arrays(np.uint8, shape))
        elif kind == "c64":
            a = draw(hnp.arrays(np.complex64, shape, elements=st.complex_numbers(
                max_magnitude=1e6, allow_nan=False, allow_infinity=False, width=64)))
        else:
            size = int(np.prod(shape))
            vals = draw(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=5),
                                 min_size=size, max_size=size))
            a = np.empty(size, dtype=object)
            a[:] = vals
            a = a.reshape(shape)
        out.append(("w%d/%s" % (i, kind), a, q))
    return out


@given(weight_lists(), st.integers(1, 64), st.integers(1, 4))
def test_round_trip(tmp_path_factory, weights, shard_size, group):
    d = tmp_path_factory.mktemp("rt")
    m = codec.write_weights(weights, str(d), shard_size=shard_size, group=group)
    total = sum(os.path.getsize(d / p) for p in m["paths"])
    assert len(m["paths"]) == -(-total // shard_size)
    got = codec.read_weights([m], str(d))
    assert list(got) == [n for n, _, _ in weights]
    for name, a, q in weights:
        g = got[name]
        assert g.shape == a.shape
        if q is not None:
            enc, entry = codec.quantize(a, q)
            np.testing.assert_array_equal(g.view(np.uint32), codec.dequantize(enc, entry).view(np.uint32))
        elif a.dtype == object:
            assert g.tolist() == a.tolist()
        else:
            assert g.dtype == a.dtype
            assert g.tobytes() == a.tobytes()


@given(weight_lists(), st.sampled_from([1, 5, 16, 4194304]))
def test_property_matches_official(tmp_path_factory, weights, shard_size):
    # The official package cannot quantise empty tensors to uint8/uint16 (numpy min of empty).
    weights = [(n, a, q) for n, a, q in weights if not (q in ("uint8", "uint16") and a.size == 0)]
    d = tmp_path_factory.mktemp("prop")
    assert_same_as_official(d, weights, shard_size)
