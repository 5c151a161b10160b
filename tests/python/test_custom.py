"""mx.custom_function (custom vjp / jvp / vmap rules, MLX's argument conventions, nesting,
exceptions, reference counting) and mx.checkpoint (same values and gradients as the plain
function, which reruns in the backward pass)."""
import gc
import sys
import threading

import numpy as np
import pytest

import mlx.core as mx

RNG = np.random.default_rng(11)


def arr(*shape):
    return mx.array(RNG.standard_normal(shape).astype(np.float32))


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=tol, atol=tol)


# ---- custom_function ----
def test_plain_call_runs_f():
    calls = []

    @mx.custom_function
    def f(x, y=2.0):
        calls.append(1)
        return x * y

    assert isinstance(f, mx.custom_function)
    x = mx.array([1.0, 2.0])
    assert f(x).tolist() == [2.0, 4.0] and f(x, y=3.0).tolist() == [3.0, 6.0]
    assert len(calls) == 2

    @f.vjp
    def f_vjp(primals, cot, out, y=2.0):
        return cot

    assert f_vjp is f  # the decorators return the custom_function (MLX)
    assert f(x).tolist() == [2.0, 4.0] and len(calls) == 3


def test_results_without_arrays_and_inputs_without_arrays():
    f = mx.custom_function(lambda x: x * 2)
    f.vjp(lambda p, c, o: c)
    assert f(3.0) == 6.0  # no array anywhere: a plain call
    g = mx.custom_function(lambda x: {"n": 5, "s": "a"})
    g.jvp(lambda p, t: t)
    assert g(mx.array(1.0)) == {"n": 5, "s": "a"}
    assert mx.checkpoint(lambda x: (5, None))(mx.array(1.0)) == (5, None)
    # no array argument, an array result: a node with no primals
    h = mx.custom_function(lambda: mx.array([1.0, 2.0]))
    h.vjp(lambda p, c, o: ())
    assert h().tolist() == [1.0, 2.0]
    assert mx.checkpoint(lambda: mx.array(4.0))().item() == 4.0


def test_subclass_and_attributes():
    def body(x):
        return x + 1

    class Sub(mx.custom_function):
        pass

    s = Sub(body)
    assert s.__wrapped__ is body and s(1) == 2
    assert "vjp" in mx.custom_function.vjp.__doc__


def test_custom_vjp_replaces_derivative():
    seen = {}

    @mx.custom_function
    def f(x):
        return mx.sin(x)

    @f.vjp
    def f_vjp(primals, cotangents, outputs):
        seen.update(p=primals, c=cotangents, o=outputs)
        return 2.0 * cotangents  # deliberately not cos(x)

    x = arr(4)
    g = mx.grad(lambda a: mx.sum(f(a) * 3.0))(x)
    close(g, np.full(4, 6.0))
    # one primal: passed as the array itself; one output: cotangent/output arrays
    assert isinstance(seen["p"], mx.array) and isinstance(seen["c"], mx.array)
    close(seen["o"], np.sin(np.array(x)))
    close(seen["c"], np.full(4, 3.0))
    # mx.vjp and value_and_grad use it too
    outs, vjps = mx.vjp(f, [x], [mx.ones_like(x)])
    close(outs[0], np.sin(np.array(x)))
    close(vjps[0], np.full(4, 2.0))
    v, g = mx.value_and_grad(lambda a: mx.sum(f(a)))(x)
    close(v, np.sum(np.sin(np.array(x))))
    close(g, np.full(4, 2.0))


def test_custom_jvp_used_by_jvp():
    seen = {}

    @mx.custom_function
    def f(x):
        return mx.exp(x)

    @f.jvp
    def f_jvp(primals, tangents):
        seen.update(p=primals, t=tangents)
        return 5.0 * tangents

    x, t = arr(3), arr(3)
    outs, jvps = mx.jvp(f, [x], [t])
    close(outs[0], np.exp(np.array(x)))
    close(jvps[0], 5.0 * np.array(t))
    assert isinstance(seen["p"], mx.array) and isinstance(seen["t"], mx.array)
    # no vjp rule: reverse mode goes through f
    close(mx.grad(lambda a: mx.sum(f(a)))(x), np.exp(np.array(x)))


def test_custom_jvp_gets_none_for_missing_tangents():
    seen = {}

    @mx.custom_function
    def f(x, y):
        return x * y

    @f.jvp
    def f_jvp(primals, tangents):
        seen["t"] = tangents
        x, y = primals
        dx, dy = tangents
        out = mx.zeros_like(x)
        if dx is not None:
            out = out + dx * y
        if dy is not None:
            out = out + dy * x
        return out

    x, y, t = arr(3), arr(3), arr(3)
    # tangent only for x: y is a constant captured by the outer function
    _, jv = mx.jvp(lambda a: f(a, y), [x], [t])
    assert isinstance(seen["t"], tuple) and seen["t"][1] is None
    close(jv[0], np.array(t) * np.array(y))


def test_custom_vmap_used_by_vmap():
    seen = []

    @mx.custom_function
    def f(x, y):
        return x + y

    @f.vmap
    def f_vmap(inputs, axes):
        seen.append(axes)
        x, y = inputs
        ax, ay = axes
        assert ay is None
        # a recognisable result, batched along axis 1 of the output
        return mx.swapaxes(x * 10 + y, 0, 1) if ax == 0 else x * 10 + y, 1

    xs, y = arr(5, 3), arr(3)
    out = mx.vmap(f, in_axes=(0, None))(xs, y)
    assert seen == [(0, None)]
    assert out.shape == (5, 3)
    close(out, np.array(xs) * 10 + np.array(y))
    # without a vmap rule vmap goes through f
    g = mx.custom_function(lambda a, b: a + b)
    g.vjp(lambda p, c, o: (c, c))
    close(mx.vmap(g, in_axes=(0, None))(xs, y), np.array(xs) + np.array(y))


def test_custom_vmap_single_input_and_errors():
    @mx.custom_function
    def f(x):
        return mx.sum(x)

    @f.vmap
    def f_vmap(x, ax):
        assert isinstance(x, mx.array) and ax == 1
        return mx.sum(x, axis=0), 0

    xs = arr(4, 6)
    close(mx.vmap(f, in_axes=1)(xs), np.sum(np.array(xs), axis=0))

    @f.vmap
    def bad(x, ax):
        return mx.sum(x, axis=0)  # not a (outputs, axes) tuple

    with pytest.raises(ValueError, match="tuple with 2 items"):
        mx.vmap(f, in_axes=1)(xs)


def test_no_rules_derivative_goes_through_f():
    @mx.custom_function
    def f(x):
        return mx.sin(x) * x

    x = arr(5)
    xn = np.array(x).astype(np.float64)
    close(mx.grad(lambda a: mx.sum(f(a)))(x), np.cos(xn) * xn + np.sin(xn))
    # with only a jvp rule, reverse mode still goes through f (and vmap too)
    f.jvp(lambda p, t: t)
    close(mx.grad(lambda a: mx.sum(f(a)))(x), np.cos(xn) * xn + np.sin(xn))
    close(mx.vmap(f)(x), np.sin(xn) * xn)


def test_several_primals_and_outputs():
    seen = {}

    @mx.custom_function
    def f(x, y):
        return x * y, x + y

    @f.vjp
    def f_vjp(primals, cotangents, outputs):
        seen.update(p=primals, c=cotangents, o=outputs)
        x, y = primals
        ca, cb = cotangents
        return 100 * ca + cb, 1000 * ca + cb

    @f.jvp
    def f_jvp(primals, tangents):
        tx, ty = tangents
        return tx + ty, tx - ty

    x, y = arr(3), arr(3)
    loss = lambda a, b: mx.sum(f(a, b)[0]) + 2 * mx.sum(f(a, b)[1])
    gx, gy = mx.grad(loss, argnums=(0, 1))(x, y)
    close(gx, np.full(3, 102.0))
    close(gy, np.full(3, 1002.0))
    assert isinstance(seen["p"], tuple) and len(seen["p"]) == 2
    assert isinstance(seen["c"], tuple) and isinstance(seen["o"], tuple)
    close(seen["o"][0], np.array(x) * np.array(y))
    outs, jv = mx.jvp(f, [x, y], [mx.ones_like(x), 2 * mx.ones_like(y)])
    close(outs[1], np.array(x) + np.array(y))
    close(jv[0], np.full(3, 3.0))
    close(jv[1], np.full(3, -1.0))


def test_tree_arguments_and_outputs():
    @mx.custom_function
    def f(params, x, scale):
        return {"y": params["w"] * x * scale, "aux": [x, "tag"]}

    @f.vjp
    def f_vjp(primals, cotangents, outputs):
        params, x, scale = primals
        assert scale == 2.0 and outputs["aux"][1] == "tag"
        cy = cotangents["y"]
        # vjps have the structure of the primals (non-array leaves are skipped)
        return {"w": 7 * cy}, 0 * x + cotangents["aux"][0], scale

    w, x = arr(3), arr(3)
    out = f({"w": w}, x, 2.0)
    assert out["aux"][1] == "tag"
    close(out["y"], np.array(w) * np.array(x) * 2)
    g = mx.grad(lambda p: mx.sum(f(p, x, 2.0)["y"]))({"w": w})
    close(g["w"], np.full(3, 7.0))


def test_kwargs_are_passed_and_not_differentiated():
    seen = {}

    @mx.custom_function
    def f(x, *, bias, power=2):
        return x**power + bias

    @f.vjp
    def f_vjp(x, cot, out, *, bias, power=2):
        seen.update(bias=bias, power=power)
        return cot * 9  # only the positional array

    x, b = arr(3), arr(3)
    close(f(x, bias=b, power=3), np.array(x) ** 3 + np.array(b))
    g = mx.grad(lambda a, bb: mx.sum(f(a, bias=bb, power=3)), argnums=(0, 1))(x, b)
    close(g[0], np.full(3, 9.0))
    close(g[1], np.zeros(3))
    assert seen["power"] == 3
    close(seen["bias"], b)

    f.jvp(lambda p, t: t)
    with pytest.raises(ValueError, match=r"\[custom jvp\] Function should only accept positional"):
        mx.jvp(lambda a: f(a, bias=b), [x], [x])


def test_nesting_inside_grad_and_vmap():
    @mx.custom_function
    def f(x):
        return mx.sin(x)

    @f.vjp
    def f_vjp(x, cot, out):
        return 2.0 * cot * mx.cos(x)  # twice the true derivative

    x = arr(6)
    xn = np.array(x).astype(np.float64)
    # vmap of grad: per-example gradients use the rule
    close(mx.vmap(mx.grad(lambda a: f(a)))(x), 2 * np.cos(xn))
    # grad of grad differentiates the rule itself
    close(mx.grad(lambda a: mx.sum(mx.grad(lambda b: mx.sum(f(b)))(a)))(x), -2 * np.sin(xn))
    # a custom_function used inside another custom_function's f
    inner = f

    @mx.custom_function
    def outer(x):
        return inner(x) * 3

    outer.jvp(lambda p, t: t)  # makes outer a custom node; vjp goes through f -> inner's rule
    close(mx.grad(lambda a: mx.sum(outer(a)))(x), 6 * np.cos(xn))
    # grad over vmap: the vmap rule's result replaces the node (as in MLX), so the derivative is
    # that of what the rule computed; a rule that calls f on the batch keeps the vjp rule
    xs = arr(4, 3)
    f.vmap(lambda a, ax: (mx.sin(a), ax))
    close(mx.grad(lambda a: mx.sum(mx.vmap(f)(a)))(xs), np.cos(np.array(xs)))
    f.vmap(lambda a, ax: (f(a), ax))
    close(mx.grad(lambda a: mx.sum(mx.vmap(f)(a)))(xs), 2 * np.cos(np.array(xs)))


def test_captured_arrays_are_constants():
    y = mx.array(3.0)

    def g(x, y):
        @mx.custom_function
        def f(x):
            return x * y

        @f.vjp
        def f_vjp(x, dx, fx):
            raise ValueError("Abort!")

        return f(x)

    x = mx.array(2.0)
    assert g(x, y).item() == 6.0
    with pytest.raises(ValueError, match="Abort!"):
        mx.grad(g)(x, y)


def test_rule_not_called_when_no_primal_is_differentiated():
    y = mx.array(3.0)

    def g(x, y):
        f = mx.custom_function(lambda a: a * y)

        @f.vjp
        def f_vjp(x, dx, fx):
            raise ValueError("Abort!")

        return f(x)

    assert mx.grad(g, argnums=1)(mx.array(2.0), y).item() == 0.0


class MyError(Exception):
    pass


@pytest.mark.parametrize("where", ["f", "vjp", "jvp", "vmap"])
def test_exceptions_propagate(where):
    err = MyError("from " + where)

    def boom(*a, **k):
        raise err

    f = mx.custom_function(boom if where == "f" else (lambda x: x * 2))
    f.vjp(boom if where == "vjp" else (lambda p, c, o: c))
    f.jvp(boom if where == "jvp" else (lambda p, t: t))
    f.vmap(boom if where == "vmap" else (lambda x, a: (x, a)))
    x = arr(3)
    run = {
        "f": lambda: f(x),
        "vjp": lambda: mx.grad(lambda a: mx.sum(f(a)))(x),
        "jvp": lambda: mx.jvp(f, [x], [x]),
        "vmap": lambda: mx.vmap(f)(x),
    }[where]
    with pytest.raises(MyError) as info:
        run()
    assert info.value is err
    # nested: the same exception object comes out of several transforms
    if where == "vjp":
        with pytest.raises(MyError) as info:
            mx.vmap(mx.grad(lambda a: f(a)))(x)
        assert info.value is err
    # and the module still works afterwards
    assert mx.grad(lambda a: mx.sum(a * a))(x).shape == (3,)


def test_bad_rule_results():
    f = mx.custom_function(lambda x, y: x * y)
    x = arr(3)
    f.vjp(lambda p, c, o: c)  # one vjp for two primals
    with pytest.raises(ValueError, match="vjp returned 1 arrays"):
        mx.grad(lambda a: mx.sum(f(a, a)))(x)
    f.vjp(lambda p, c, o: (c, mx.array(1.0)))  # wrong shape
    with pytest.raises(ValueError, match=r"vjp 1 has shape \(\) but should have shape \(3,\)"):
        mx.grad(lambda a: mx.sum(f(a, a)))(x)
    g = mx.custom_function(lambda x: x)
    g.jvp(lambda p, t: (t, t))
    with pytest.raises(ValueError, match="jvp returned 2 arrays"):
        mx.jvp(g, [x], [x])
    with pytest.raises(TypeError):
        mx.custom_function(3)
    with pytest.raises(TypeError):
        g.vjp(None)


# ---- reference counting ----
def test_rules_released_with_the_graph():
    def f_body(x):
        return mx.sin(x)

    def vjp_rule(p, c, o):
        return c

    def jvp_rule(p, t):
        return t

    def vmap_rule(x, a):
        return mx.sin(x), a

    f = mx.custom_function(f_body)
    f.vjp(vjp_rule).jvp(jvp_rule).vmap(vmap_rule)
    fns = (f_body, vjp_rule, jvp_rule, vmap_rule)
    counts = lambda: [sys.getrefcount(fn) for fn in fns]
    base = counts()
    x = arr(8)
    y = f(x)  # a live graph keeps the rules
    assert counts() == [b + 1 for b in base]
    del y
    for _ in range(3):
        mx.grad(lambda a: mx.sum(f(a)))(x)
        mx.jvp(f, [x], [x])
        mx.vmap(f)(mx.stack([x, x]))
        mx.eval(f(x) * 2)  # evaluation frees the node with the GIL released
    # a graph freed on another thread
    z = f(x) + 1
    t = threading.Thread(target=lambda: mx.eval(z))
    t.start()
    t.join()
    del z
    gc.collect()
    assert counts() == base
    # the custom_function itself is collected (it is GC-aware)
    import weakref

    r = weakref.ref(f)
    del f
    gc.collect()
    assert r() is None


def test_no_memory_growth():
    @mx.custom_function
    def f(x, y):
        return mx.sin(x) * y, x + y

    @f.vjp
    def f_vjp(p, c, o):
        return c[0] + c[1], c[1]

    cp = mx.checkpoint(lambda a: mx.tanh(a @ a))
    x, y = arr(64, 64), arr(64, 64)

    def step():
        g = mx.grad(lambda a, b: mx.sum(f(a, b)[0] + f(a, b)[1]), argnums=(0, 1))(x, y)
        h = mx.grad(lambda a: mx.sum(cp(a)))(x)
        mx.eval(g, h)

    step()
    gc.collect()
    before = mx.get_active_memory()
    for _ in range(10):
        step()
    gc.collect()
    assert mx.get_active_memory() <= before


# ---- checkpoint ----
def test_checkpoint_values_grads_and_recompute():
    calls = [0]

    def block(w, x):
        calls[0] += 1
        return mx.tanh(w @ x) * 2

    w, x = arr(4, 4), arr(4)
    cb = mx.checkpoint(block)
    assert cb.__name__ == "block" and cb.__wrapped__ is block
    close(cb(w, x), block(w, x))
    calls[0] = 0
    g1 = mx.grad(lambda a, b: mx.sum(cb(a, b)), argnums=(0, 1))(w, x)
    assert calls[0] == 2  # the forward pass, then again in the backward pass
    g2 = mx.grad(lambda a, b: mx.sum(block(a, b)), argnums=(0, 1))(w, x)
    close(g1[0], g2[0])
    close(g1[1], g2[1])
    # stacked checkpoints
    loss = lambda b: lambda w_: mx.sum(b(w_, b(w_, x)))
    close(mx.grad(loss(cb))(w), mx.grad(loss(block))(w))
    # forward mode and vmap go through the function
    _, jv = mx.jvp(lambda a: cb(a, x), [w], [mx.ones_like(w)])
    _, jv2 = mx.jvp(lambda a: block(a, x), [w], [mx.ones_like(w)])
    close(jv[0], jv2[0])
    xs = arr(3, 4)
    close(mx.vmap(cb, in_axes=(None, 0))(w, xs), mx.vmap(block, in_axes=(None, 0))(w, xs))


def test_checkpoint_trees_kwargs_and_refcounts():
    calls = [0]

    def block(p, x, *, scale=1.0):
        calls[0] += 1
        return {"y": mx.sin(p["w"] * x) * scale, "n": 3}

    cb = mx.checkpoint(block)
    w, x = arr(5), arr(5)
    out = cb({"w": w}, x, scale=2.0)
    assert out["n"] == 3
    close(out["y"], np.sin(np.array(w) * np.array(x)) * 2)
    base = sys.getrefcount(block)
    calls[0] = 0
    g = mx.grad(lambda p: mx.sum(cb(p, x, scale=2.0)["y"]))({"w": w})
    assert calls[0] == 2
    close(g["w"], 2 * np.cos(np.array(w) * np.array(x)) * np.array(x))
    del g, out
    gc.collect()
    assert sys.getrefcount(block) == base


def test_checkpoint_exception_propagates():
    err = MyError("rerun")
    state = {"n": 0}

    def block(x):
        state["n"] += 1
        if state["n"] == 2:  # fails only when rerun in the backward pass
            raise err
        return mx.exp(x)

    cb = mx.checkpoint(block)
    with pytest.raises(MyError) as info:
        mx.grad(lambda a: mx.sum(cb(a)))(arr(3))
    assert info.value is err
