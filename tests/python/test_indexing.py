"""a[idx], a[idx] = v and a.at[idx]: basic and advanced forms checked against NumPy."""
import numpy as np
import pytest

import mlx.core as mx

N = np.arange(2 * 3 * 4 * 5, dtype=np.int32).reshape(2, 3, 4, 5)
A = mx.array(N)

BASIC = [
    0, -1, 1, (0, 1), (1, -1, 2), slice(None), slice(1, None), slice(None, None, -1),
    slice(None, None, 2), slice(-1, -10, -2), slice(5, 0, -1), slice(10, 20),
    (slice(None), 1), (Ellipsis, 1), (0, Ellipsis, -1), (None,), (None, 0, None),
    (slice(None), None, slice(1, 3)), (Ellipsis,), (), (1, slice(None, None, -1), None, 2),
    (0, 1, 2, 3), (np.int64(1),), (0, None, Ellipsis, None),
]


@pytest.mark.parametrize("idx", BASIC, ids=[repr(i) for i in BASIC])
def test_basic_getitem(idx):
    r = A[idx]
    e = N[idx]
    assert r.shape == e.shape
    assert np.array_equal(np.array(r), e)


ADV = [
    [1, 0], mx.array([1, 0, 1]), (slice(None), [0, 2]), (0, [1, 2], slice(None)),
    ([0, 1], [1, 2]), ([0, 1], slice(None), [1, 2]), (slice(None), slice(None), [[0], [3]], [1, 2]),
    (Ellipsis, [0, -1]), ([[1, 0], [0, 1]],), (1, [0, 1], slice(1, 3), [2, 3]),
    (None, [0, 1]), (slice(None), None, [0, 1]), (np.array([1, 0]),), ([0, 1], 1),
    (mx.array(1),), ([-1, -2],),
]


@pytest.mark.parametrize("idx", ADV, ids=[repr(i) for i in range(len(ADV))])
def test_advanced_getitem(idx):
    if not hasattr(mx, "take"):
        pytest.skip("gather ops not built yet")
    nidx = tuple(np.array(i) if isinstance(i, mx.array) else i for i in idx) \
        if isinstance(idx, tuple) else (np.array(idx) if isinstance(idx, mx.array) else idx)
    if isinstance(nidx, list):
        nidx = np.array(nidx)
    r = A[idx]
    e = N[nidx]
    assert r.shape == e.shape, (r.shape, e.shape)
    assert np.array_equal(np.array(r), e)


def test_index_errors():
    with pytest.raises(IndexError):
        A[2]
    with pytest.raises(IndexError):
        A[0, 0, 0, 0, 0]
    with pytest.raises(IndexError):
        A[..., ...]
    with pytest.raises(ValueError):
        A[::0]
    with pytest.raises(IndexError):
        A[1.5]
    with pytest.raises(IndexError):
        A["a"]
    with pytest.raises(ValueError):
        A[mx.array([True, False])]
    with pytest.raises(IndexError):
        A[mx.array([0.5])]
    with pytest.raises(IndexError):
        mx.array(1)[0]


def test_index_view_then_ops():
    b = mx.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(np.array(b[::-1, 1:] * 2), np.arange(12).reshape(3, 4)[::-1, 1:] * 2)


@pytest.mark.parametrize("idx,val", [
    (1, 5), ((0, 1), 7.5), (slice(None, None, 2), mx.array([1, 2, 3])),
    ((slice(None), 1), mx.array([9, 8, 7, 6])), ((Ellipsis, -1), 0), (slice(1, 3), [[1, 2, 3], [4, 5, 6]]),
    ((slice(None, None, -1), 0), mx.array([1, 2, 3, 4])), ((None, 1), mx.array([[4, 4, 4]])),
])
def test_setitem_basic(idx, val):
    if not hasattr(mx, "slice_update"):
        pytest.skip("slice_update not built yet")
    n = np.zeros((4, 3), np.float32)
    a = mx.array(n)
    ident = a
    n[idx] = np.array(val) if isinstance(val, mx.array) else val
    a[idx] = val
    assert a is ident
    assert np.array_equal(np.array(a), n)


def test_setitem_advanced_and_mask():
    if not hasattr(mx, "slice_update"):
        pytest.skip("scatter ops not built yet")
    n = np.zeros((4, 3), np.float32)
    a = mx.array(n)
    a[[0, 2]] = mx.array([1, 2, 3])
    n[[0, 2]] = [1, 2, 3]
    a[:, [1]] = 5
    n[:, [1]] = 5
    a[mx.array([3]), 2] = -1
    n[[3], 2] = -1
    assert np.array_equal(np.array(a), n)
    m = mx.array([[True, False, True]] * 4)
    a[m] = 9
    n[np.array(m)] = 9
    assert np.array_equal(np.array(a), n)
    a[np.array(n > 4)] = 0
    n[n > 4] = 0
    assert np.array_equal(np.array(a), n)
    # the value keeps the array's dtype (weak) and int values overflow-check
    b = mx.zeros((3,), mx.int8)
    with pytest.raises(OverflowError):
        b[0] = 1000


def test_at_accumulates():
    if not hasattr(mx, "slice_update"):
        pytest.skip("scatter ops not built yet")
    a = mx.zeros((4,))
    idx = mx.array([0, 0, 2])
    assert a.at[idx].add(1).tolist() == [2, 0, 1, 0]
    assert a.at[idx].subtract(1).tolist() == [-2, 0, -1, 0]
    b = mx.ones((4,)) * 2
    assert b.at[idx].multiply(3).tolist() == [18, 2, 6, 2]
    assert b.at[idx].divide(2).tolist() == [0.5, 2, 1, 2]
    assert b.at[idx].maximum(mx.array([1, 5, 3])).tolist() == [5, 2, 3, 2]
    assert b.at[idx].minimum(mx.array([1, 5, 3])).tolist() == [1, 2, 2, 2]
    assert b.at[1:3].add(1).tolist() == [2, 3, 3, 2]
    assert a.tolist() == [0, 0, 0, 0]  # functional: a unchanged
