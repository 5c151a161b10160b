"""The array type: construction and dtype inference, properties, conversions, repr, NumPy and
buffer round trips, pickle/copy, operators with weak typing, in-place operators."""
import copy
import pickle
import weakref

import numpy as np
import pytest

import mlx.core as mx


# ---- construction ----
def test_inference_from_python():
    assert mx.array(True).dtype == mx.bool_
    assert mx.array(1).dtype == mx.int32
    assert mx.array(2**40).dtype == mx.int64
    assert mx.array([1, 2**33]).dtype == mx.int64
    assert mx.array(1.0).dtype == mx.float32
    assert mx.array(1 + 2j).dtype == mx.complex64
    assert mx.array([1, 2.0]).dtype == mx.float32
    assert mx.array([True, 1]).dtype == mx.int32
    assert mx.array([1, 1j]).dtype == mx.complex64
    assert mx.array([]).dtype == mx.float32 and mx.array([]).shape == (0,)
    assert mx.array([[], []]).shape == (2, 0)
    assert mx.array(((1, 2), (3, 4))).tolist() == [[1, 2], [3, 4]]


def test_construction_with_dtype():
    a = mx.array([1.7, -2.2], dtype=mx.int32)
    assert a.dtype == mx.int32 and a.tolist() == [1, -2]
    assert mx.array(3, mx.float16).dtype == mx.float16
    assert mx.array([1, 0, 2], dtype=mx.bool_).tolist() == [True, False, True]
    assert mx.array(2**63, dtype=mx.uint64).item() == 2**63
    assert mx.array([0.5], dtype=mx.bfloat16).item() == 0.5


def test_nested_with_arrays():
    a = mx.array([mx.array([1, 2]), mx.array([3, 4])])
    assert a.shape == (2, 2) and a.dtype == mx.int32
    b = mx.array([mx.array([1.0, 2.0]), [3, 4]])
    assert b.dtype == mx.float32 and b.tolist() == [[1, 2], [3, 4]]
    c = mx.array([mx.array(1, mx.int8), 2])
    assert c.dtype == mx.int8
    with pytest.raises(ValueError):
        mx.array([[1, 2], [3]])
    with pytest.raises(ValueError):
        mx.array([mx.array([1, 2]), mx.array([1, 2, 3])])


def test_from_numpy_and_buffers():
    for dt in [np.bool_, np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16,
               np.int32, np.int64, np.float16, np.float32, np.float64, np.complex64]:
        n = (np.arange(12).reshape(3, 4) % 3).astype(dt)
        a = mx.array(n)
        assert a.dtype == getattr(mx, "bool_" if dt is np.bool_ else np.dtype(dt).name)
        assert np.array_equal(np.array(a), n)
    # strided / transposed / negative-step NumPy input is copied correctly
    n = np.arange(24, dtype=np.float32).reshape(4, 6)[::-2, 1::2].T
    assert np.array_equal(np.array(mx.array(n)), n)
    # complex128 becomes complex64, numpy scalars keep their dtype
    assert mx.array(np.array([1 + 1j])).dtype == mx.complex64
    assert mx.array(np.float64(2.5)).dtype == mx.float32  # a float subclass: weak Python float
    assert mx.array(np.int16(3)).dtype == mx.int16
    assert mx.array(np.ones((2, 3)), dtype=mx.float32).dtype == mx.float32
    assert mx.array(memoryview(bytearray(b"\x01\x02"))).tolist() == [1, 2]


def test_from_array_and_mlx_array_protocol():
    a = mx.array([1, 2])
    assert mx.array(a).tolist() == [1, 2]
    assert mx.array(a, dtype=mx.float32).dtype == mx.float32

    class Wrapper:
        def __mlx_array__(self):
            return mx.array([5, 6])

    assert mx.array(Wrapper()).tolist() == [5, 6]
    with pytest.raises(ValueError):
        mx.array("abc")
    with pytest.raises(ValueError):
        mx.array({"a": 1})


# ---- properties ----
def test_properties():
    a = mx.zeros((2, 3, 4), dtype=mx.int16)
    assert a.shape == (2, 3, 4) and isinstance(a.shape, tuple)
    assert a.ndim == 3 and a.size == 24 and a.itemsize == 2 and a.nbytes == 48
    assert a.dtype == mx.int16
    assert a.T.shape == (4, 3, 2)
    c = mx.array([1 + 2j, 3 - 4j])
    assert c.real.tolist() == [1, 3] and c.imag.tolist() == [2, -4]


# ---- conversions ----
def test_item_tolist_scalars():
    assert mx.array(3).item() == 3 and isinstance(mx.array(3).item(), int)
    assert isinstance(mx.array(3.0).item(), float)
    assert mx.array(True).item() is True
    assert mx.array(1 + 2j).item() == 1 + 2j
    assert mx.array([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert mx.array(5).tolist() == 5
    assert mx.zeros((2, 0)).tolist() == [[], []]
    with pytest.raises(ValueError):
        mx.array([1, 2]).item()
    assert bool(mx.array(1)) is True and bool(mx.array([0])) is False
    assert int(mx.array(3.7)) == 3 and float(mx.array(2)) == 2.0
    assert complex(mx.array(1 + 1j)) == 1 + 1j
    with pytest.raises(ValueError):
        bool(mx.array([1, 2]))
    assert f"{mx.array(2.5):.2f}" == "2.50"
    # strided views convert element by element
    t = mx.array(np.arange(6).reshape(2, 3)).T
    assert t.tolist() == [[0, 3], [1, 4], [2, 5]]


def test_len_and_iteration():
    a = mx.array([[1, 2], [3, 4], [5, 6]])
    assert len(a) == 3
    rows = list(a)
    assert len(rows) == 3 and rows[1].tolist() == [3, 4]
    with pytest.raises(TypeError):
        len(mx.array(1))
    with pytest.raises(TypeError):
        iter(mx.array(1))


def test_numpy_round_trip_and_buffer():
    n = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    a = mx.array(n)
    assert np.array_equal(np.array(a), n)
    assert np.array_equal(np.asarray(a.T), n.T)  # strided export is copied row-contiguous
    assert np.array_equal(np.array(a[:, ::-2]), n[:, ::-2])
    m = memoryview(a)
    assert m.format == "f" and m.shape == (3, 5) and m.itemsize == 4
    assert memoryview(mx.array([1 + 1j])).format == "Zf"
    assert memoryview(mx.array([1], mx.float16)).format == "e"
    assert memoryview(mx.array([1], mx.bfloat16)).format == "bfloat16"
    assert np.array(a, dtype=np.float64).dtype == np.float64
    assert np.array(mx.zeros((0, 3))).shape == (0, 3)
    assert np.array(mx.array([True, False])).dtype == np.bool_
    # broadcast view exports a dense copy
    b = mx.broadcast_to(mx.array([1, 2, 3]), (2, 3))
    assert np.array(b).tolist() == [[1, 2, 3], [1, 2, 3]]


def test_pickle_copy_weakref():
    for dt in [mx.float32, mx.int64, mx.bool_, mx.bfloat16, mx.complex64, mx.float16]:
        a = mx.array([[1, 0], [3, 4]]).astype(dt)
        b = pickle.loads(pickle.dumps(a))
        assert b.dtype == dt and b.tolist() == a.tolist()
    a = mx.array([1, 2])
    assert copy.copy(a).tolist() == [1, 2] and copy.deepcopy(a).tolist() == [1, 2]
    r = weakref.ref(a)
    assert r() is a
    del a
    assert r() is None


def test_astype_reshape_flatten_squeeze_transpose_view():
    a = mx.arange(6)
    assert a.reshape(2, 3).shape == (2, 3)
    assert a.reshape((3, 2)).shape == (3, 2)
    assert a.reshape([-1, 2]).shape == (3, 2)
    assert a.reshape(shape=(6, 1)).shape == (6, 1)
    b = a.reshape(1, 2, 1, 3)
    assert b.squeeze().shape == (2, 3) and b.squeeze(2).shape == (1, 2, 3)
    assert b.flatten().shape == (6,) and b.flatten(1, 2).shape == (1, 2, 3)
    assert b.transpose().shape == (3, 1, 2, 1)
    assert b.transpose(3, 2, 1, 0).shape == (3, 1, 2, 1)
    assert b.transpose((1, 0, 2, 3)).shape == (2, 1, 1, 3)
    assert a.astype(mx.float16).dtype == mx.float16
    v = mx.array([1.0], mx.float32).view(mx.uint32)
    assert v.item() == 0x3F800000
    assert mx.array([1, 2], mx.int32).view(mx.uint8).shape == (8,)
    with pytest.raises(ValueError):
        a.reshape(4, 2)


# ---- repr ----
def test_repr():
    assert repr(mx.array([1, 2, 3])) == "array([1, 2, 3], dtype=int32)"
    assert repr(mx.array(1.0)) == "array(1, dtype=float32)"
    assert repr(mx.array([1.5, 0.1, 1e-7, 1e10])) == "array([1.5, 0.1, 1e-07, 1e+10], dtype=float32)"
    assert repr(mx.array([True, False])) == "array([True, False], dtype=bool)"
    assert repr(mx.array([[1, 2], [3, 4]])) == "array([[1, 2],\n       [3, 4]], dtype=int32)"
    assert repr(mx.arange(10)) == "array([0, 1, 2, ..., 7, 8, 9], dtype=int32)"
    assert repr(mx.array(1 - 2j)) == "array(1-2j, dtype=complex64)"
    assert repr(mx.array([float("nan"), float("inf"), -float("inf")])) == \
        "array([nan, inf, -inf], dtype=float32)"
    assert repr(mx.zeros((2, 0))) == "array([[]], dtype=float32)"
    assert repr(mx.array([-1], mx.int8)) == "array([-1], dtype=int8)"
    assert repr(mx.array([255], mx.uint8)) == "array([255], dtype=uint8)"
    assert str(mx.array([1, 2])) == repr(mx.array([1, 2]))
    t = mx.array([[1, 2, 3], [4, 5, 6]]).T
    assert repr(t) == "array([[1, 4],\n       [2, 5],\n       [3, 6]], dtype=int32)"
    three = mx.zeros((2, 1, 2), mx.int32)
    assert repr(three) == "array([[[0, 0]],\n       [[0, 0]]], dtype=int32)"


def test_printoptions():
    a = mx.array([1.0, 2.5])
    old = mx.get_printoptions().precision
    with mx.printoptions(precision=2):
        assert repr(a) == "array([1.00, 2.50], dtype=float32)"
    assert repr(a) == "array([1, 2.5], dtype=float32)"
    mx.set_printoptions(precision=1)
    try:
        assert mx.get_printoptions().precision == 1
        assert repr(a) == "array([1.0, 2.5], dtype=float32)"
    finally:
        mx.set_printoptions(precision=old)


# ---- operators ----
def test_operators_against_numpy():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 3, (3, 4)).astype(np.float32)
    y = rng.uniform(0.5, 3, (3, 4)).astype(np.float32)
    a, b = mx.array(x), mx.array(y)
    for f in [lambda p, q: p + q, lambda p, q: p - q, lambda p, q: p * q,
              lambda p, q: p / q, lambda p, q: p // q, lambda p, q: p % q,
              lambda p, q: p ** q, lambda p, q: 2.0 - p, lambda p, q: 3 / p,
              lambda p, q: p @ q.T, lambda p, q: -p, lambda p, q: abs(p - q)]:
        np.testing.assert_allclose(np.array(f(a, b)), f(x.astype(np.float64), y.astype(np.float64)),
                                   rtol=1e-5, atol=1e-6)
    for f in [lambda p, q: p < q, lambda p, q: p <= q, lambda p, q: p > q, lambda p, q: p >= q,
              lambda p, q: p == q, lambda p, q: p != q]:
        assert np.array_equal(np.array(f(a, b)), f(x, y))
    q, r = divmod(a, b)
    np.testing.assert_allclose(np.array(q), x // y)
    np.testing.assert_allclose(np.array(r), x % y, rtol=1e-6)


def test_bitwise_operators():
    x = np.array([1, 6, 12, -3], np.int32)
    y = np.array([3, 5, 2, 1], np.int32)
    a, b = mx.array(x), mx.array(y)
    assert np.array_equal(np.array(a & b), x & y)
    assert np.array_equal(np.array(a | b), x | y)
    assert np.array_equal(np.array(a ^ b), x ^ y)
    assert np.array_equal(np.array(a << b), x << y)
    assert np.array_equal(np.array(a >> b), x >> y)
    assert np.array_equal(np.array(~a), ~x)
    assert (~mx.array([True, False])).tolist() == [False, True]
    assert (mx.array([True]) & True).dtype == mx.bool_
    with pytest.raises(ValueError):
        ~mx.array([1.0])
    with pytest.raises(ValueError):
        mx.array([1.0]) & mx.array([1.0])


def test_weak_typing():
    assert (mx.array([1], mx.int8) + 1).dtype == mx.int8
    assert (1 + mx.array([1], mx.uint16)).dtype == mx.uint16
    assert (mx.array([1], mx.int8) + 1.5).dtype == mx.float32
    assert (mx.array([1], mx.float16) + 1.5).dtype == mx.float16
    assert (mx.array([1], mx.bfloat16) * 2).dtype == mx.bfloat16
    assert (mx.array([True]) + True).dtype == mx.bool_
    assert (mx.array([True]) + 1).dtype == mx.int32
    assert (mx.array([1], mx.int32) + 1j).dtype == mx.complex64
    assert (mx.array([1.0], mx.float64) + 1).dtype == mx.float64
    assert (mx.array([1], mx.int64) + 2**40).dtype == mx.int64
    assert mx.add(mx.array([1], mx.uint8), 255).dtype == mx.uint8
    assert mx.add(1, 2.0).dtype == mx.float32
    assert mx.add(1, 2).dtype == mx.int32
    # NumPy arrays are not weak: they keep their dtype
    assert (mx.array([1], mx.float32) + np.array([1.0])).dtype == mx.float64
    with pytest.raises(OverflowError):
        mx.array([1], mx.int8) + 128
    with pytest.raises(OverflowError):
        mx.array([1], mx.uint8) - (-1)
    with pytest.raises(OverflowError):
        mx.array([1], mx.int32) * 2**31


def test_comparisons_with_other_objects():
    a = mx.array([1, 2])
    assert (a == None) is False  # noqa: E711
    assert (a != "x") is True
    with pytest.raises(TypeError):
        a < "x"
    with pytest.raises(TypeError):
        hash(a)


def test_inplace_keeps_object():
    a = mx.array([1, 2, 3])
    b = a
    a += 2
    assert a is b and a.tolist() == [3, 4, 5]
    a *= 1.5  # dtype may change, as in MLX
    assert a is b and a.dtype == mx.float32
    a -= 1
    a /= 2
    a //= 1
    a **= 2
    a %= 3
    m = mx.array([[1.0, 2.0], [3.0, 4.0]])
    m2 = m
    m @= mx.eye(2) if hasattr(mx, "eye") else m
    assert m is m2
    i = mx.array([1, 2], mx.int32)
    i |= 4
    i &= 5
    i ^= 1
    i <<= 1
    i >>= 1
    assert i.tolist() == [4, 5]
    # other references to the old value are not affected
    c = mx.array([1, 2])
    d = c[0]
    c += 10
    assert d.item() == 1
