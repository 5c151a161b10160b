"""mx.grad, value_and_grad, vjp, jvp (and stop_gradient, depends, checkpoint) against central
finite differences computed in NumPy float64, plus MLX's argument, tree and error semantics."""
import gc

import numpy as np
import pytest

import mlx.core as mx

RNG = np.random.default_rng(7)


# ---- helpers ----
class NP:
    """The NumPy float64 twins of the mx functions the cases use (xp.name works for both)."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def softmax(x, axis=-1):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)

    @staticmethod
    def logsumexp(x, axis=None):
        m = np.max(x, axis=axis, keepdims=True)
        r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        return np.squeeze(r, axis=axis) if axis is not None else r.reshape(())

    @staticmethod
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def take(x, idx, axis=None):
        return np.take(x, np.asarray(idx), axis=axis)


XNP = NP()


def fd_grad(f, args, i, eps=1e-6):
    """d f(*args) / d args[i] by central differences (float64)."""
    args = [np.array(a, dtype=np.float64) for a in args]
    x = args[i]
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        old = x[k]
        x[k] = old + eps
        hi = float(f(*args))
        x[k] = old - eps
        lo = float(f(*args))
        x[k] = old
        g[k] = (hi - lo) / (2 * eps)
    return g


def check_grad(fn, shapes, lo=-2.0, hi=2.0, rtol=2e-3, atol=2e-4):
    """Gradient of fn(xp, *args) with respect to every argument: mx (float32) vs NumPy FD."""
    args = [RNG.uniform(lo, hi, s).astype(np.float32) for s in shapes]
    margs = [mx.array(a) for a in args]
    n = len(args)
    grads = mx.grad(lambda *a: fn(mx, *a), argnums=list(range(n)))(*margs)
    if n == 1:
        grads = (grads,)
    assert isinstance(grads, tuple) and len(grads) == n
    for i in range(n):
        ref = fd_grad(lambda *a: fn(XNP, *a), args, i)
        assert grads[i].shape == tuple(shapes[i])
        assert grads[i].dtype == mx.float32
        np.testing.assert_allclose(np.array(grads[i]), ref, rtol=rtol, atol=atol)
    return args


def xfail_no_derivative(prim):
    return pytest.mark.xfail(
        reason=f"[vjp] the primitive '{prim}' has no derivative yet", strict=False, raises=ValueError
    )


# ---- gradients against finite differences ----
CASES = {
    "exp_sin": (lambda xp, x: xp.sum(xp.exp(x) * xp.sin(x)), [(3, 4)]),
    "tanh_sigmoid": (lambda xp, x: xp.sum(xp.tanh(x) + xp.sigmoid(2 * x)), [(5,)]),
    "sqrt_log": (lambda xp, x: xp.sum(xp.sqrt(x) * xp.log(x + 1)), [(4,)], 0.5, 3.0),
    "divide_power": (lambda xp, x, y: xp.sum(x / y + xp.power(y, 3)), [(2, 3), (2, 3)], 0.5, 2.0),
    "maximum_where": (lambda xp, x, y: xp.sum(xp.where(x > 0, x * y, xp.maximum(x, y) * 2)), [(6,), (6,)]),
    "broadcast_mul": (lambda xp, x, y: xp.sum(x[:, None] * y[None, :] - x[:, None] ** 2), [(3,), (4,)]),
    "broadcast_add_scalar": (lambda xp, x, y: xp.sum((x + y) ** 2), [(2, 3), ()]),
    "sum_axis": (lambda xp, x: xp.sum(xp.sum(x, axis=1) ** 2), [(3, 4)]),
    "mean_keepdims": (lambda xp, x: xp.sum((x - xp.mean(x, axis=0, keepdims=True)) ** 2), [(4, 3)]),
    "max_reduce": (lambda xp, x: xp.sum(xp.max(x, axis=1) * xp.arange(3)), [(3, 5)]),
    "prod": (lambda xp, x: xp.prod(x), [(5,)], 0.5, 1.5),
    "var": (lambda xp, x: xp.sum(xp.var(x, axis=-1)), [(2, 6)]),
    "matmul": (lambda xp, a, b: xp.sum(xp.sin(a @ b)), [(3, 4), (4, 2)]),
    "matmul_vec": (lambda xp, a, v: xp.sum((a @ v) ** 2), [(3, 4), (4,)]),
    "slice_index": (lambda xp, x: xp.sum(x[1:, ::2] ** 2) + xp.sum(x[0] * 3), [(4, 5)]),
    "int_array_index": (lambda xp, x: xp.sum(x[xp.array([0, 2, 2])] ** 2), [(4, 3)]),
    "take": (lambda xp, x: xp.sum(xp.take(x, [3, 0, 3], axis=0) * xp.arange(3)[:, None]), [(4, 2)]),
    "softmax": (lambda xp, x: xp.sum(xp.softmax(x, axis=-1) * xp.arange(5)), [(3, 5)]),
    "logsumexp": (lambda xp, x: xp.sum(xp.logsumexp(x, axis=1)), [(3, 5)]),
    "logsumexp_all": (lambda xp, x: xp.logsumexp(x), [(2, 4)]),
    "reshape_transpose": (lambda xp, x: xp.sum(xp.reshape(x, (3, 4)).T @ xp.arange(3.0)), [(2, 6)]),
    "cumsum": (lambda xp, x: xp.sum(xp.cumsum(x, axis=0) ** 2), [(4, 2)]),
    "concatenate": (lambda xp, x, y: xp.sum(xp.concatenate([x, 2 * y], axis=0) ** 2), [(2, 3), (1, 3)]),
    "abs_clip": (lambda xp, x: xp.sum(xp.abs(x) + xp.clip(x, -1.0, 1.0) ** 2), [(7,)], 0.1, 0.9),
}

XFAIL = {}  # case -> primitive without a derivative rule yet


def case_params():
    out = []
    for name in sorted(CASES):
        marks = [xfail_no_derivative(XFAIL[name])] if name in XFAIL else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.mark.parametrize("name", case_params())
def test_grad_vs_finite_differences(name):
    fn, shapes, *dom = CASES[name]
    check_grad(fn, shapes, *dom)


@pytest.mark.parametrize("name", ["exp_sin", "matmul", "softmax", "broadcast_mul", "slice_index"])
def test_jvp_and_vjp_vs_finite_differences(name):
    fn, shapes, *dom = CASES[name]
    lo, hi = dom if dom else (-2.0, 2.0)
    args = [RNG.uniform(lo, hi, s).astype(np.float32) for s in shapes]
    tans = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    margs = [mx.array(a) for a in args]
    f = lambda *a: fn(mx, *a)
    outs, jvps = mx.jvp(f, margs, [mx.array(t) for t in tans])
    assert len(outs) == 1 and len(jvps) == 1
    ref = sum(np.sum(fd_grad(lambda *a: fn(XNP, *a), args, i) * tans[i]) for i in range(len(args)))
    np.testing.assert_allclose(np.array(jvps[0]), ref, rtol=2e-3, atol=2e-4)
    np.testing.assert_allclose(np.array(outs[0]), fn(XNP, *[a.astype(np.float64) for a in args]),
                               rtol=1e-4, atol=1e-5)
    outs2, vjps = mx.vjp(f, margs, [mx.array(2.0)])
    assert len(vjps) == len(args)
    for i in range(len(args)):
        np.testing.assert_allclose(np.array(vjps[i]), 2 * fd_grad(lambda *a: fn(XNP, *a), args, i),
                                   rtol=2e-3, atol=4e-4)


def test_vjp_non_scalar_multiple_outputs():
    x = RNG.standard_normal((3, 2)).astype(np.float32)
    c0 = RNG.standard_normal((3, 2)).astype(np.float32)
    c1 = RNG.standard_normal((2,)).astype(np.float32)
    outs, vjps = mx.vjp(lambda a: [mx.sin(a), mx.sum(a * a, axis=0)], [mx.array(x)],
                        [mx.array(c0), mx.array(c1)])
    assert isinstance(outs, list) and isinstance(vjps, list) and len(outs) == 2
    np.testing.assert_allclose(np.array(outs[0]), np.sin(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(vjps[0]), np.cos(x) * c0 + 2 * x * c1, rtol=1e-4, atol=1e-5)
    # a tuple return and a single-array return
    _, v = mx.vjp(lambda a, b: (a * b,), [mx.array(2.0), mx.array(3.0)], [mx.array(1.0)])
    assert [t.item() for t in v] == [3.0, 2.0]
    o, v = mx.jvp(lambda a: a * a, [mx.array(3.0)], [mx.array(1.0)])
    assert o[0].item() == 9.0 and v[0].item() == 6.0


def test_vjp_jvp_errors():
    f = lambda a: a * 2
    x = mx.array([1.0, 2.0])
    with pytest.raises(ValueError):
        mx.vjp(f, [x], [x, x])  # one output, two cotangents
    with pytest.raises(ValueError):
        mx.vjp(f, [x], [mx.ones((3,))])  # shape mismatch
    with pytest.raises(ValueError):
        mx.jvp(f, [x], [])
    with pytest.raises(ValueError):
        mx.jvp(f, [x], [mx.ones((3,))])
    with pytest.raises(TypeError):
        mx.vjp(lambda a: 3.0, [x], [x])
    with pytest.raises(TypeError):
        mx.vjp(lambda a: [a, "no"], [x], [x, x])
    with pytest.raises(TypeError):
        mx.vjp(42, [x], [x])


# ---- argnums / argnames / trees ----
def test_argnums_default_and_sequence():
    x, y = mx.array(2.0), mx.array(5.0)
    f = lambda a, b: a * a * b
    assert mx.grad(f)(x, y).item() == 20.0
    assert mx.grad(f, argnums=1)(x, y).item() == 4.0
    ga, gb = mx.grad(f, argnums=(1, 0))(x, y)  # returned in increasing argument order
    assert (ga.item(), gb.item()) == (20.0, 4.0)
    g = mx.grad(f, argnums=[0])(x, y)
    assert isinstance(g, mx.array) and g.item() == 20.0


def test_argnums_errors():
    f = lambda a, b: a * b
    x = mx.array(1.0)
    with pytest.raises(ValueError):
        mx.grad(f, argnums=2)(x, x)
    with pytest.raises(ValueError):
        mx.grad(f, argnums=-1)
    with pytest.raises(ValueError):
        mx.grad(f, argnums=[0, 0])
    with pytest.raises(ValueError):
        mx.grad(f, argnums=[])
    with pytest.raises(ValueError):
        mx.value_and_grad(f, argnums=1)(x)
    with pytest.raises(ValueError):
        mx.grad(f, argnames="c")(x, b=x)  # keyword 'c' not given
    with pytest.raises(TypeError):
        mx.grad(f, argnums="a")
    with pytest.raises(TypeError):
        mx.grad(None)


def test_argnames():
    def f(a, *, b, c=None):
        return mx.sum(a * b["w"] + c)

    a = mx.array([1.0, 2.0])
    b = {"w": mx.array([3.0, 4.0])}
    c = mx.array(1.5)
    g = mx.grad(f, argnames="b")(a, b=b, c=c)
    assert isinstance(g, tuple) and g[0] is None
    assert set(g[1]) == {"b"} and g[1]["b"]["w"].tolist() == [1.0, 2.0]
    (ga, gk) = mx.grad(f, argnums=0, argnames=["c", "b"])(a, b=b, c=c)
    assert ga.tolist() == [3.0, 4.0]
    assert list(gk) == ["b", "c"]  # in the order of the call's keyword arguments
    assert gk["c"].item() == 2.0
    val, (ga, gk) = mx.value_and_grad(f, argnames=("c",))(a, b=b, c=c)
    assert ga is None and val.item() == pytest.approx(14.0) and gk["c"].item() == 2.0


def test_tree_arguments():
    def loss(params, data, scale, tag="x"):
        assert tag == "t" and scale == 2  # non-array leaves and arguments pass through
        assert data["n"] == 3 and data["name"] == "batch"
        h = params["layers"][0]["w"] @ data["x"] + params["layers"][0]["b"]
        h = mx.tanh(h) * params["layers"][1][0] + params["layers"][1][1]
        return mx.sum(h ** 2) * scale

    w = RNG.standard_normal((2, 3)).astype(np.float32)
    b = RNG.standard_normal((2,)).astype(np.float32)
    s = RNG.standard_normal((2,)).astype(np.float32)
    t = RNG.standard_normal(()).astype(np.float32)
    x = RNG.standard_normal((3,)).astype(np.float32)
    params = {"layers": [{"w": mx.array(w), "b": mx.array(b)}, (mx.array(s), mx.array(t))]}
    data = {"x": mx.array(x), "n": 3, "name": "batch"}
    g = mx.grad(loss)(params, data, 2, tag="t")
    assert isinstance(g, dict) and isinstance(g["layers"], list) and isinstance(g["layers"][1], tuple)
    assert list(g["layers"][0]) == ["w", "b"]

    def np_loss(w_, b_, s_, t_):
        h = np.tanh(w_ @ x.astype(np.float64) + b_) * s_ + t_
        return np.sum(h ** 2) * 2

    leaves = [w, b, s, t]
    got = [g["layers"][0]["w"], g["layers"][0]["b"], g["layers"][1][0], g["layers"][1][1]]
    for i, gi in enumerate(got):
        np.testing.assert_allclose(np.array(gi), fd_grad(np_loss, leaves, i), rtol=2e-3, atol=2e-4)
    # the caller's containers are left alone
    assert params["layers"][0]["w"].shape == (2, 3) and isinstance(params["layers"][1], tuple)
    # gradient with respect to data (argnums=1): the non-array leaves make MLX's strict flatten fail
    with pytest.raises(ValueError):
        mx.grad(loss, argnums=1)(params, data, 2, tag="t")
    gx = mx.grad(lambda p, d: loss(p, dict(d, n=3, name="batch"), 2, "t"), argnums=1)(params, {"x": data["x"]})
    assert list(gx) == ["x"] and gx["x"].shape == (3,)


def test_empty_and_nested_containers():
    f = lambda p: mx.sum(p[0] * 2) + mx.sum(p[1][0]["a"] ** 2)
    p = [mx.array([1.0, 2.0]), [{"a": mx.array(3.0), "e": []}], ()]
    g = mx.grad(f)(p)
    assert g[0].tolist() == [2.0, 2.0] and g[1][0]["a"].item() == 6.0
    assert g[1][0]["e"] == [] and g[2] == ()


def test_value_and_grad_aux_outputs():
    def f(x, y):
        l = mx.sum(x * y)
        return l, {"aux": x + 1, "k": 7}, "text", (y * 2,)

    x, y = mx.array([1.0, 2.0]), mx.array([3.0, 4.0])
    (l, aux, s, t), g = mx.value_and_grad(f)(x, y)
    assert l.item() == 11.0 and aux["aux"].tolist() == [2.0, 3.0] and aux["k"] == 7 and s == "text"
    assert t[0].tolist() == [6.0, 8.0] and g.tolist() == [3.0, 4.0]
    v, g = mx.value_and_grad(lambda a: mx.sum(a ** 2))(x)
    assert v.item() == 5.0 and g.tolist() == [2.0, 4.0]


def test_output_errors():
    x = mx.array([1.0, 2.0])
    with pytest.raises(ValueError):
        mx.grad(lambda a: a * 2)(x)  # not a scalar
    with pytest.raises(ValueError):
        mx.value_and_grad(lambda a: (a * 2, 1))(x)
    with pytest.raises(ValueError):
        mx.grad(lambda a: 1.0)(x)  # Python scalar
    with pytest.raises(ValueError):
        mx.value_and_grad(lambda a: 1.0)(x)
    with pytest.raises(ValueError):
        mx.grad(lambda a: (mx.sum(a), 1))(x)  # grad wants a single array
    with pytest.raises(ValueError):
        mx.value_and_grad(lambda a: [mx.sum(a)])(x)  # a list is not a tuple
    with pytest.raises(ValueError):
        mx.value_and_grad(lambda a: ())(x)
    with pytest.raises(ValueError):
        mx.value_and_grad(lambda a: (1.0, mx.sum(a)))(x)
    with pytest.raises(ValueError):
        mx.grad(lambda a: mx.sum(a))(1.0)  # differentiated arguments must be arrays


class Boom(Exception):
    pass


def test_exceptions_propagate():
    def bad(x):
        raise Boom("inside")

    x = mx.array(1.0)
    for tr in (mx.grad, mx.value_and_grad):
        with pytest.raises(Boom, match="inside"):
            tr(bad)(x)
    with pytest.raises(Boom):
        mx.grad(mx.grad(bad))(x)
    with pytest.raises(Boom):
        mx.vjp(bad, [x], [x])
    with pytest.raises(Boom):
        mx.jvp(bad, [x], [x])

    def key_error(x):
        return {}["missing"]

    with pytest.raises(KeyError):
        mx.grad(key_error)(x)
    # an error from an op inside the function keeps its type
    with pytest.raises(ValueError):
        mx.grad(lambda a: mx.sum(mx.reshape(a, (5, 7))))(mx.ones((3,)))
    # still usable afterwards
    assert mx.grad(lambda a: a * a)(mx.array(3.0)).item() == 6.0


# ---- higher order ----
def test_second_and_third_derivatives():
    x = mx.array(0.7)
    f = lambda a: mx.sin(a) * a ** 3
    d1 = mx.grad(f)
    d2 = mx.grad(d1)
    d3 = mx.grad(d2)
    v = 0.7
    np.testing.assert_allclose(d1(x).item(), np.cos(v) * v ** 3 + 3 * v ** 2 * np.sin(v), rtol=1e-5)
    np.testing.assert_allclose(
        d2(x).item(), -np.sin(v) * v ** 3 + 6 * v ** 2 * np.cos(v) + 6 * v * np.sin(v), rtol=1e-4)
    ref3 = (-np.cos(v) * v ** 3 - 3 * v ** 2 * np.sin(v) - 6 * v ** 2 * np.sin(v)
            + 12 * v * np.cos(v) + 6 * np.sin(v) + 6 * v * np.cos(v))
    np.testing.assert_allclose(d3(x).item(), ref3, rtol=1e-3)


def test_hessian_vector_product_vs_fd():
    a = RNG.standard_normal((3, 3)).astype(np.float32)
    x = RNG.standard_normal((3,)).astype(np.float32)
    v = RNG.standard_normal((3,)).astype(np.float32)
    f = lambda z: mx.sum(mx.exp(mx.array(a) @ z) * z)
    hvp = mx.grad(lambda z: mx.sum(mx.grad(f)(z) * mx.array(v)))(mx.array(x))
    ad = a.astype(np.float64)
    g = lambda z: ad.T @ (np.exp(ad @ z) * z) + np.exp(ad @ z)
    eps = 1e-5
    ref = (g(x + eps * v) - g(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(np.array(hvp), ref, rtol=2e-3, atol=2e-3)


def test_grad_of_value_and_grad_and_jvp_of_grad():
    f = lambda a: mx.sum(a ** 3)
    x = mx.array([1.0, 2.0])
    g2 = mx.grad(lambda a: mx.sum(mx.value_and_grad(f)(a)[1]))(x)
    assert g2.tolist() == [6.0, 12.0]
    _, t = mx.jvp(mx.grad(f), [x], [mx.array([1.0, 0.0])])
    assert t[0].tolist() == [6.0, 0.0]


# ---- misc ----
def test_closure_constants_and_stop_gradient():
    c = mx.array([2.0, 3.0])
    x = mx.array([1.0, 1.0])
    assert mx.grad(lambda a: mx.sum(a * c))(x).tolist() == [2.0, 3.0]
    g = mx.grad(lambda a: mx.sum(a * mx.stop_gradient(a * a)))(mx.array([2.0, 3.0]))
    assert g.tolist() == [4.0, 9.0]


def test_depends():
    x = mx.array([1.0, 2.0])
    d = mx.array(5.0)
    y = mx.depends(x, d)
    assert isinstance(y, mx.array) and y.tolist() == [1.0, 2.0]
    ys = mx.depends([x, x * 2], [d])
    assert isinstance(ys, list) and ys[1].tolist() == [2.0, 4.0]


def test_checkpoint_same_values_and_grads():
    def block(w, x):
        return mx.tanh(w @ x)

    w = mx.array(RNG.standard_normal((3, 3)).astype(np.float32))
    x = mx.array(RNG.standard_normal((3,)).astype(np.float32))
    cb = mx.checkpoint(block)
    assert cb.__name__ == "block"
    loss = lambda b: lambda w_: mx.sum(b(w_, b(w_, x)))
    np.testing.assert_allclose(np.array(mx.grad(loss(cb))(w)), np.array(mx.grad(loss(block))(w)), rtol=1e-6)


def test_callable_keeps_identity():
    def my_loss(x):
        """The docstring."""
        return mx.sum(x)

    for tr in (mx.grad, mx.value_and_grad, mx.vmap, mx.checkpoint):
        g = tr(my_loss)
        assert callable(g)
        assert g.__name__ == "my_loss" and g.__doc__ == "The docstring."
        assert g.__wrapped__ is my_loss
    my_loss.extra = 5
    assert mx.grad(my_loss).extra == 5


def test_dtype_of_gradient():
    x = mx.array([1.0, 2.0], dtype=mx.float16)
    g = mx.grad(lambda a: mx.sum(a * a))(x)
    assert g.dtype == mx.float16 and g.tolist() == [2.0, 4.0]
    x64 = mx.array([1.5], dtype=mx.float64)
    assert mx.grad(lambda a: mx.sum(mx.exp(a)))(x64).dtype == mx.float64


def test_repeated_grad_does_not_grow_memory():
    w = mx.array(RNG.standard_normal((32, 32)).astype(np.float32))
    x = mx.array(RNG.standard_normal((32,)).astype(np.float32))
    vg = mx.value_and_grad(lambda w_, d: (mx.sum(mx.tanh(w_ @ d["x"]) ** 2), d["x"] * 2), argnums=0)
    gg = mx.grad(mx.grad(lambda a: mx.sum(mx.sin(a) ** 3)))

    def step():
        (l, aux), g = vg(w, {"x": x, "n": 1})
        h = gg(mx.array(0.3))
        vm = mx.vmap(mx.grad(lambda a: mx.sum(a * a)))(w)
        o, t = mx.jvp(lambda a: a * 2, [x], [x])
        mx.eval(l, aux, g, h, vm, o, t)

    for _ in range(3):
        step()
    gc.collect()
    base = mx.get_active_memory()
    for _ in range(30):
        step()
    gc.collect()
    assert mx.get_active_memory() <= base


def test_transforms_release_every_array_and_node():
    import ctypes
    import os

    lib = ctypes.CDLL(os.path.join(os.path.dirname(mx.__file__), "libcmlx.so"))
    lib.mx_debug_live_arrays.restype = ctypes.c_int64
    lib.mx_debug_live_nodes.restype = ctypes.c_int64
    w = mx.array(RNG.standard_normal((8, 8)).astype(np.float32))
    x = mx.array(RNG.standard_normal((8,)).astype(np.float32))

    def step():
        (l, aux), g = mx.value_and_grad(
            lambda w_, d: (mx.sum(mx.tanh(w_ @ d["x"]) ** 2), d["x"] * 2))(w, {"x": x, "n": 1})
        h = mx.grad(mx.grad(lambda a: mx.sum(mx.sin(a) ** 3)))(mx.array(0.3))
        vm = mx.vmap(lambda a, b: a * b, in_axes=(0, None), out_axes=1)(w, x)
        gv = mx.grad(lambda w_: mx.sum(mx.vmap(lambda r: w_ @ r)(w)))(w)
        o, v = mx.vjp(lambda a: [a * 2, a], [x], [x, x])
        with pytest.raises(ZeroDivisionError):
            mx.grad(lambda a: 1 / 0)(x)
        with pytest.raises(ValueError):
            mx.vmap(lambda a, b: a)(w, x[:3])
        mx.eval(l, aux, g, h, vm, gv, o, v)

    for _ in range(2):
        step()
    gc.collect()
    before = (lib.mx_debug_live_arrays(), lib.mx_debug_live_nodes())
    for _ in range(10):
        step()
    gc.collect()
    assert (lib.mx_debug_live_arrays(), lib.mx_debug_live_nodes()) == before
