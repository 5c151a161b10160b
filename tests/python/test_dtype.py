"""Dtype objects, categories, finfo/iinfo, promotion and the dtype utilities."""
import pickle

import numpy as np
import pytest

import mlx.core as mx

ALL = [mx.bool_, mx.uint8, mx.uint16, mx.uint32, mx.uint64, mx.int8, mx.int16, mx.int32,
       mx.int64, mx.float16, mx.float32, mx.float64, mx.bfloat16, mx.complex64]
SIZES = [1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2, 8]


def test_sizes_repr_eq_hash():
    assert len(ALL) == 14
    for t, s in zip(ALL, SIZES):
        assert t.size == s
        assert t == t and hash(t) == hash(t)
    assert repr(mx.float32) == "mlx.core.float32"
    assert repr(mx.bool_) == "mlx.core.bool"
    assert mx.float32 != mx.float16
    assert len({*ALL}) == 14
    assert mx.float32 != "float32"


def test_dtype_not_constructible_and_pickles():
    with pytest.raises(TypeError):
        mx.Dtype()
    assert pickle.loads(pickle.dumps(mx.int16)) == mx.int16


def test_categories():
    assert mx.issubdtype(mx.float32, mx.floating)
    assert mx.issubdtype(mx.float32, mx.inexact)
    assert mx.issubdtype(mx.complex64, mx.complexfloating)
    assert not mx.issubdtype(mx.complex64, mx.floating)
    assert mx.issubdtype(mx.uint8, mx.unsignedinteger)
    assert mx.issubdtype(mx.int8, mx.signedinteger)
    assert mx.issubdtype(mx.int8, mx.integer) and mx.issubdtype(mx.int8, mx.number)
    assert not mx.issubdtype(mx.bool_, mx.number)
    assert mx.issubdtype(mx.bool_, mx.generic)
    assert mx.issubdtype(mx.floating, mx.inexact)
    assert not mx.issubdtype(mx.inexact, mx.floating)
    assert mx.issubdtype(mx.int32, mx.int32) and not mx.issubdtype(mx.int32, mx.int64)
    assert not mx.issubdtype(mx.floating, mx.float32)
    assert mx.DtypeCategory.floating == mx.floating
    assert repr(mx.floating) == "DtypeCategory.floating"
    with pytest.raises(TypeError):
        mx.issubdtype(1, mx.floating)


def test_finfo_iinfo():
    for t, nt in [(mx.float16, np.float16), (mx.float32, np.float32), (mx.float64, np.float64)]:
        f, n = mx.finfo(t), np.finfo(nt)
        assert f.max == float(n.max) and f.min == float(n.min)
        assert f.eps == float(n.eps)
        assert f.bits == n.bits
        assert f.dtype == t
    assert mx.finfo(mx.bfloat16).eps == 2.0 ** -7
    assert mx.finfo(mx.complex64).dtype == mx.float32
    for t, nt in [(mx.int8, np.int8), (mx.uint16, np.uint16), (mx.int64, np.int64),
                  (mx.uint64, np.uint64)]:
        i, n = mx.iinfo(t), np.iinfo(nt)
        assert (i.min, i.max) == (int(n.min), int(n.max))
    with pytest.raises(ValueError):
        mx.finfo(mx.int32)
    with pytest.raises(ValueError):
        mx.iinfo(mx.float32)


def test_promotion():
    cases = [
        (mx.uint64, mx.int8, mx.float32), (mx.uint32, mx.int8, mx.int64),
        (mx.float16, mx.bfloat16, mx.float32), (mx.int64, mx.float16, mx.float16),
        (mx.int32, mx.bfloat16, mx.bfloat16), (mx.float64, mx.complex64, mx.complex64),
        (mx.float64, mx.float32, mx.float64), (mx.bool_, mx.uint8, mx.uint8),
        (mx.uint8, mx.int8, mx.int16),
    ]
    for a, b, r in cases:
        assert mx.result_type(a, b) == r
        assert (mx.zeros((1,), a) + mx.zeros((1,), b)).dtype == r
    assert mx.result_type(mx.array([1]), mx.float16) == mx.float16
    assert mx.result_type(1.0) == mx.float32


def test_can_cast_and_isdtype():
    assert mx.can_cast(mx.int8, mx.int16) and not mx.can_cast(mx.int16, mx.int8)
    assert mx.can_cast(mx.uint8, mx.int16) and not mx.can_cast(mx.int8, mx.uint64)
    assert mx.can_cast(mx.int16, mx.float32) and not mx.can_cast(mx.int32, mx.float32)
    assert mx.can_cast(mx.float32, mx.complex64) and not mx.can_cast(mx.float64, mx.complex64)
    assert mx.can_cast(mx.bool_, mx.float16) and not mx.can_cast(mx.float32, mx.bool_)
    # agrees with NumPy where NumPy has the types
    np_types = {mx.bool_: np.bool_, mx.uint8: np.uint8, mx.int16: np.int16, mx.int32: np.int32,
                mx.int64: np.int64, mx.float16: np.float16, mx.float32: np.float32,
                mx.float64: np.float64, mx.complex64: np.complex64, mx.uint32: np.uint32}
    for a, na in np_types.items():
        for b, nb in np_types.items():
            assert mx.can_cast(a, b) == np.can_cast(na, nb), (a, b)
    assert mx.isdtype(mx.float32, "real floating")
    assert mx.isdtype(mx.int8, ("bool", "integral"))
    assert not mx.isdtype(mx.int8, "unsigned integer")
    with pytest.raises(ValueError):
        mx.isdtype(mx.int8, "nope")
