"""mx.compile against calling the function directly: values, dtypes, shapes, trees and constants,
the cache (the Python function runs only when tracing), shapeless, inputs=/outputs= state, and
composition with grad and vmap."""
import math

import numpy as np
import pytest

import mlx.core as mx

RNG = np.random.default_rng(7)


def gelu(x):
    return 0.5 * x * (1 + mx.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def close(a, b, rtol=1e-6, atol=1e-6):
    assert a.dtype == b.dtype
    assert a.shape == b.shape
    f32 = lambda v: np.array(v.astype(mx.float32) if v.dtype in (mx.float16, mx.bfloat16) else v)
    np.testing.assert_allclose(f32(a), f32(b), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [mx.float32, mx.float16, mx.bfloat16])
def test_elementwise_chain(dtype):
    x = mx.array(RNG.uniform(-3, 3, (17, 33)).astype(np.float32)).astype(dtype)
    tol = 1e-6 if dtype == mx.float32 else 1e-2
    close(mx.compile(gelu)(x), gelu(x), rtol=tol, atol=tol)
    close(mx.compile(gelu)(x.T), gelu(x.T), rtol=tol, atol=tol)  # strided


def test_broadcast_reduce_multiple_outputs():
    def f(x, w):
        y = mx.exp(x) * w + 2.0
        return y, mx.sum(y * y, axis=1), x

    x = mx.array(RNG.normal(size=(4, 5)).astype(np.float32))
    w = mx.array(RNG.normal(size=(5,)).astype(np.float32))
    got, want = mx.compile(f)(x, w), f(x, w)
    assert isinstance(got, tuple) and len(got) == 3
    for a, b in zip(got, want):
        close(a, b, rtol=1e-5)


def test_constants_inf_nan():
    def f(x):
        return mx.where(mx.isnan(mx.maximum(x, float("nan"))), x * math.inf, x - 1)

    x = mx.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(np.array(mx.compile(f)(x)), np.array(f(x)))


def test_cache_trees_and_constants():
    calls = []

    def f(d, scale, name=None):
        calls.append(1)
        return {"out": d["a"] * scale + d["b"][0]}

    cf = mx.compile(f)
    a, b = mx.array([1.0, 2.0]), mx.array([3.0, 4.0])
    r = cf({"a": a, "b": [b]}, 2.0)
    np.testing.assert_allclose(np.array(r["out"]), [5.0, 8.0])
    cf({"a": b, "b": [a]}, 2.0)  # same signature: cache hit
    assert len(calls) == 1
    r = cf({"a": a, "b": [b]}, 3.0)  # a new constant retraces
    np.testing.assert_allclose(np.array(r["out"]), [6.0, 10.0])
    assert len(calls) == 2
    cf({"a": mx.zeros((3,)), "b": [mx.zeros((3,))]}, 3.0)  # a new shape retraces
    assert len(calls) == 3
    with pytest.raises(ValueError):
        cf({"a": a, "b": [b]}, object())


def test_shapeless():
    calls = []

    def f(x):
        calls.append(1)
        return mx.exp(x) * 2 + x

    cf = mx.compile(f, shapeless=True)
    for shape in [(3, 4), (5, 2), (1, 7)]:
        x = mx.array(RNG.normal(size=shape).astype(np.float32))
        close(cf(x), f(x))
    assert len(calls) == 1 + 3  # one trace, plus the three direct calls to f


def test_outputs_and_inputs_state():
    state = [mx.array([1.0, 2.0])]

    def step(x):
        state[0] = state[0] * x + 1
        return state[0].sum()

    cstep = mx.compile(step, inputs=state, outputs=state)
    want = np.array([1.0, 2.0])
    for _ in range(3):
        s = cstep(mx.array(2.0))
        want = want * 2 + 1
        np.testing.assert_allclose(np.array(state[0]), want)
        np.testing.assert_allclose(float(s.item()), want.sum())

    model = {"w": mx.array([1.0, -1.0])}
    f = mx.compile(lambda x: (model["w"] * x).sum(), inputs=model)
    assert f(mx.array([3.0, 4.0])).item() == -1.0
    model["w"] = mx.array([2.0, 2.0])  # captured as an input, not a constant
    assert f(mx.array([3.0, 4.0])).item() == 14.0


def test_grad_and_vmap_compose():
    x = mx.array(RNG.uniform(-2, 2, (6,)).astype(np.float32))
    loss = lambda v: gelu(v).sum()
    close(mx.grad(mx.compile(loss))(x), mx.grad(loss)(x), rtol=1e-5)
    close(mx.compile(mx.grad(loss))(x), mx.grad(loss)(x), rtol=1e-5)
    xb = mx.array(RNG.uniform(-2, 2, (4, 6)).astype(np.float32))
    close(mx.vmap(mx.compile(gelu))(xb), mx.vmap(gelu)(xb))
    close(mx.compile(mx.vmap(gelu))(xb), gelu(xb))


def test_disable_enable():
    calls = []

    def f(x):
        calls.append(1)
        return x + 1

    cf = mx.compile(f)
    mx.disable_compile()
    try:
        cf(mx.array(1.0))
        cf(mx.array(1.0))
        assert len(calls) == 2
    finally:
        mx.enable_compile()
    cf(mx.array(1.0))
    cf(mx.array(1.0))
    assert len(calls) == 3
