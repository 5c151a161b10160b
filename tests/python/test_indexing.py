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


# ---- array indices mixed with ints, slices (any step), None and Ellipsis: a[idx] = v, a.at ----

SHAPE = (4, 5, 6)
MIXED = [
    ([1, 3], slice(1, 4)),
    (slice(None), [0, 2]),
    (slice(None, None, -1), [0, 2]),
    (None, [1, 2]),
    (Ellipsis, [0, 5]),
    ([0, 2], slice(None), [1, 4]),
    (slice(1, 3), [0, 2], [1, 3]),
    (1, slice(None, None, -2), [0, 5]),
    ([[0], [3]], slice(0, 5, 2), [1, 2]),
    (slice(None), None, [1, 2], slice(4, 0, -2)),
    ([1, 2], 3),
    (slice(-1, -5, -1), [[0, 1], [2, 3]], None),
    (Ellipsis, [1, 0], slice(None)),
    (np.array([-1, -2]), slice(2, None)),
    (mx.array([0, 3]), Ellipsis, None),
    (slice(10, 20), [0]),
    ([0, 1], None, [2, 3]),
    ([0, 1], None, [2, 3], slice(1, 3)),
    (None, slice(1, 3), None, [4, 0], slice(None, None, 3)),
    (2, [1, 4], slice(5, None, -4)),
    ([3, 0], Ellipsis, 1),
    (slice(None), slice(1, 2), [[5, 0, 1]]),
]
MIXED_IDS = [str(i) for i in range(len(MIXED))]


def _np_index(idx):
    """The same index for NumPy (mx.array entries converted, lists as arrays)."""
    conv = lambda i: np.array(i) if isinstance(i, (mx.array, list)) else i  # noqa: E731
    return tuple(conv(i) for i in idx) if isinstance(idx, tuple) else conv(idx)


def _check_set(idx, val, dtype=np.float32, base=None):
    n = np.arange(np.prod(SHAPE), dtype=dtype).reshape(SHAPE) if base is None else base.copy()
    a = mx.array(n)
    ident = a
    nval = np.array(val) if isinstance(val, mx.array) else val
    n[_np_index(idx)] = nval
    a[idx] = val
    assert a is ident
    assert a.shape == n.shape
    np.testing.assert_array_equal(np.array(a), n)


def _needs_scatter():
    if not hasattr(mx, "slice_update") or not hasattr(mx, "take"):
        pytest.skip("scatter ops not built yet")


@pytest.mark.parametrize("idx", MIXED, ids=MIXED_IDS)
def test_mixed_getitem(idx):
    _needs_scatter()
    n = np.arange(np.prod(SHAPE)).reshape(SHAPE)
    r = mx.array(n)[idx]
    e = n[_np_index(idx)]
    assert r.shape == e.shape
    np.testing.assert_array_equal(np.array(r), e)


@pytest.mark.parametrize("idx", MIXED, ids=MIXED_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_mixed_setitem_scalar(idx, dtype):
    _needs_scatter()
    _check_set(idx, -7, dtype)


@pytest.mark.parametrize("idx", MIXED, ids=MIXED_IDS)
def test_mixed_setitem_array(idx):
    _needs_scatter()
    shape = np.zeros(SHAPE)[_np_index(idx)].shape
    full = -1 - np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    _check_set(idx, mx.array(full))  # the whole a[idx] shape (no repeated positions in MIXED)
    _check_set(idx, full[(None, None)])  # extra leading singleton dims are dropped
    if shape:
        last = -1 - np.arange(shape[-1], dtype=np.float32)
        _check_set(idx, mx.array(last))  # broadcast along the leading dims
        _check_set(idx, last.tolist())


@pytest.mark.parametrize("idx", MIXED, ids=MIXED_IDS)
def test_mixed_augmented_assign(idx):
    _needs_scatter()
    n = np.arange(np.prod(SHAPE), dtype=np.float32).reshape(SHAPE)
    a = mx.array(n)
    a[idx] += 1
    n[_np_index(idx)] += 1
    np.testing.assert_array_equal(np.array(a), n)
    a[idx] *= 2
    n[_np_index(idx)] *= 2
    np.testing.assert_array_equal(np.array(a), n)


DUP = [
    ([0, 0, 2],),
    (slice(None), [1, 1, 3]),
    ([2, 2], slice(1, 4)),
    (slice(None, None, -1), [0, 0], [5, 5]),
    ([[1, 1], [3, 1]], slice(None), [0, 2]),
    (None, Ellipsis, [4, 4, 4]),
    (1, slice(0, 5, 2), [0, 0]),
    (slice(3, 0, -1), None, [1, 1], slice(None, None, 2)),
] + MIXED
DUP_IDS = [str(i) for i in range(len(DUP))]


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "maximum", "minimum"])
@pytest.mark.parametrize("idx", DUP, ids=DUP_IDS)
def test_mixed_at_accumulates(idx, op):
    _needs_scatter()
    rng = np.random.default_rng(0)
    n = rng.uniform(-2, 2, SHAPE).astype(np.float32)
    shape = n[_np_index(idx)].shape
    v = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    a = mx.array(n)
    r = getattr(a.at[idx], op)(mx.array(v))
    e = n.copy()
    getattr(np, op).at(e, _np_index(idx), v)
    assert r.shape == e.shape
    np.testing.assert_allclose(np.array(r), e, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.array(a), n)  # functional
    # scalar update
    r = getattr(a.at[idx], op)(2.0)
    e = n.copy()
    getattr(np, op).at(e, _np_index(idx), np.float32(2.0))
    np.testing.assert_allclose(np.array(r), e, rtol=1e-5, atol=1e-6)


def test_mixed_at_divide_and_int():
    _needs_scatter()
    a = mx.ones((3, 4)) * 8
    r = a.at[1:, [0, 0, 3]].divide(2)
    e = np.full((3, 4), 8.0, np.float32)
    np.divide.at(e, (slice(1, None), np.array([0, 0, 3])), 2)
    np.testing.assert_array_equal(np.array(r), e)
    b = mx.zeros((3, 4), mx.int32)
    r = b.at[::-1, [1, 1, 2]].add(mx.array([1, 2, 3]))
    e = np.zeros((3, 4), np.int32)
    np.add.at(e, (slice(None, None, -1), np.array([1, 1, 2])), np.array([1, 2, 3]))
    assert r.dtype == mx.int32
    np.testing.assert_array_equal(np.array(r), e)


def test_mixed_setitem_duplicates_take_one_value():
    _needs_scatter()
    a = mx.zeros((3, 4))
    a[:, [1, 1]] = mx.array([[1, 2]] * 3)
    col = np.array(a)[:, 1]
    assert all(c in (1, 2) for c in col)
    np.testing.assert_array_equal(np.array(a)[:, [0, 2, 3]], 0)


def test_mixed_setitem_strided_array():
    _needs_scatter()
    # the target itself a strided view (transposed / reversed) and the value strided
    n = np.arange(60, dtype=np.float32).reshape(5, 12)
    a = mx.array(n).T[::-1]
    e = n.T[::-1].copy()
    v = np.arange(24, dtype=np.float32).reshape(3, 8).T[::2]
    a[1:9:2, [4, 0, 2]] = mx.array(v)
    e[1:9:2, [4, 0, 2]] = v
    np.testing.assert_array_equal(np.array(a), e)
    # mixed dtypes: an int update into a float16 array, uint8 index array
    h = mx.zeros((2, 3, 4), mx.float16)
    h[:, mx.array([2, 0], mx.uint8), 1:3] = mx.array([[1, 2], [3, 4]])
    eh = np.zeros((2, 3, 4), np.float16)
    eh[:, [2, 0], 1:3] = [[1, 2], [3, 4]]
    assert h.dtype == mx.float16
    np.testing.assert_array_equal(np.array(h), eh)


def test_mixed_update_errors():
    _needs_scatter()
    a = mx.zeros(SHAPE)
    with pytest.raises(ValueError):
        a[[0, 1], 1:3] = mx.zeros((3, 2))
    with pytest.raises(ValueError):
        a[:, [0, 1]] = mx.zeros((4, 2, 5))
    with pytest.raises(ValueError):
        a[None, [0, 1], ::2] = mx.zeros((2, 2, 5, 6))
    with pytest.raises(ValueError):
        a.at[:, [0, 0]].add(mx.zeros((3,)))
    with pytest.raises(IndexError):
        a[4, :, [0]] = 1
    with pytest.raises(IndexError):
        a[[0], -6] = 1
    with pytest.raises(IndexError):
        a.at[1:, 5, [0]].add(1)
    with pytest.raises(IndexError):
        a[[0], 0, 0, 0] = 1
    with pytest.raises(IndexError):
        a[[0], ..., ...] = 1
    with pytest.raises(IndexError):
        a[mx.array([0.5]), 1:] = 1
    with pytest.raises(ValueError):
        a[[0], ::0] = 1
    np.testing.assert_array_equal(np.array(a), 0)  # failed updates leave a unchanged


def test_mixed_updates_release_every_array():
    _needs_scatter()
    import ctypes
    import gc
    import os

    lib = ctypes.CDLL(os.path.join(os.path.dirname(mx.__file__), "libcmlx.so"))
    lib.mx_debug_live_arrays.restype = ctypes.c_int64
    lib.mx_debug_live_nodes.restype = ctypes.c_int64

    def step():
        a = mx.zeros(SHAPE)
        a[None, [0, 1], ::-2] = mx.ones((3, 6))
        a[..., [1, 1]] += 1
        r = a.at[1, :, [0, 0]].add(mx.ones((2, 5)))
        with pytest.raises(ValueError):
            a[[0, 1], 1:3] = mx.zeros((3, 2))
        with pytest.raises(IndexError):
            a[[0, 1], 9] = 0
        mx.eval(a, r)

    step()
    gc.collect()
    before = (lib.mx_debug_live_arrays(), lib.mx_debug_live_nodes())
    for _ in range(5):
        step()
    gc.collect()
    assert (lib.mx_debug_live_arrays(), lib.mx_debug_live_nodes()) == before


def test_mixed_updates_differentiate():
    _needs_scatter()
    x = mx.arange(12.0).reshape(3, 4)
    w = mx.arange(12.0).reshape(3, 4)

    def f(x_, y_):
        return (x_.at[1:, [0, 0]].add(y_) * w).sum()

    gx, gy = mx.grad(f, argnums=(0, 1))(x, mx.ones((2, 2)))
    np.testing.assert_array_equal(np.array(gx), np.array(w))
    np.testing.assert_array_equal(np.array(gy), [[4, 4], [8, 8]])

    def g(x_, y_):
        z = x_ * 1
        z[::-1, [3, 1]] = y_
        return (z * w).sum()

    gx, gy = mx.grad(g, argnums=(0, 1))(x, mx.ones((3, 2)))
    e = np.array(w)
    e[:, [3, 1]] = 0
    np.testing.assert_array_equal(np.array(gx), e)
    np.testing.assert_array_equal(np.array(gy), [[11, 9], [7, 5], [3, 1]])
