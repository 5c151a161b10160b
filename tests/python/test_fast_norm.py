"""mx.fast.rms_norm and mx.fast.layer_norm (MLX's signatures and semantics).

Values against NumPy float64 for float32 / float16 / bfloat16 / float64 (CPU), None weight and bias,
non-contiguous inputs; MLX's output dtypes and error messages; gradients (vjp through mx.grad,
jvp) against central differences of the NumPy reference in float64 on the CPU; vmap against a
loop; mx.compile; the GPU against the CPU when there is a GPU."""
import numpy as np
import pytest

import mlx.core as mx

gpu = pytest.mark.skipif(not mx.cuda.is_available(), reason="no GPU")

TOL = {mx.float32: 2e-5, mx.float16: 4e-3, mx.bfloat16: 3e-2, mx.float64: 1e-12}


def rms_ref(x, w, eps):
    eps = float(np.float32(eps))  # MLX's eps is a float
    x = np.asarray(x, np.float64)
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return y if w is None else y * np.asarray(w, np.float64)


def ln_ref(x, w, b, eps):
    eps = float(np.float32(eps))
    x = np.asarray(x, np.float64)
    xc = x - x.mean(axis=-1, keepdims=True)
    y = xc / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + eps)
    if w is not None:
        y = y * np.asarray(w, np.float64)
    if b is not None:
        y = y + np.asarray(b, np.float64)
    return y


def to_np(a):
    """float64 NumPy copy of an array of any floating dtype (bfloat16 included)"""
    return np.array(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a).astype(np.float64)


def stream_for(dt):
    return mx.cpu if dt == mx.float64 else None


def make(shape, dt, seed, offset=0.0, scale=1.0, shift=0.0):
    """values drawn and scaled in NumPy; only float64 arrays are made as float64 (the GPU, when it
    is the default device, refuses float64 ops)"""
    rng = np.random.default_rng(seed)
    v = (rng.uniform(-2, 2, size=shape) + offset) * scale + shift
    return mx.array(v) if dt == mx.float64 else mx.array(v.astype(np.float32)).astype(dt)


@pytest.mark.parametrize("dt", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
@pytest.mark.parametrize("n", [1, 7, 128, 4099])
def test_rms_norm_values(dt, n):
    s = stream_for(dt)
    x = make((3, n), dt, n)
    w = make((n,), dt, n + 1, scale=0.25, shift=1.0)
    for wt in (w, None):
        y = mx.fast.rms_norm(x, wt, 1e-5, stream=s)
        assert y.dtype == dt and y.shape == x.shape
        ref = rms_ref(to_np(x), None if wt is None else to_np(wt), 1e-5)
        np.testing.assert_allclose(to_np(y), ref, rtol=TOL[dt], atol=TOL[dt])


@pytest.mark.parametrize("dt", [mx.float32, mx.float16, mx.bfloat16, mx.float64])
@pytest.mark.parametrize("n", [1, 7, 128, 4099])
def test_layer_norm_values(dt, n):
    s = stream_for(dt)
    x = make((2, 2, n), dt, n, offset=0.5)
    w = make((n,), dt, n + 1, scale=0.25, shift=1.0)
    b = make((n,), dt, n + 2)
    for wt, bt in ((w, b), (w, None), (None, b), (None, None)):
        y = mx.fast.layer_norm(x, wt, bt, 1e-5, stream=s)
        assert y.dtype == dt and y.shape == x.shape
        ref = ln_ref(to_np(x), None if wt is None else to_np(wt),
                     None if bt is None else to_np(bt), 1e-5)
        np.testing.assert_allclose(to_np(y), ref, rtol=TOL[dt], atol=TOL[dt])


def test_non_contiguous_inputs_and_keywords():
    base = make((9, 6), mx.float32, 3)
    x = base.T[:, ::2]  # (6, 5) strided
    wfull = make((10,), mx.float32, 4)
    w = wfull[::2]
    y = mx.fast.rms_norm(x=x, weight=w, eps=1e-4, stream=mx.cpu)
    np.testing.assert_allclose(np.array(y), rms_ref(np.array(x), np.array(w), 1e-4), rtol=1e-5,
                               atol=1e-5)
    xb = mx.broadcast_to(make((1, 5), mx.float32, 5), (4, 5))
    y = mx.fast.layer_norm(xb, None, w, 1e-5)
    np.testing.assert_allclose(np.array(y), ln_ref(np.array(xb), None, np.array(w), 1e-5),
                               rtol=1e-5, atol=1e-5)
    # eps counts
    x2 = mx.array([[0.3, -0.2, 0.9]])
    np.testing.assert_allclose(np.array(mx.fast.layer_norm(x2, None, None, 0.5)),
                               ln_ref(np.array(x2), None, None, 0.5), rtol=1e-6)
    # a Python float weight is not an array of the right shape
    with pytest.raises(ValueError, match=r"\[rms_norm\] weight must have 1 dimension"):
        mx.fast.rms_norm(x2, 2.0, 1e-5)


def test_output_dtype_follows_mlx():
    x16 = mx.ones((2, 4), dtype=mx.float16)
    w32 = mx.ones((4,), dtype=mx.float32)
    assert mx.fast.rms_norm(x16, w32, 1e-5).dtype == mx.float32
    assert mx.fast.rms_norm(x16, None, 1e-5).dtype == mx.float16
    assert mx.fast.rms_norm(x16.astype(mx.bfloat16), w32.astype(mx.float16), 1e-5).dtype == \
        mx.float32
    assert mx.fast.rms_norm(mx.ones((2, 4), dtype=mx.int32), w32.astype(mx.float16),
                            1e-5).dtype == mx.float16
    # layer_norm: the bias takes part only when there is a weight
    assert mx.fast.layer_norm(x16, None, w32, 1e-5).dtype == mx.float16
    assert mx.fast.layer_norm(x16, x16[0], w32, 1e-5).dtype == mx.float32


def test_errors():
    x = mx.ones((2, 3))
    with pytest.raises(ValueError, match=r"\[rms_norm\] Input must have at least 1 dimension"):
        mx.fast.rms_norm(mx.array(1.0), None, 1e-5)
    with pytest.raises(ValueError, match=r"\[layer_norm\] Input must have at least 1 dimension"):
        mx.fast.layer_norm(mx.array(1.0), None, None, 1e-5)
    with pytest.raises(ValueError, match=r"\[rms_norm\] weight must have 1 dimension but has 2"):
        mx.fast.rms_norm(x, mx.ones((1, 3)), 1e-5)
    with pytest.raises(ValueError, match=r"\[rms_norm\] weight must have the same size as the "
                                         r"last dimension of x but has 4 elements"):
        mx.fast.rms_norm(x, mx.ones((4,)), 1e-5)
    with pytest.raises(ValueError, match=r"\[layer_norm\] bias must have 1 dimension"):
        mx.fast.layer_norm(x, None, mx.ones((1, 3)), 1e-5)
    with pytest.raises(ValueError, match=r"\[layer_norm\] bias must have the same size"):
        mx.fast.layer_norm(x, mx.ones((3,)), mx.ones((2,)), 1e-5)
    with pytest.raises(ValueError, match=r"\[rms_norm\] Received unsupported type int32"):
        mx.fast.rms_norm(mx.ones((2, 3), dtype=mx.int32), None, 1e-5)
    with pytest.raises(ValueError, match=r"\[layer_norm\] Received unsupported type"):
        mx.fast.layer_norm(x.astype(mx.complex64), None, None, 1e-5)
    with pytest.raises(TypeError):
        mx.fast.rms_norm(x, None)  # eps is required
    with pytest.raises(TypeError):
        mx.fast.rms_norm(x, None, 1e-5, mx.cpu)  # stream is keyword-only


# ---- derivatives in float64 on the CPU against central differences of the NumPy reference ----
EPS = 1e-3


def fd_grad(f, args, i, u, h=1e-6):
    """d/d args[i] of sum(u * f(*args)) by central differences"""
    a = args[i]
    g = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[k] += h
        am[k] -= h
        lp = [ap if j == i else v for j, v in enumerate(args)]
        lm = [am if j == i else v for j, v in enumerate(args)]
        g[k] = np.sum(u * (f(*lp) - f(*lm))) / (2 * h)
    return g


def test_grads_vs_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5))
    w = rng.uniform(0.5, 1.5, size=5)
    b = rng.normal(size=5)
    u = rng.normal(size=(3, 5))
    ua = mx.array(u)
    with mx.stream(mx.cpu):
        def loss_ln(xa, wa, ba):
            return mx.sum(ua * mx.fast.layer_norm(xa, wa, ba, EPS))

        def loss_rms(xa, wa):
            return mx.sum(ua * mx.fast.rms_norm(xa, wa, EPS))

        gx, gw, gb = mx.grad(loss_ln, argnums=(0, 1, 2))(mx.array(x), mx.array(w), mx.array(b))
        ref = lambda x_, w_, b_: ln_ref(x_, w_, b_, EPS)  # noqa: E731
        for i, g in enumerate((gx, gw, gb)):
            assert g.dtype == mx.float64
            np.testing.assert_allclose(np.array(g), fd_grad(ref, [x, w, b], i, u), rtol=1e-6,
                                       atol=1e-7)
        gx, gw = mx.grad(loss_rms, argnums=(0, 1))(mx.array(x), mx.array(w))
        ref = lambda x_, w_: rms_ref(x_, w_, EPS)  # noqa: E731
        np.testing.assert_allclose(np.array(gx), fd_grad(ref, [x, w], 0, u), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.array(gw), fd_grad(ref, [x, w], 1, u), rtol=1e-6, atol=1e-7)
        # no weight / bias
        g = mx.grad(lambda xa: mx.sum(ua * mx.fast.layer_norm(xa, None, None, EPS)))(mx.array(x))
        np.testing.assert_allclose(
            np.array(g), fd_grad(lambda x_: ln_ref(x_, None, None, EPS), [x], 0, u), rtol=1e-6,
            atol=1e-7)
        # jvp along random directions
        tx, tw, tb = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=5)
        _, (jv,) = mx.jvp(lambda xa, wa, ba: mx.fast.layer_norm(xa, wa, ba, EPS),
                          [mx.array(x), mx.array(w), mx.array(b)],
                          [mx.array(tx), mx.array(tw), mx.array(tb)])
        h = 1e-6
        fdv = (ln_ref(x + h * tx, w + h * tw, b + h * tb, EPS) -
               ln_ref(x - h * tx, w - h * tw, b - h * tb, EPS)) / (2 * h)
        np.testing.assert_allclose(np.array(jv), fdv, rtol=1e-6, atol=1e-7)
        _, (jv,) = mx.jvp(lambda xa: mx.fast.rms_norm(xa, None, EPS), [mx.array(x)],
                          [mx.array(tx)])
        fdv = (rms_ref(x + h * tx, None, EPS) - rms_ref(x - h * tx, None, EPS)) / (2 * h)
        np.testing.assert_allclose(np.array(jv), fdv, rtol=1e-6, atol=1e-7)


def test_float32_grads_close_to_float64():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 33))
    w = rng.uniform(0.5, 1.5, size=33)
    u = rng.normal(size=(4, 33))
    ua = mx.array(u, dtype=mx.float32)
    g32 = mx.grad(lambda xa, wa: mx.sum(ua * mx.fast.rms_norm(xa, wa, 1e-5)), argnums=(0, 1))(
        mx.array(x, dtype=mx.float32), mx.array(w, dtype=mx.float32))
    ref = lambda x_, w_: rms_ref(x_, w_, 1e-5)  # noqa: E731
    for i, g in enumerate(g32):
        assert g.dtype == mx.float32
        np.testing.assert_allclose(np.array(g), fd_grad(ref, [x, w], i, u), rtol=2e-4, atol=2e-4)
    # float16 gradients keep the dtype and are computed in float32
    g16 = mx.grad(lambda xa: mx.sum(mx.fast.layer_norm(xa, None, None, 1e-5) * ua.astype(
        mx.float16)))(mx.array(x, dtype=mx.float16))
    assert g16.dtype == mx.float16
    gref = fd_grad(lambda x_: ln_ref(x_, None, None, 1e-5), [to_np(mx.array(x, dtype=mx.float16))],
                   0, to_np(ua.astype(mx.float16)))
    np.testing.assert_allclose(to_np(g16), gref, rtol=2e-2, atol=2e-2)


def test_vmap_matches_loop():
    rng = np.random.default_rng(2)
    x = mx.array(rng.normal(size=(3, 4, 5)), dtype=mx.float32)   # batch on axis 1
    w = mx.array(rng.uniform(0.5, 1.5, size=(5, 4)), dtype=mx.float32)  # batch on axis 1
    b = mx.array(rng.normal(size=(5,)), dtype=mx.float32)
    f = lambda xa, wa, ba: mx.fast.layer_norm(xa, wa, ba, 1e-5)  # noqa: E731
    out = mx.vmap(f, in_axes=(1, 1, None))(x, w, b)
    assert out.shape == (4, 3, 5)
    for i in range(4):
        np.testing.assert_allclose(np.array(out[i]), np.array(f(x[:, i], w[:, i], b)), rtol=1e-6,
                                   atol=1e-6)
    g = lambda xa: mx.fast.rms_norm(xa, b[:4], 1e-5)  # noqa: E731
    out = mx.vmap(g, in_axes=2)(x)  # the batch axis is the normalised axis of the input
    assert out.shape == (5, 3, 4)
    for i in range(5):
        np.testing.assert_allclose(np.array(out[i]), np.array(g(x[:, :, i])), rtol=1e-6,
                                   atol=1e-6)


def test_compile():
    x = make((4, 64), mx.float32, 9)
    w = make((64,), mx.float32, 10)
    f = mx.compile(lambda a: mx.fast.rms_norm(a * 2, w, 1e-5) + 1)
    np.testing.assert_allclose(np.array(f(x)), rms_ref(2 * np.array(x), np.array(w), 1e-5) + 1,
                               rtol=1e-5, atol=1e-5)


@gpu
@pytest.mark.parametrize("dt", [mx.float32, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("n", [7, 128, 1024, 4099, 8192])
def test_gpu_matches_cpu(dt, n):
    x = make((5, n), dt, n, offset=0.3)
    w = make((n,), dt, n + 1, scale=0.25, shift=1.0)
    b = make((n,), dt, n + 2)
    rt = {mx.float32: 2e-6, mx.float16: 2e-3, mx.bfloat16: 1.6e-2}[dt]
    for xi in (x, x.T.T, x[:, ::-1]):
        yg = mx.fast.layer_norm(xi, w, b, 1e-5, stream=mx.gpu)
        yc = mx.fast.layer_norm(xi, w, b, 1e-5, stream=mx.cpu)
        np.testing.assert_allclose(to_np(yg), to_np(yc), rtol=rt, atol=rt)
        yg = mx.fast.rms_norm(xi, w, 1e-5, stream=mx.gpu)
        yc = mx.fast.rms_norm(xi, w, 1e-5, stream=mx.cpu)
        np.testing.assert_allclose(to_np(yg), to_np(yc), rtol=rt, atol=rt)


@gpu
def test_gpu_refuses_float64_and_grads():
    x = mx.ones((2, 3), dtype=mx.float64)
    with pytest.raises(ValueError, match="float64"):
        mx.eval(mx.fast.rms_norm(x, None, 1e-5, stream=mx.gpu))
    xa = make((3, 40), mx.float32, 11)
    wa = make((40,), mx.float32, 12)
    with mx.stream(mx.gpu):
        gg = mx.grad(lambda a, b: mx.sum(mx.fast.layer_norm(a, b, None, 1e-5) ** 2),
                     argnums=(0, 1))(xa, wa)
    with mx.stream(mx.cpu):
        gc = mx.grad(lambda a, b: mx.sum(mx.fast.layer_norm(a, b, None, 1e-5) ** 2),
                     argnums=(0, 1))(xa, wa)
    for a, c in zip(gg, gc):
        np.testing.assert_allclose(np.array(a), np.array(c), rtol=1e-4, atol=1e-4)
