"""IO and interchange: mx.save / load / savez / savez_compressed / save_safetensors against NumPy
(np.save / np.load / np.savez both ways), file-like objects, corrupt and truncated files (they
raise, never crash), DLPack both ways with NumPy, median against np.median, ArrayLike."""
import io
import os
import zipfile

import numpy as np
import pytest

import mlx.core as mx

NP_DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
             "float16", "float32", "float64", "complex64"]
MX_OF = {"bool": mx.bool_, "uint8": mx.uint8, "uint16": mx.uint16, "uint32": mx.uint32,
         "uint64": mx.uint64, "int8": mx.int8, "int16": mx.int16, "int32": mx.int32,
         "int64": mx.int64, "float16": mx.float16, "float32": mx.float32,
         "float64": mx.float64, "complex64": mx.complex64}


def sample(dt, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape) * 50
    if dt == "bool":
        return v > 0
    if dt.startswith("complex"):
        return (v + 1j * rng.standard_normal(shape)).astype(dt)
    if dt.startswith("uint"):
        return np.abs(v).astype(dt)
    return v.astype(dt)


def bf16_sample():
    """An mx bfloat16 array and its uint16 bit pattern."""
    x = mx.array(np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)).astype(mx.bfloat16)
    return x, np.array(x.view(mx.uint16))


def same(a, b):
    """a: an mx array, b: a NumPy array; same dtype, shape and values (NaN == NaN)."""
    an = np.array(a)
    assert an.dtype == b.dtype and an.shape == b.shape
    np.testing.assert_array_equal(an, b)


# ---------------------------------------------------------------- .npy
@pytest.mark.parametrize("dt", NP_DTYPES)
def test_npy_round_trip_against_numpy(tmp_path, dt):
    ref = sample(dt)
    x = mx.array(ref)
    assert x.dtype == MX_OF[dt]
    p = str(tmp_path / "a.npy")
    mx.save(p, x)
    same(mx.load(p), ref)
    np.testing.assert_array_equal(np.load(p), ref)  # NumPy reads ours
    assert np.load(p).dtype == ref.dtype
    q = str(tmp_path / "b.npy")
    np.save(q, ref)  # we read NumPy's
    same(mx.load(q), ref)


def test_npy_bfloat16(tmp_path):
    x, bits = bf16_sample()
    p = str(tmp_path / "bf.npy")
    mx.save(p, x)
    y = mx.load(p)
    assert y.dtype == mx.bfloat16 and y.shape == (3, 4)
    np.testing.assert_array_equal(np.array(y.view(mx.uint16)), bits)
    raw = np.load(p)  # NumPy sees '<V2' (MLX's choice): same bytes
    assert raw.dtype.itemsize == 2 and raw.tobytes() == bits.tobytes()
    b = io.BytesIO()
    mx.save(b, x)
    b.seek(0)
    z = mx.load(b, format="npy")
    assert z.dtype == mx.bfloat16 and mx.array_equal(z, x).item()


def test_npy_suffix_and_pathlike(tmp_path):
    x = mx.arange(5)
    mx.save(str(tmp_path / "noext"), x)
    assert os.path.exists(tmp_path / "noext.npy")
    mx.save(tmp_path / "p.npy", x)  # os.PathLike
    same(mx.load(tmp_path / "p.npy"), np.arange(5, dtype=np.int32))
    mx.save(str(tmp_path / "other.bin"), x)  # only a missing .npy is appended
    assert os.path.exists(tmp_path / "other.bin.npy")


def test_npy_layouts(tmp_path):
    ref = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    p = str(tmp_path / "f.npy")
    np.save(p, np.asfortranarray(ref))  # fortran_order: True
    same(mx.load(p), ref)
    np.save(p, ref.astype(">i4"))  # big-endian data is swapped
    same(mx.load(p), ref.astype(np.int32))
    np.save(p, ref.astype(">c8"))
    same(mx.load(p), ref.astype(np.complex64))
    # strided / transposed / broadcast mx arrays are saved in row-major order
    x = mx.array(ref)
    for v, r in [(x.transpose(2, 0, 1), ref.transpose(2, 0, 1)), (x[:, ::-1, ::2], ref[:, ::-1, ::2]),
                 (mx.broadcast_to(mx.array([1.0, 2.0]), (3, 2)), np.broadcast_to(np.float32([1, 2]), (3, 2)))]:
        mx.save(p, v)
        np.testing.assert_array_equal(np.load(p), r)
        same(mx.load(p), np.ascontiguousarray(r))
    # lazy input is evaluated before writing
    mx.save(p, mx.arange(4) * 3)
    np.testing.assert_array_equal(np.load(p), [0, 3, 6, 9])


@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (1,), (1, 1, 1, 1)])
def test_npy_shapes(tmp_path, shape):
    ref = np.full(shape, 7, dtype=np.float32)
    p = str(tmp_path / "s.npy")
    mx.save(p, mx.array(ref))
    assert np.load(p).shape == shape
    same(mx.load(p), ref)
    np.save(p, ref)
    same(mx.load(p), ref)


def test_npy_file_like():
    ref = np.arange(10, dtype=np.int16).reshape(2, 5)
    b = io.BytesIO()
    mx.save(b, mx.array(ref))
    b.seek(0)
    np.testing.assert_array_equal(np.load(b), ref)
    b.seek(0)
    same(mx.load(b, format="npy"), ref)
    b = io.BytesIO()
    np.save(b, ref)
    b.seek(0)
    same(mx.load(b, format="npy"), ref)
    # a file object's name gives the format
    b.seek(0)
    b.name = "x.npy"
    same(mx.load(b), ref)


def test_npy_real_file_objects(tmp_path):
    p = str(tmp_path / "fo.npy")
    with open(p, "wb") as f:
        mx.save(f, mx.array([1.5, 2.5]))
    with open(p, "rb") as f:
        same(mx.load(f), np.float32([1.5, 2.5]))  # format from f.name


# ---------------------------------------------------------------- .npz
def test_npz_round_trip(tmp_path):
    refs = {d: sample(d, (2, 3), i) for i, d in enumerate(NP_DTYPES)}
    p = str(tmp_path / "all.npz")
    mx.savez(p, **{k: mx.array(v) for k, v in refs.items()})
    out = mx.load(p)
    assert sorted(out) == sorted(refs)
    for k, v in refs.items():
        same(out[k], v)
    with np.load(p) as z:  # NumPy reads ours
        for k, v in refs.items():
            np.testing.assert_array_equal(z[k], v)
            assert z[k].dtype == v.dtype


def test_npz_positional_and_compressed(tmp_path):
    a, b = mx.arange(4), mx.ones((2, 2))
    mx.savez(str(tmp_path / "pos"), a, b, c=mx.array([True]))
    out = mx.load(str(tmp_path / "pos.npz"))
    assert sorted(out) == ["arr_0", "arr_1", "c"]
    same(out["arr_0"], np.arange(4, dtype=np.int32))
    mx.savez_compressed(str(tmp_path / "cz.npz"), big=mx.zeros((1000,)), a=a)
    with zipfile.ZipFile(str(tmp_path / "cz.npz")) as z:
        info = z.getinfo("big.npy")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < info.file_size
    out = mx.load(str(tmp_path / "cz.npz"))
    same(out["big"], np.zeros(1000, np.float32))
    with np.load(str(tmp_path / "cz.npz")) as z:
        np.testing.assert_array_equal(z["a"], [0, 1, 2, 3])
    with pytest.raises(ValueError):
        mx.savez(str(tmp_path / "dup.npz"), a, arr_0=b)
    with pytest.raises(TypeError):
        mx.savez(str(tmp_path / "bad.npz"), a=object())


def test_npz_from_numpy(tmp_path):
    p = str(tmp_path / "np.npz")
    ref = np.arange(12, dtype=np.float64).reshape(3, 4)
    np.savez(p, ref, np.asfortranarray(ref), named=np.int8([1, -2]))
    out = mx.load(p)
    assert sorted(out) == ["arr_0", "arr_1", "named"]
    same(out["arr_0"], ref)
    same(out["arr_1"], ref)
    same(out["named"], np.int8([1, -2]))
    np.savez_compressed(p, z=ref)
    same(mx.load(p)["z"], ref)


def test_npz_file_like():
    b = io.BytesIO()
    mx.savez(b, x=mx.array([1, 2, 3]), y=mx.array([[0.5]]))
    b.seek(0)
    with np.load(b) as z:
        np.testing.assert_array_equal(z["x"], [1, 2, 3])
    b.seek(0)
    out = mx.load(b, format="npz")
    same(out["x"], np.int32([1, 2, 3]))
    b = io.BytesIO()
    np.savez(b, q=np.uint16([7]))
    b.seek(0)
    same(mx.load(b, format="npz")["q"], np.uint16([7]))


def test_npz_metadata_error(tmp_path):
    p = str(tmp_path / "m.npz")
    mx.savez(p, a=mx.array([1]))
    with pytest.raises(ValueError):
        mx.load(p, return_metadata=True)
    mx.save(str(tmp_path / "m.npy"), mx.array([1]))
    with pytest.raises(ValueError):
        mx.load(str(tmp_path / "m.npy"), return_metadata=True)


# ---------------------------------------------------------------- .safetensors
ST_DTYPES = [d for d in NP_DTYPES]


def test_safetensors_round_trip(tmp_path):
    arrays = {d: mx.array(sample(d, (2, 3), i)) for i, d in enumerate(ST_DTYPES)}
    bf, bits = bf16_sample()
    arrays["bf16"] = bf
    arrays["scalar"] = mx.array(3.5)
    arrays["empty"] = mx.zeros((0, 4))
    arrays["strided"] = mx.arange(12).reshape(3, 4).T
    meta = {"format": "mlx", "note": 'quotes " and \\ and ünicode'}
    p = str(tmp_path / "w")
    mx.save_safetensors(p, arrays, meta)
    assert os.path.exists(p + ".safetensors")
    out, md = mx.load(p + ".safetensors", return_metadata=True)
    assert md == meta
    assert sorted(out) == sorted(arrays)
    for k, v in arrays.items():
        assert out[k].dtype == v.dtype and out[k].shape == v.shape
        # float64 compares on the CPU (the GPU refuses float64, as in MLX)
        s = mx.cpu if v.dtype == mx.float64 else None
        assert mx.array_equal(out[k], v, stream=s).item(), k
    np.testing.assert_array_equal(np.array(out["bf16"].view(mx.uint16)), bits)
    plain = mx.load(p + ".safetensors")
    assert isinstance(plain, dict) and sorted(plain) == sorted(arrays)
    # results are usable after the file is gone (the mapping stays alive)
    os.remove(p + ".safetensors")
    assert (out["float32"] * 2).shape == (2, 3)
    mx.save_safetensors(str(tmp_path / "nometa.safetensors"), {"a": mx.array([1])})
    assert mx.load(str(tmp_path / "nometa.safetensors"), return_metadata=True)[1] == {}


def test_safetensors_file_like():
    b = io.BytesIO()
    mx.save_safetensors(b, {"x": mx.array([1.0, 2.0]), "y": mx.arange(3)}, {"k": "v"})
    b.seek(0)
    out, md = mx.load(b, format="safetensors", return_metadata=True)
    assert md == {"k": "v"}
    same(out["x"], np.float32([1, 2]))
    same(out["y"], np.int32([0, 1, 2]))


def test_safetensors_bad_arguments(tmp_path):
    p = str(tmp_path / "bad.safetensors")
    with pytest.raises(TypeError):
        mx.save_safetensors(p, [mx.array(1)])
    with pytest.raises(TypeError):
        mx.save_safetensors(p, {1: mx.array(1)})
    with pytest.raises(TypeError):
        mx.save_safetensors(p, {"a": mx.array(1)}, {"k": 1})
    with pytest.raises(TypeError):
        mx.save_safetensors(p, {"a": mx.array(1)}, ["k"])
    with pytest.raises(TypeError):
        mx.save_safetensors(p, {"a": object()})
    with pytest.raises(TypeError):
        mx.save(42, mx.array(1))


# ---------------------------------------------------------------- errors and corrupt files
def test_load_errors(tmp_path):
    with pytest.raises(OSError):
        mx.load(str(tmp_path / "missing.npy"))
    with pytest.raises(OSError):
        mx.load(str(tmp_path / "missing.safetensors"))
    with pytest.raises(OSError):
        mx.load(str(tmp_path / "missing.npz"))
    with pytest.raises(ValueError, match="GGUF"):
        mx.load(str(tmp_path / "model.gguf"))
    with pytest.raises(ValueError):
        mx.load(str(tmp_path / "x.unknownfmt"))
    with pytest.raises(ValueError):
        mx.load(str(tmp_path / "noextension"))
    with pytest.raises(ValueError):
        mx.load(io.BytesIO(b"abc"))  # no name, no format
    with pytest.raises(TypeError):
        mx.load(str(tmp_path / "a.npy"), format=3)
    with pytest.raises(TypeError):
        mx.load(42, format="npy")
    with pytest.raises(TypeError):
        mx.save(str(tmp_path / "x.npy"))  # missing argument


def test_corrupt_npy_never_crashes(tmp_path):
    b = io.BytesIO()
    np.save(b, np.arange(20, dtype=np.float64).reshape(4, 5))
    good = b.getvalue()
    p = str(tmp_path / "c.npy")
    for n in [0, 1, 5, 9, 10, 11, 50, len(good) - 8, len(good) - 1]:  # truncations
        with open(p, "wb") as f:
            f.write(good[:n])
        with pytest.raises(OSError):
            mx.load(p)
        with pytest.raises(OSError):
            mx.load(io.BytesIO(good[:n]), format="npy")
    hdr = good[:128].decode("latin1")
    for bad in [hdr.replace("<f8", "<q9"), hdr.replace("(4, 5)", "(4, 50)"),
                hdr.replace("(4, 5)", "(-4, 5)"), hdr.replace("'shape'", "'shapf'"),
                hdr.replace("NUMPY", "NUMPZ"), hdr.replace("(4, 5)", "(4; 5)")]:
        data = bad.encode("latin1") + good[128:]
        with pytest.raises(OSError):
            mx.load(io.BytesIO(data), format="npy")
    # random byte damage in the header: an error or a valid array, never a crash
    rng = np.random.default_rng(1)
    for _ in range(200):
        data = bytearray(good)
        for i in rng.integers(0, 128, size=3):
            data[i] = int(rng.integers(0, 256))
        try:
            r = mx.load(io.BytesIO(bytes(data)), format="npy")
            mx.eval(r)
        except (OSError, ValueError):
            pass


def test_corrupt_safetensors_never_crashes(tmp_path):
    p = str(tmp_path / "c.safetensors")
    mx.save_safetensors(p, {"a": mx.arange(10), "b": mx.ones((3, 3))}, {"m": "x"})
    good = open(p, "rb").read()
    q = str(tmp_path / "t.safetensors")
    for n in [0, 4, 8, 9, 30, len(good) - 40, len(good) - 1]:
        with open(q, "wb") as f:
            f.write(good[:n])
        with pytest.raises(OSError):
            mx.load(q)
    hlen = int.from_bytes(good[:8], "little")
    header = good[8:8 + hlen].decode()
    for bad in [header.replace("I32", "Q32"), header.replace('"shape":[10]', '"shape":[11]'),
                header.replace("[0,40]", "[0,4000]"), header.replace("{", "[", 1),
                header.replace('"x"', '7')]:
        body = bad.encode()
        with open(q, "wb") as f:
            f.write(len(body).to_bytes(8, "little") + body + good[8 + hlen:])
        with pytest.raises(OSError):
            mx.load(q)
    with open(q, "wb") as f:  # a header length larger than the file
        f.write((1 << 40).to_bytes(8, "little") + good[8:])
    with pytest.raises(OSError):
        mx.load(q)
    rng = np.random.default_rng(2)
    for _ in range(200):
        data = bytearray(good)
        for i in rng.integers(0, 8 + hlen, size=2):
            data[i] = int(rng.integers(0, 256))
        with open(q, "wb") as f:
            f.write(bytes(data))
        try:
            mx.eval(list(mx.load(q).values()))
        except (OSError, ValueError):
            pass


def test_corrupt_npz(tmp_path):
    p = str(tmp_path / "c.npz")
    with open(p, "wb") as f:
        f.write(b"PK\x03\x04 this is not a zip")
    with pytest.raises(OSError):
        mx.load(p)
    with zipfile.ZipFile(p, "w") as z:  # a valid zip holding a broken member
        z.writestr("a.npy", b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(OSError):
        mx.load(p)
    mx.savez(p, a=mx.arange(100))
    data = open(p, "rb").read()
    with open(p, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(OSError):
        mx.load(p)


# ---------------------------------------------------------------- DLPack
NP_DLPACK = [d for d in NP_DTYPES if d != "bool" or np.lib.NumpyVersion(np.__version__) >= "1.25.0"]


@pytest.mark.parametrize("dt", NP_DLPACK)
def test_dlpack_to_numpy(dt):
    ref = sample(dt, (3, 5))
    x = mx.array(ref)
    assert x.__dlpack_device__() == (1, 0)
    y = np.from_dlpack(x)
    assert y.dtype == ref.dtype
    np.testing.assert_array_equal(y, ref)
    t = np.from_dlpack(x.T)  # non-contiguous: exported as a copy
    np.testing.assert_array_equal(t, ref.T)
    s = np.from_dlpack(x[::-1, 1::2])
    np.testing.assert_array_equal(s, ref[::-1, 1::2])


@pytest.mark.parametrize("dt", NP_DTYPES)
def test_dlpack_from_numpy(dt):
    ref = sample(dt, (4, 6))
    if dt == "bool" and np.lib.NumpyVersion(np.__version__) < "1.25.0":
        with pytest.raises(BufferError):
            mx.from_dlpack(ref)
        return
    same(mx.from_dlpack(ref), ref)
    same(mx.from_dlpack(ref.T), np.ascontiguousarray(ref.T))
    same(mx.from_dlpack(ref[1::2, ::3]), np.ascontiguousarray(ref[1::2, ::3]))


def test_dlpack_edges():
    for ref in [np.array(3.0, dtype=np.float32), np.zeros((0, 3), np.float32), np.arange(5.0)]:
        same(mx.from_dlpack(ref), ref)
        np.testing.assert_array_equal(np.from_dlpack(mx.array(ref)), ref)
    x = mx.arange(6).reshape(2, 3)
    y = mx.from_dlpack(x)  # mlx to mlx
    assert mx.array_equal(x, y).item() and y.dtype == x.dtype
    # complex128 becomes complex64, as array construction does
    c = np.array([1 + 2j, 3 - 4j])
    assert mx.from_dlpack(c).dtype == mx.complex64
    assert mx.from_dlpack(c).tolist() == [1 + 2j, 3 - 4j]
    # the copy is independent of the source
    src = np.arange(4.0)
    z = mx.from_dlpack(src)
    src[0] = 100
    assert z.tolist() == [0, 1, 2, 3]
    # an unconsumed capsule frees itself; a consumed one is renamed
    cap = x.__dlpack__()
    assert "dltensor" in repr(cap)
    del cap
    with pytest.raises(TypeError):
        mx.from_dlpack([1, 2, 3])
    with pytest.raises(BufferError):
        mx.from_dlpack(src, copy=False)
    with pytest.raises(BufferError):
        x.__dlpack__(dl_device=(2, 0))
    # bfloat16 exports with the bfloat code (NumPy cannot read it, but we can)
    b, bits = bf16_sample()
    rb = mx.from_dlpack(b)
    assert rb.dtype == mx.bfloat16 and np.array_equal(np.array(rb.view(mx.uint16)), bits)
    # lazily computed arrays are evaluated on export
    np.testing.assert_array_equal(np.from_dlpack(mx.arange(3) + 1), [1, 2, 3])


def test_dlpack_memory_is_released():
    before = mx.get_active_memory()
    for _ in range(50):
        x = mx.ones((256, 256))
        y = np.from_dlpack(x)
        del x, y
        cap = mx.zeros((256, 256)).__dlpack__()
        del cap
    assert mx.get_active_memory() <= before + 256 * 256 * 4 * 2


# ---------------------------------------------------------------- median
@pytest.mark.parametrize("shape,axis", [((7,), None), ((8,), None), ((3, 4), 0), ((3, 4), 1),
                                        ((3, 4), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), None),
                                        ((5, 6), (0, 1)), ((2, 3, 4), [2, 0])])
@pytest.mark.parametrize("keepdims", [False, True])
def test_median_matches_numpy(shape, axis, keepdims):
    ref = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    ax = tuple(axis) if isinstance(axis, list) else axis
    r = mx.median(mx.array(ref), axis=axis, keepdims=keepdims)
    e = np.median(ref, axis=ax, keepdims=keepdims)
    assert r.shape == e.shape and r.dtype == mx.float32
    np.testing.assert_allclose(np.array(r), e, rtol=1e-6)


def test_median_edges():
    assert mx.median(mx.array([3, 1, 2])).item() == 2.0
    r = mx.median(mx.array([4, 1, 2, 3]))  # integers give float32
    assert r.dtype == mx.float32 and r.item() == 2.5
    assert mx.median(mx.array(5.0)).item() == 5.0
    nan = float("nan")
    r = mx.median(mx.array([[1.0, nan, 2.0], [3.0, 1.0, 2.0]]), axis=1)
    assert np.isnan(r.tolist()[0]) and r.tolist()[1] == 2.0
    assert np.isnan(mx.median(mx.array([nan, 1.0])).item())
    h = mx.median(mx.array([1, 2, 3, 4], dtype=mx.float16))
    assert h.dtype == mx.float16 and h.item() == 2.5
    d = mx.median(mx.array(np.arange(5.0)))
    assert d.dtype == mx.float64
    tr = mx.arange(12).reshape(3, 4).T  # strided input
    np.testing.assert_allclose(np.array(mx.median(tr, axis=1)),
                               np.median(np.arange(12).reshape(3, 4).T, axis=1))
    with pytest.raises(ValueError):
        mx.median(mx.ones((2, 2)), axis=2)
    with pytest.raises(ValueError):
        mx.median(mx.ones((2, 2)), axis=(0, 0))


# ---------------------------------------------------------------- ArrayLike
def test_arraylike():
    w = mx.ArrayLike([1, 2, 3])
    assert mx.array(w).tolist() == [1, 2, 3]
    assert (mx.array([1, 1, 1]) + mx.array(w)).tolist() == [2, 3, 4]

    def f(x: mx.ArrayLike) -> mx.array:  # usable in annotations
        return mx.array(x)

    assert f.__annotations__["x"] is mx.ArrayLike
