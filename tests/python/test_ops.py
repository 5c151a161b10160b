"""Module ops against NumPy: element-wise (generated from the .def tables), creation, shape."""
import math

import numpy as np
import pytest

import mlx.core as mx

RNG = np.random.default_rng(42)

# name -> (numpy function, input domain)
UNARY = {
    "abs": (np.abs, (-3, 3)), "sign": (np.sign, (-3, 3)), "negative": (np.negative, (-3, 3)),
    "square": (np.square, (-3, 3)), "sqrt": (np.sqrt, (0.1, 4)), "rsqrt": (lambda x: 1 / np.sqrt(x), (0.1, 4)),
    "reciprocal": (np.reciprocal, (0.5, 4)), "exp": (np.exp, (-3, 3)), "expm1": (np.expm1, (-1, 1)),
    "sin": (np.sin, (-3, 3)), "cos": (np.cos, (-3, 3)), "tan": (np.tan, (-1, 1)),
    "arcsin": (np.arcsin, (-0.9, 0.9)), "arccos": (np.arccos, (-0.9, 0.9)), "arctan": (np.arctan, (-3, 3)),
    "sinh": (np.sinh, (-2, 2)), "cosh": (np.cosh, (-2, 2)), "tanh": (np.tanh, (-2, 2)),
    "arcsinh": (np.arcsinh, (-2, 2)), "arccosh": (np.arccosh, (1.1, 3)), "arctanh": (np.arctanh, (-0.9, 0.9)),
    "log": (np.log, (0.1, 4)), "log2": (np.log2, (0.1, 4)), "log10": (np.log10, (0.1, 4)),
    "log1p": (np.log1p, (-0.5, 3)), "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-4, 4)),
    "floor": (np.floor, (-3, 3)), "ceil": (np.ceil, (-3, 3)), "trunc": (np.trunc, (-3, 3)),
    "round": (np.round, (-3, 3)), "degrees": (np.degrees, (-3, 3)), "radians": (np.radians, (-90, 90)),
    "erf": (np.vectorize(math.erf), (-2, 2)), "positive": (np.positive, (-3, 3)),
    "acos": (np.arccos, (-0.9, 0.9)), "asinh": (np.arcsinh, (-2, 2)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_vs_numpy(name):
    f, (lo, hi) = UNARY[name]
    x = RNG.uniform(lo, hi, (3, 7)).astype(np.float32)
    r = getattr(mx, name)(mx.array(x))
    assert r.dtype == mx.float32
    np.testing.assert_allclose(np.array(r), f(x.astype(np.float64)), rtol=2e-5, atol=2e-6)
    # strided input
    r2 = getattr(mx, name)(mx.array(x)[:, ::-2])
    np.testing.assert_allclose(np.array(r2), f(x.astype(np.float64))[:, ::-2], rtol=2e-5, atol=2e-6)


def test_unary_dtypes_and_predicates():
    assert mx.sqrt(mx.array([4])).dtype == mx.float32  # ints compute as float32
    assert mx.abs(mx.array([-2], mx.int8)).tolist() == [2]
    assert mx.abs(mx.array([3 + 4j])).item() == 5.0
    x = mx.array([1.0, float("nan"), float("inf"), -float("inf")])
    assert mx.isnan(x).tolist() == [False, True, False, False]
    assert mx.isinf(x).tolist() == [False, False, True, True]
    assert mx.isfinite(x).tolist() == [True, False, False, False]
    assert mx.isposinf(x).tolist() == [False, False, True, False]
    assert mx.isneginf(x).tolist() == [False, False, False, True]
    assert mx.nan_to_num(x).tolist()[:2] == [1.0, 0.0]
    assert mx.nan_to_num(x, nan=5, posinf=7, neginf=-7).tolist() == [1, 5, 7, -7]
    assert mx.logical_not(mx.array([0, 2])).tolist() == [True, False]
    assert mx.bitwise_invert(mx.array([0], mx.uint8)).item() == 255
    assert mx.conj(mx.array(1 + 2j)).item() == 1 - 2j
    assert mx.conjugate(mx.array(1 + 2j)).item() == 1 - 2j
    assert mx.real(mx.array(1 + 2j)).item() == 1 and mx.imag(mx.array(1 + 2j)).item() == 2
    assert mx.round(mx.array([1.2345, 2.5, 3.5]), 2).tolist()[0] == pytest.approx(1.23)
    assert mx.round(mx.array([2.5, 3.5])).tolist() == [2, 4]
    assert mx.erfinv(mx.array(0.5)).item() == pytest.approx(0.4769362762044699, rel=1e-5)
    assert mx.stop_gradient(mx.array([1, 2])).tolist() == [1, 2]
    with pytest.raises(ValueError):
        mx.negative(mx.array([True]))


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "floor_divide": np.floor_divide, "remainder": np.remainder, "power": np.power,
    "arctan2": np.arctan2, "logaddexp": np.logaddexp, "minimum": np.minimum, "maximum": np.maximum,
    "pow": np.power, "atan2": np.arctan2,
}
COMPARE = {
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_vs_numpy(name):
    x = RNG.uniform(0.5, 3, (4, 1, 3)).astype(np.float32)
    y = RNG.uniform(0.5, 3, (5, 1)).astype(np.float32)  # broadcasts to (4, 5, 3)
    r = getattr(mx, name)(mx.array(x), mx.array(y))
    np.testing.assert_allclose(np.array(r), BINARY[name](x.astype(np.float64), y.astype(np.float64)),
                               rtol=2e-5, atol=1e-6)
    # scalars on either side
    r = getattr(mx, name)(2.0, mx.array(x))
    np.testing.assert_allclose(np.array(r), BINARY[name](2.0, x.astype(np.float64)), rtol=2e-5)


@pytest.mark.parametrize("name", sorted(COMPARE))
def test_compare_vs_numpy(name):
    x = RNG.integers(-3, 3, (3, 4)).astype(np.int32)
    y = RNG.integers(-3, 3, (4,)).astype(np.int32)
    r = getattr(mx, name)(mx.array(x), mx.array(y))
    assert r.dtype == mx.bool_
    assert np.array_equal(np.array(r), COMPARE[name](x, y))


def test_integer_binary_semantics():
    x = np.array([7, -7, 7, -7, 0], np.int32)
    y = np.array([2, 2, -2, -2, 3], np.int32)
    a, b = mx.array(x), mx.array(y)
    assert mx.floor_divide(a, b).tolist() == (x // y).tolist()
    assert mx.remainder(a, b).tolist() == (x % y).tolist()
    assert mx.power(mx.array([2, 3]), mx.array([3, 2])).tolist() == [8, 9]
    assert mx.divide(a, b).dtype == mx.float32
    assert (mx.array([200], mx.uint8) + mx.array([100], mx.uint8)).item() == 44  # wraps
    q, r = mx.divmod(a, b)
    assert q.tolist() == (x // y).tolist() and r.tolist() == (x % y).tolist()
    assert mx.logical_and(mx.array([1, 0]), mx.array([1, 1])).tolist() == [True, False]
    assert mx.logical_or(mx.array([1, 0]), False).tolist() == [True, False]
    assert mx.logical_xor(mx.array([True, False]), True).tolist() == [False, True]
    assert mx.bitwise_and(mx.array([6]), 3).item() == 2
    assert mx.bitwise_or(mx.array([6]), 3).item() == 7
    assert mx.bitwise_xor(mx.array([6]), 3).item() == 5
    assert mx.left_shift(mx.array([1]), 4).item() == 16
    assert mx.bitwise_left_shift(mx.array([1]), 4).item() == 16
    assert mx.right_shift(mx.array([16]), 2).item() == 4
    assert mx.bitwise_right_shift(mx.array([16]), 2).item() == 4


def test_where_clip_isclose():
    c = mx.array([True, False, True])
    assert mx.where(c, 1, 2).tolist() == [1, 2, 1]
    assert mx.where(c, mx.array([1.5, 2, 3]), 0).dtype == mx.float32
    assert mx.where(c, mx.array([1], mx.int8), 2).dtype == mx.int8
    x = mx.array([-2, 0, 5])
    assert mx.clip(x, -1, 3).tolist() == [-1, 0, 3]
    assert mx.clip(x, None, 3).tolist() == [-2, 0, 3]
    assert mx.clip(x, a_min=0, a_max=None).tolist() == [0, 0, 5]
    with pytest.raises(ValueError):
        mx.clip(x, None, None)
    a = mx.array([1.0, float("nan"), float("inf")])
    b = mx.array([1.0 + 1e-9, float("nan"), float("inf")])
    assert mx.isclose(a, b).tolist() == [True, False, True]
    assert mx.isclose(a, b, equal_nan=True).tolist() == [True, True, True]
    if hasattr(mx, "allclose"):
        assert mx.allclose(a, b, equal_nan=True).item() is True
        assert mx.allclose(mx.array([1.0]), mx.array([1.1])).item() is False
        assert mx.allclose(mx.array([1.0]), mx.array([1.1]), atol=0.2).item() is True
        assert mx.array_equal(mx.array([1, 2]), mx.array([1.0, 2.0])).item() is True
        assert mx.array_equal(mx.array([1, 2]), mx.array([1, 2, 3])).item() is False
        assert mx.array_equal(a, b, equal_nan=False).item() is False


# ---- creation ----
def test_creation():
    z = mx.zeros((2, 3))
    assert z.dtype == mx.float32 and z.shape == (2, 3) and z.sum().item() == 0
    assert mx.zeros(3, mx.int32).tolist() == [0, 0, 0]
    assert mx.zeros([2, 0]).shape == (2, 0)
    assert mx.zeros(()).shape == ()
    assert mx.ones((2,), dtype=mx.bool_).tolist() == [True, True]
    assert mx.full((2, 2), 3).dtype == mx.int32
    assert mx.full(2, 3.0).tolist() == [3.0, 3.0]
    assert mx.full((2, 2), 2.5, mx.float16).dtype == mx.float16
    assert mx.full([3, 2], mx.array([False, True])).tolist() == [[False, True]] * 3
    x = mx.array([[1, 2]], mx.int16)
    assert mx.zeros_like(x).dtype == mx.int16 and mx.ones_like(x).tolist() == [[1, 1]]
    assert mx.ones_like(x, dtype=mx.float32).dtype == mx.float32
    assert mx.full_like(x, 7).tolist() == [[7, 7]] and mx.full_like(x, 7).dtype == mx.int16
    assert mx.empty((2,)).shape == (2,) and mx.empty_like(x).shape == (1, 2)
    with pytest.raises(ValueError):
        mx.zeros((-1, 2))
    with pytest.raises(TypeError):
        mx.zeros((2.5,))


def test_arange():
    assert mx.arange(5).tolist() == [0, 1, 2, 3, 4] and mx.arange(5).dtype == mx.int32
    assert mx.arange(2, 8, 2).tolist() == [2, 4, 6]
    assert mx.arange(5.0).dtype == mx.float32
    assert mx.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert mx.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert mx.arange(5, dtype=mx.float16).dtype == mx.float16
    assert mx.arange(start=1, stop=4).tolist() == [1, 2, 3]
    assert mx.arange(6, step=2).tolist() == [0, 2, 4]
    assert mx.arange(0).shape == (0,)
    with pytest.raises(ValueError):
        mx.arange(0, 5, 0)
    with pytest.raises(TypeError):
        mx.arange()


def test_more_creation():
    if not hasattr(mx, "linspace"):
        pytest.skip("creation family not built yet")
    np.testing.assert_allclose(np.array(mx.linspace(0, 1, 5)), np.linspace(0, 1, 5), rtol=1e-6)
    np.testing.assert_allclose(np.array(mx.linspace(0, 1, 4, endpoint=False)),
                               np.linspace(0, 1, 4, endpoint=False), rtol=1e-6)
    assert np.array_equal(np.array(mx.eye(3, 4, 1)), np.eye(3, 4, 1))
    assert np.array_equal(np.array(mx.identity(3)), np.identity(3))
    assert np.array_equal(np.array(mx.tri(3, 3, 0)), np.tri(3, 3, 0))
    for n in ["bartlett", "hanning", "hamming", "blackman"]:
        np.testing.assert_allclose(np.array(getattr(mx, n)(7)), getattr(np, n)(7), atol=1e-6)
    xs, ys = mx.meshgrid(mx.array([1, 2, 3]), mx.array([4, 5]))
    nx, ny = np.meshgrid([1, 2, 3], [4, 5])
    assert np.array_equal(np.array(xs), nx) and np.array_equal(np.array(ys), ny)


# ---- shape ----
def test_shape_ops_core():
    n = np.arange(24).reshape(2, 3, 4)
    a = mx.array(n)
    assert np.array_equal(np.array(mx.reshape(a, (4, 6))), n.reshape(4, 6))
    assert np.array_equal(np.array(mx.reshape(a, shape=[-1])), n.reshape(-1))
    assert np.array_equal(np.array(mx.transpose(a)), n.transpose())
    assert np.array_equal(np.array(mx.transpose(a, [1, 0, 2])), n.transpose(1, 0, 2))
    assert np.array_equal(np.array(mx.permute_dims(a, (2, 0, 1))), n.transpose(2, 0, 1))
    assert mx.squeeze(mx.zeros((1, 2, 1))).shape == (2,)
    assert mx.squeeze(mx.zeros((1, 2, 1)), axis=-1).shape == (1, 2)
    assert mx.expand_dims(a, 0).shape == (1, 2, 3, 4)
    assert mx.expand_dims(a, (0, -1)).shape == (1, 2, 3, 4, 1)
    assert mx.flatten(a).shape == (24,) and mx.flatten(a, 1).shape == (2, 12)
    assert np.array_equal(np.array(mx.broadcast_to(mx.array([1, 2]), (3, 2))), np.broadcast_to([1, 2], (3, 2)))
    s = mx.as_strided(mx.arange(10), (3, 3), (1, 1))
    assert s.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert mx.view(mx.array([1.0], mx.float32), mx.int32).item() == 0x3F800000
    assert mx.astype(a, mx.float16).dtype == mx.float16
    with pytest.raises(ValueError):
        mx.squeeze(a, 0)
    with pytest.raises(ValueError):
        mx.transpose(a, [0, 1])


def test_shape_ops_family():
    if not hasattr(mx, "concatenate"):
        pytest.skip("shape family not built yet")
    n = np.arange(24).reshape(2, 3, 4)
    a = mx.array(n)
    assert np.array_equal(np.array(mx.concatenate([a, a], axis=1)), np.concatenate([n, n], 1))
    assert np.array_equal(np.array(mx.concatenate([a, a], axis=None)), np.concatenate([n, n], None))
    assert np.array_equal(np.array(mx.concat([a, a])), np.concatenate([n, n]))
    assert np.array_equal(np.array(mx.stack([a, a], axis=-1)), np.stack([n, n], -1))
    for p, e in zip(mx.split(a, 2, axis=2), np.split(n, 2, axis=2)):
        assert np.array_equal(np.array(p), e)
    for p, e in zip(mx.split(a, [1, 3], axis=2), np.split(n, [1, 3], axis=2)):
        assert np.array_equal(np.array(p), e)
    assert len(mx.unstack(a, axis=1)) == 3
    assert np.array_equal(np.array(mx.repeat(a, 2, axis=1)), np.repeat(n, 2, axis=1))
    assert np.array_equal(np.array(mx.repeat(a, 2)), np.repeat(n, 2))
    assert np.array_equal(np.array(mx.tile(a, (2, 1))), np.tile(n, (2, 1)))
    assert np.array_equal(np.array(mx.pad(a, 1)), np.pad(n, 1))
    assert np.array_equal(np.array(mx.pad(a, ((0, 0), (1, 2), (0, 1)), constant_values=7)),
                          np.pad(n, ((0, 0), (1, 2), (0, 1)), constant_values=7))
    assert np.array_equal(np.array(mx.pad(a, (1, 1), mode="edge")), np.pad(n, (1, 1), mode="edge"))
    assert np.array_equal(np.array(mx.flip(a, 1)), np.flip(n, 1))
    assert np.array_equal(np.array(mx.flip(a)), np.flip(n))
    assert np.array_equal(np.array(mx.roll(a, 2)), np.roll(n, 2))
    assert np.array_equal(np.array(mx.roll(a, 1, 2)), np.roll(n, 1, axis=2))
    assert np.array_equal(np.array(mx.moveaxis(a, 0, -1)), np.moveaxis(n, 0, -1))
    assert np.array_equal(np.array(mx.swapaxes(a, 0, 2)), np.swapaxes(n, 0, 2))
    m = np.arange(16).reshape(4, 4)
    assert np.array_equal(np.array(mx.diagonal(mx.array(m), 1)), np.diagonal(m, 1))
    assert np.array_equal(np.array(mx.diag(mx.array(m))), np.diag(m))
    assert np.array_equal(np.array(mx.diag(mx.array([1, 2]))), np.diag([1, 2]))
    assert np.array_equal(np.array(mx.tril(mx.array(m), -1)), np.tril(m, -1))
    assert np.array_equal(np.array(mx.triu(mx.array(m), 1)), np.triu(m, 1))
    assert mx.trace(mx.array(m)).item() == np.trace(m)
    assert mx.unflatten(mx.arange(6), 0, (2, 3)).shape == (2, 3)
    assert mx.atleast_1d(mx.array(1)).shape == (1,)
    assert [x.shape for x in mx.atleast_2d(mx.array(1), mx.array([1, 2]))] == [(1, 1), (1, 2)]
    assert mx.atleast_3d(mx.array([1, 2])).shape == (1, 2, 1)
    b1, b2 = mx.broadcast_arrays(mx.array([1, 2]), mx.array([[1], [2], [3]]))
    assert b1.shape == b2.shape == (3, 2)
    assert mx.broadcast_shapes((1, 2), (3, 1)) == (3, 2)
    assert mx.contiguous(a.T).tolist() == n.T.tolist()
    with pytest.raises(ValueError):
        mx.concatenate([a, mx.zeros((3, 3, 3))])
    with pytest.raises(ValueError):
        mx.broadcast_shapes((2,), (3,))


def test_asarray_diff():
    assert mx.asarray([1, 2]).tolist() == [1, 2] and mx.asarray(1.0, mx.float16).dtype == mx.float16
    n = np.array([[1, 4, 9, 16], [2, 3, 5, 8]], np.int32)
    for k, ax in [(1, -1), (2, -1), (1, 0), (0, -1), (5, -1)]:
        assert np.array_equal(np.array(mx.diff(mx.array(n), k, ax)), np.diff(n, k, ax))
    f = np.array([0.5, 2.0, -1.0], np.float32)
    np.testing.assert_allclose(np.array(mx.diff(mx.array(f))), np.diff(f))
    assert mx.diff(mx.array([True, False, False])).tolist() == [True, False]
    with pytest.raises(ValueError):
        mx.diff(mx.array(1))
