"""mx.vmap against a Python loop stacked with mx.stack: in_axes/out_axes (ints, None, trees),
nesting with grad and with itself, and MLX's errors."""
import numpy as np
import pytest

import mlx.core as mx

RNG = np.random.default_rng(11)


def rand(*shape):
    return mx.array(RNG.standard_normal(shape).astype(np.float32))


def take_axis(x, i, ax):
    """x sliced at index i along ax (None: x itself)."""
    if ax is None:
        return x
    idx = [slice(None)] * x.ndim
    idx[ax] = i
    return x[tuple(idx)]


def loop(fun, args, in_axes, out_axis=0):
    """fun mapped by hand over the arguments (flat tuple of arrays) and stacked on out_axis."""
    n = next(a.shape[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [fun(*[take_axis(a, i, ax) for a, ax in zip(args, in_axes)]) for i in range(n)]
    if isinstance(outs[0], (tuple, list)):
        return type(outs[0])(mx.stack([o[k] for o in outs], axis=out_axis) for k in range(len(outs[0])))
    return mx.stack(outs, axis=out_axis)


def close(a, b, rtol=1e-5, atol=1e-5):
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=rtol, atol=atol)


FUNS = {
    "elementwise": (lambda x, y: mx.exp(x) * mx.sin(y) + x / (1 + y * y), [(4, 3), (4, 3)]),
    "broadcast": (lambda x, y: x[:, None] * y[None, :], [(5, 3), (5, 2)]),
    "reduce": (lambda x, y: mx.sum(x * y, axis=0) + mx.max(x, axis=1).sum(), [(3, 4, 2), (3, 4, 2)]),
    "matmul": (lambda a, b: a @ b, [(4, 2, 3), (4, 3, 5)]),
    "matvec": (lambda a, v: a @ v, [(3, 4, 5), (3, 5)]),
    "softmax": (lambda x, y: mx.softmax(x + y, axis=-1), [(3, 2, 6), (3, 2, 6)]),
    "logsumexp": (lambda x, y: mx.logsumexp(x * y, axis=0), [(2, 3, 4), (2, 3, 4)]),
    "index": (lambda x, y: x[1:, ::2] + y[0], [(3, 4, 5), (3, 4, 3)]),
    "reshape_transpose": (lambda x, y: mx.reshape(x, (3, 2)).T + y, [(4, 6), (4, 2, 3)]),
    "sum_all": (lambda x, y: mx.sum(x) * y, [(3, 5), (3, 2)]),
}


@pytest.mark.parametrize("name", sorted(FUNS))
def test_vmap_vs_loop(name):
    fun, shapes = FUNS[name]
    args = [rand(*s) for s in shapes]
    close(mx.vmap(fun)(*args), loop(fun, args, [0, 0]), rtol=1e-4)


def test_in_axes_variants():
    f = lambda x, y: x * 2 + mx.sum(y)
    x, y = rand(3, 4), rand(4, 3)
    close(mx.vmap(f, in_axes=(1, 0))(x, y), loop(f, [x, y], [1, 0]))
    close(mx.vmap(f, in_axes=(-1, -2))(x, y), loop(f, [x, y], [1, 0]))
    close(mx.vmap(f, in_axes=(0, None))(x, y), loop(f, [x, y], [0, None]))
    close(mx.vmap(f, in_axes=(None, 0))(x, y), loop(f, [x, y], [None, 0]))
    # strided input
    xs = rand(4, 6)[:, ::2]
    close(mx.vmap(lambda a: a * a)(xs.T), loop(lambda a: a * a, [xs.T], [0]))
    # a single argument with a one-element tuple (MLX allows it)
    close(mx.vmap(lambda a: a + 1, in_axes=(1,))(x), loop(lambda a: a + 1, [x], [1]))


def test_in_axes_trees():
    def f(p, s):
        return p["w"] @ p["b"][0] + p["b"][1] * s

    w, b0, b1, s = rand(3, 2, 4), rand(4), rand(3, 2), rand(5)
    p = {"w": w, "b": [b0, b1]}
    out = mx.vmap(f, in_axes=({"w": 0, "b": [None, 0]}, None))(p, mx.array(2.0))
    ref = mx.stack([f({"w": w[i], "b": [b0, b1[i]]}, mx.array(2.0)) for i in range(3)])
    close(out, ref)
    # an int at a node applies to the whole subtree
    out = mx.vmap(f, in_axes=({"w": 0, "b": 0}, None))(
        {"w": w, "b": [mx.stack([b0] * 3), b1]}, mx.array(2.0))
    close(out, ref)
    # a single list argument: in_axes is matched against the list itself
    g = lambda l: l[0] * l[1]
    close(mx.vmap(g, in_axes=[0, None])([w, s[:4]]), mx.stack([w[i] * s[:4] for i in range(3)]))


def test_out_axes_variants():
    f = lambda x: (x * 2, mx.sum(x, axis=0))
    x = rand(3, 4, 2)
    a, b = mx.vmap(f, out_axes=1)(x)
    ra, rb = loop(f, [x], [0], out_axis=1)
    close(a, ra)
    close(b, rb)
    a, b = mx.vmap(f, out_axes=(2, 0))(x)
    close(a, loop(lambda t: t * 2, [x], [0], out_axis=2))
    close(b, loop(lambda t: mx.sum(t, axis=0), [x], [0], out_axis=0))
    a, b = mx.vmap(f, out_axes=-1)(x)
    close(a, loop(lambda t: t * 2, [x], [0], out_axis=2))
    close(b, loop(lambda t: mx.sum(t, axis=0), [x], [0], out_axis=1))
    # None: as in MLX, the mapped axis ends up last
    a, b = mx.vmap(f, out_axes=(0, None))(x)
    close(b, loop(lambda t: mx.sum(t, axis=0), [x], [0], out_axis=-1))
    # dict outputs with a dict prefix
    d = mx.vmap(lambda t: {"a": t + 1, "b": t.T}, out_axes={"a": 0, "b": 2})(x)
    close(d["a"], x + 1)
    close(d["b"], loop(lambda t: t.T, [x], [0], out_axis=2))


def test_unmapped_output_is_broadcast():
    x, c = rand(4, 3), rand(3)
    out = mx.vmap(lambda a, b: b * 2, in_axes=(0, None))(x, c)
    close(out, mx.stack([c * 2] * 4))
    out = mx.vmap(lambda a, b: b * 2, in_axes=(0, None), out_axes=1)(x, c)
    close(out, mx.stack([c * 2] * 4, axis=1))


def test_vmap_errors():
    x, y = rand(3, 2), rand(4, 2)
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a + b)(x, y)  # sizes 3 and 4
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, in_axes=None)(x)  # nothing mapped
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, in_axes=2)(x)  # axis out of range
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, in_axes=-3)(x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a: a, out_axes=3)(x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a, in_axes=(0, 0, 0))(x, x)  # not a prefix
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a, in_axes=[0, 0])(x, x)  # a list is not a prefix of the args tuple
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a, in_axes=(0, "x"))(x, x)
    with pytest.raises(ValueError):
        mx.vmap(lambda a, b: a)(x, 3)  # non-array argument
    with pytest.raises(ValueError):
        mx.vmap(lambda a: (a, 1))(x)  # non-array output
    with pytest.raises(ValueError):
        mx.vmap(lambda d: d["a"], in_axes={"b": 0})({"a": x})
    with pytest.raises(TypeError):
        mx.vmap(lambda a, b=None: a)(x, b=x)


class Boom(Exception):
    pass


def test_vmap_exception_propagates():
    def bad(a):
        raise Boom("in vmap")

    x = rand(3, 2)
    with pytest.raises(Boom, match="in vmap"):
        mx.vmap(bad)(x)
    with pytest.raises(Boom):
        mx.vmap(mx.grad(lambda a: bad(a)))(x)
    with pytest.raises(Boom):
        mx.grad(lambda a: mx.sum(mx.vmap(bad)(a)))(x)
    close(mx.vmap(lambda a: a + 1)(x), x + 1)


def test_vmap_of_grad_per_example_gradients():
    w = rand(4)
    xs, ys = rand(6, 4), rand(6)

    def loss(w_, x, y):
        return (mx.sum(mx.tanh(w_ * x)) - y) ** 2

    per_ex = mx.vmap(mx.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)
    ref = mx.stack([mx.grad(loss)(w, xs[i], ys[i]) for i in range(6)])
    close(per_ex, ref, rtol=1e-4)
    # gradient with respect to the mapped argument
    gx = mx.vmap(mx.grad(loss, argnums=1), in_axes=(None, 0, 0))(w, xs, ys)
    close(gx, mx.stack([mx.grad(loss, argnums=1)(w, xs[i], ys[i]) for i in range(6)]), rtol=1e-4)


def test_grad_of_vmap():
    w, xs = rand(3, 4), rand(5, 4)
    f = lambda w_, x: mx.sin(w_ @ x)
    g = mx.grad(lambda w_: mx.sum(mx.vmap(f, in_axes=(None, 0))(w_, xs) ** 2))(w)
    r = mx.grad(lambda w_: mx.sum(mx.stack([f(w_, xs[i]) for i in range(5)]) ** 2))(w)
    close(g, r, rtol=1e-4)
    # value_and_grad through vmap with a tree argument
    v, gd = mx.value_and_grad(lambda p: mx.sum(mx.vmap(lambda x: p["w"] @ x)(xs)))({"w": w})
    close(gd["w"], mx.broadcast_to(mx.sum(xs, axis=0), (3, 4)), rtol=1e-4)


def test_vmap_of_vmap_and_jvp():
    x, y = rand(2, 3, 4), rand(3, 4)
    f = lambda a, b: a * b + mx.sum(a)
    out = mx.vmap(mx.vmap(f, in_axes=(0, 0)), in_axes=(0, None))(x, y)
    ref = mx.stack([mx.stack([f(x[i, j], y[j]) for j in range(3)]) for i in range(2)])
    close(out, ref)
    # vmap over the batch of a jvp
    t = rand(2, 3, 4)
    jv = mx.vmap(lambda a, ta: mx.jvp(lambda z: mx.sin(z), [a], [ta])[1][0])(x, t)
    close(jv, mx.cos(x) * t)


def test_vmap_keeps_identity_and_memory():
    def fn(a):
        """doc"""
        return a * 2

    v = mx.vmap(fn, in_axes=0, out_axes=0)
    assert v.__name__ == "fn" and v.__doc__ == "doc"
    x = rand(16, 16)
    for _ in range(3):
        mx.eval(v(x))
    base = mx.get_active_memory()
    for _ in range(20):
        mx.eval(v(x), mx.vmap(mx.grad(lambda a: mx.sum(a ** 3)))(x))
    assert mx.get_active_memory() <= base
