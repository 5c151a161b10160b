"""mx.compile on the GPU: fused element-wise groups run as CUDA kernels generated at run time
(NVRTC). GELU-like functions on a GPU stream against NumPy in float64: dense, transposed and
broadcast inputs, float16 / bfloat16, shapeless replays. Skipped without a GPU."""
import numpy as np
import pytest

import mlx.core as mx

gpu = pytest.mark.skipif(not mx.cuda.is_available(), reason="no GPU")
RNG = np.random.default_rng(11)


def gelu(x):
    return 0.5 * x * (1 + mx.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def gelu_np(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def as_np(a):
    """float64 NumPy copy of an array of any float dtype (through the CPU)."""
    return np.array(a.astype(mx.float32, stream=mx.cpu)).astype(np.float64)


TOLS = [(mx.float32, 2e-5), (mx.float16, 6e-3), (mx.bfloat16, 4e-2)]


@gpu
@pytest.mark.parametrize("dtype,tol", TOLS)
def test_gelu_dense_and_transposed(dtype, tol):
    x = mx.array(RNG.uniform(-4, 4, (129, 257)).astype(np.float32)).astype(dtype, stream=mx.cpu)
    xn = as_np(x)  # the values x really holds
    with mx.stream(mx.gpu):
        f = mx.compile(gelu)
        y, yt = f(x), f(x.T)
        mx.eval(y, yt)
    assert y.dtype == dtype and y.shape == (129, 257) and yt.shape == (257, 129)
    np.testing.assert_allclose(as_np(y), gelu_np(xn), rtol=tol, atol=tol)
    np.testing.assert_allclose(as_np(yt), gelu_np(xn.T), rtol=tol, atol=tol)


@gpu
@pytest.mark.parametrize("dtype,tol", TOLS)
def test_gelu_of_a_biased_input(dtype, tol):
    def f(x, b, s):
        h = x * s + b
        return gelu(h) + mx.exp(-mx.abs(h)) * 0.125

    x = mx.array(RNG.uniform(-3, 3, (64, 96)).astype(np.float32)).astype(dtype, stream=mx.cpu)
    b = mx.array(RNG.uniform(-1, 1, (96,)).astype(np.float32)).astype(dtype, stream=mx.cpu)
    s = mx.array(1.5, dtype=dtype)
    with mx.stream(mx.gpu):
        y = mx.compile(f)(x, b, s)
        mx.eval(y)
    # h rounded as the GPU rounds it (an intermediate of the input dtype): computed on the CPU
    hn = as_np(mx.add(mx.multiply(x, s, stream=mx.cpu), b, stream=mx.cpu))
    want = gelu_np(hn) + np.exp(-np.abs(hn)) * 0.125
    np.testing.assert_allclose(as_np(y), want, rtol=tol, atol=tol)


@gpu
def test_shapeless_replay_on_new_shapes():
    f = mx.compile(gelu, shapeless=True)
    for shape in [(7, 9), (33, 2), (4099,)]:
        a = RNG.uniform(-5, 5, shape).astype(np.float32)
        with mx.stream(mx.gpu):
            y = f(mx.array(a))
            mx.eval(y)
        np.testing.assert_allclose(np.array(y), gelu_np(a), rtol=2e-5, atol=2e-6)


@gpu
def test_compiled_gpu_matches_uncompiled_gpu_bitwise():
    a = RNG.uniform(-4, 4, (300, 301)).astype(np.float32)
    x = mx.array(a)
    with mx.stream(mx.gpu):
        got, want = mx.compile(gelu)(x), gelu(x)
        mx.eval(got, want)
    np.testing.assert_array_equal(np.array(got), np.array(want))


def mlp_np(x, ws, bs):
    h = x.astype(np.float64)
    for w, b in zip(ws, bs):
        h = np.maximum(h @ w.astype(np.float64) + b, 0)
    return h, h.sum(axis=0)


@gpu
def test_replayed_calls_through_cuda_graphs():
    """A compiled function with matmuls, reductions and captured weights, called again and again
    with new inputs (after the first call each call replays one CUDA graph), including transposed
    inputs, outputs that are views and an input returned as is."""
    ws = [RNG.standard_normal((48, 48)).astype(np.float32) / 7 for _ in range(3)]
    bs = [RNG.standard_normal(48).astype(np.float32) for _ in range(3)]
    with mx.stream(mx.gpu):
        wm = [mx.array(w) for w in ws]
        bm = [mx.array(b) for b in bs]

        def f(x):
            h = x
            for w, b in zip(wm, bm):
                h = mx.maximum(h @ w + b, 0)
            return h, h.sum(axis=0), x, h.T

        cf = mx.compile(f)
        for i in range(6):
            xn = RNG.standard_normal((48, 48)).astype(np.float32)
            x = mx.array(xn)
            if i % 3 == 2:
                x, xn = x.T, xn.T
            h, s, same, ht = cf(x)
            mx.eval(h, s, same, ht)
            hw, sw = mlp_np(xn, ws, bs)
            np.testing.assert_allclose(np.array(h), hw, rtol=2e-4, atol=2e-4)
            np.testing.assert_allclose(np.array(s), sw, rtol=2e-4, atol=2e-3)
            np.testing.assert_array_equal(np.array(same), xn)
            np.testing.assert_allclose(np.array(ht), hw.T, rtol=2e-4, atol=2e-4)
