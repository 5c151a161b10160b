"""More mx.compile: compiled functions calling compiled functions (values, caching, gradients),
one compiled function called from several Python threads at once, a compiled SGD-with-momentum
training step whose parameters and optimizer state are captured through inputs=/outputs=, and
random numbers under compile (explicit keys, and the global state captured with
inputs=mx.random.state / outputs=mx.random.state)."""
import threading
import time

import numpy as np
import pytest

import mlx.core as mx

RNG = np.random.default_rng(11)


def f32(*shape):
    return RNG.normal(size=shape).astype(np.float32)


# ---- compiled functions calling compiled functions ---------------------------------------------
def test_nested_values_and_cache():
    inner_calls, outer_calls = [], []

    def inner(x, s):
        inner_calls.append(1)
        return mx.exp(x) * s

    cin = mx.compile(inner)

    def outer(x):
        outer_calls.append(1)
        return cin(x, 2.0) + cin(x[:2], 3.0).sum() + cin(x, 2.0)

    cout = mx.compile(outer)
    c3 = mx.compile(lambda v: cout(v) - cin(v, 1.0))  # three levels

    def want(xn):
        e = np.exp(xn.astype(np.float64))
        return 4 * e + 3 * e[:2].sum()

    xn = f32(6)
    np.testing.assert_allclose(np.array(cout(mx.array(xn))), want(xn), rtol=1e-5)
    n_in, n_out = len(inner_calls), len(outer_calls)
    assert n_out == 1
    xn2 = f32(6)
    np.testing.assert_allclose(np.array(cout(mx.array(xn2))), want(xn2), rtol=1e-5)
    # the outer cache answers: neither Python function runs again
    assert (len(inner_calls), len(outer_calls)) == (n_in, n_out)
    # the inner function called on its own, with a signature it was traced with inside outer
    np.testing.assert_allclose(np.array(cin(mx.array(xn), 2.0)), 2 * np.exp(xn), rtol=1e-6)
    np.testing.assert_allclose(np.array(c3(mx.array(xn))), want(xn) - np.exp(xn), rtol=1e-5)
    # a different shape retraces the outer function once, the same one again does not
    before = len(outer_calls)
    xn3 = f32(9)
    np.testing.assert_allclose(np.array(cout(mx.array(xn3))), want(xn3), rtol=1e-5)
    np.testing.assert_allclose(np.array(cout(mx.array(xn3 + 1))), want(xn3 + 1), rtol=1e-5)
    assert len(outer_calls) == before + 1


def test_nested_tuple_outputs_and_kwargs():
    split = mx.compile(lambda x: (x * 2, {"neg": -x}))

    def use(x, scale=1.0):
        a, d = split(x)
        return a * scale + d["neg"], mx.sum(a)

    cuse = mx.compile(use)
    xn = f32(3, 4)
    r, s = cuse(mx.array(xn), scale=3.0)
    np.testing.assert_allclose(np.array(r), xn * 5, rtol=1e-6)
    np.testing.assert_allclose(s.item(), (xn * 2).sum(), rtol=1e-5)


def test_nested_gradients():
    cin = mx.compile(lambda x: mx.sin(x) * x)
    cout = mx.compile(lambda x: cin(x) + cin(2 * x))
    loss = lambda v: cout(v).sum()
    xn = f32(7)
    x64 = xn.astype(np.float64)
    d = lambda t: np.cos(t) * t + np.sin(t)
    want = d(x64) + 2 * d(2 * x64)
    np.testing.assert_allclose(np.array(mx.grad(loss)(mx.array(xn))), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.array(mx.compile(mx.grad(loss))(mx.array(xn))), want,
                               rtol=1e-5, atol=1e-5)


# ---- several Python threads calling one compiled function -------------------------------------
def test_threads_share_one_compiled_function():
    traces = []

    def f(a, b):
        traces.append(a.shape)
        time.sleep(0.002)  # give up the GIL in the middle of a trace
        return mx.tanh(a) * b + mx.sum(a), mx.max(a - b)

    cf = mx.compile(f)
    n_threads, iters = 6, 25
    barrier = threading.Barrier(n_threads)
    errors = []

    def work(tid):
        rng = np.random.default_rng(100 + tid)
        try:
            barrier.wait()
            for k in range(iters):
                shape = (1 + (tid + k) % 3, 5)  # three signatures, traced concurrently
                an = rng.normal(size=shape).astype(np.float32)
                bn = rng.normal(size=shape).astype(np.float32)
                r, m = cf(mx.array(an), mx.array(bn))
                mx.eval(r, m)
                want = np.tanh(an) * bn + an.sum(dtype=np.float32)
                if not np.allclose(np.array(r), want, rtol=1e-5, atol=1e-5):
                    errors.append(f"thread {tid} step {k}: values differ")
                if not np.isclose(m.item(), (an - bn).max(), rtol=1e-6):
                    errors.append(f"thread {tid} step {k}: max differs")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"thread {tid}: {e!r}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "threads hung (deadlock?)"
    assert errors == []
    # every signature was traced, and the cache was used (far fewer traces than calls)
    assert {s for s in traces} == {(1, 5), (2, 5), (3, 5)}
    assert len(traces) < n_threads * iters // 2


def test_threads_separate_compiled_functions_with_state():
    """Each thread owns a compiled stateful counter; states must not leak between threads."""
    errors = []

    def work(tid):
        try:
            state = [mx.array(np.full(4, tid, np.float32))]

            def bump(x):
                state[0] = state[0] + x
                return state[0].sum()

            cb = mx.compile(bump, inputs=state, outputs=state)
            for k in range(1, 21):
                s = cb(mx.array(1.0))
                if s.item() != 4 * (tid + k):
                    errors.append(f"thread {tid} step {k}: {s.item()}")
            if not np.array_equal(np.array(state[0]), np.full(4, tid + 20, np.float32)):
                errors.append(f"thread {tid}: final state {np.array(state[0])}")
        except Exception as e:  # noqa: BLE001
            errors.append(f"thread {tid}: {e!r}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


# ---- a compiled training step with captured state ----------------------------------------------
def mlp_loss(p, x, y):
    h = mx.maximum(x @ p["w1"] + p["b1"], 0.0)
    logits = h @ p["w2"] + p["b2"]
    return mx.mean(mx.logsumexp(logits, axis=1) - mx.sum(logits * y, axis=1))


def sgd_momentum(p, v, g, lr=0.05, mu=0.9):
    v = {k: mu * v[k] + g[k] for k in p}
    return {k: p[k] - lr * v[k] for k in p}, v


def init_mlp():
    rng = np.random.default_rng(5)
    p = {
        "w1": (rng.normal(size=(12, 16)) / np.sqrt(12)).astype(np.float32),
        "b1": np.zeros(16, np.float32),
        "w2": (rng.normal(size=(16, 4)) / 4).astype(np.float32),
        "b2": np.zeros(4, np.float32),
    }
    x = rng.uniform(-1, 1, (32, 12)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 32)]
    return p, x, y


def test_training_step_state_inputs_outputs():
    pn, xn, yn = init_mlp()
    x, y = mx.array(xn), mx.array(yn)

    # uncompiled reference
    p = {k: mx.array(v) for k, v in pn.items()}
    v = {k: mx.zeros(a.shape) for k, a in p.items()}
    ref_losses = []
    for _ in range(6):
        loss, g = mx.value_and_grad(mlp_loss)(p, x, y)
        p, v = sgd_momentum(p, v, g)
        mx.eval(loss, p, v)
        ref_losses.append(loss.item())

    # compiled: the model and the optimizer state live in a tree captured as inputs and outputs
    state = {"params": {k: mx.array(a) for k, a in pn.items()},
             "vel": {k: mx.zeros(a.shape) for k, a in pn.items()}}
    calls = []

    def step(xb, yb):
        calls.append(1)
        loss, g = mx.value_and_grad(mlp_loss)(state["params"], xb, yb)
        state["params"], state["vel"] = sgd_momentum(state["params"], state["vel"], g)
        return loss

    cstep = mx.compile(step, inputs=state, outputs=state)
    losses = []
    for _ in range(6):
        loss = cstep(x, y)
        mx.eval(loss, state)
        losses.append(loss.item())
    assert len(calls) == 1  # traced once, the state came through as inputs every time
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    assert losses[-1] < losses[0]  # it learns
    for k in p:
        np.testing.assert_allclose(np.array(state["params"][k]), np.array(p[k]), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(np.array(state["vel"][k]), np.array(v[k]), rtol=1e-5, atol=1e-6)


def test_training_step_functional_matches():
    pn, xn, yn = init_mlp()
    x, y = mx.array(xn), mx.array(yn)

    def step(p, v, xb, yb):
        loss, g = mx.value_and_grad(mlp_loss)(p, xb, yb)
        p, v = sgd_momentum(p, v, g)
        return loss, p, v

    cstep = mx.compile(step)
    runs = []
    for fn in (step, cstep):
        p = {k: mx.array(a) for k, a in pn.items()}
        v = {k: mx.zeros(a.shape) for k, a in p.items()}
        ls = []
        for _ in range(5):
            loss, p, v = fn(p, v, x, y)
            mx.eval(loss, p, v)
            ls.append(loss.item())
        runs.append((ls, p))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-5)
    for k in pn:
        np.testing.assert_allclose(np.array(runs[1][1][k]), np.array(runs[0][1][k]), rtol=1e-5,
                                   atol=1e-6)


# ---- random numbers under compile --------------------------------------------------------------
def noisy(x, key=None):
    return x + mx.random.uniform(shape=x.shape, key=key)


def test_random_explicit_keys():
    """What works today: the key as an argument gives fresh draws per call and the same
    draws as the uncompiled function."""
    cf = mx.compile(noisy)
    x = mx.zeros((5,))
    keys = mx.random.split(mx.random.key(42), 3)
    got = [np.array(cf(x, key=keys[i])) for i in range(3)]
    want = [np.array(noisy(x, key=keys[i])) for i in range(3)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(got[0], got[1]) and not np.array_equal(got[1], got[2])


def test_random_global_state_constant_without_capture():
    """Without inputs=/outputs= the draw is part of the trace (MLX behaves the same way), and the
    call must not fail."""
    cf = mx.compile(noisy)
    x = mx.zeros((5,))
    a, b = np.array(cf(x)), np.array(cf(x))
    assert a.shape == (5,) and np.all((a >= 0) & (a < 1))
    np.testing.assert_array_equal(a, b)


def test_random_state_is_a_key_list():
    st = mx.random.state
    assert isinstance(st, list) and len(st) == 1
    assert st[0].dtype == mx.uint32 and st[0].shape == (2,)
    mx.random.seed(7)
    a = np.array(mx.random.state[0])
    mx.random.uniform()
    assert not np.array_equal(a, np.array(mx.random.state[0]))  # drawing advances the state


def test_random_state_captured():
    x = mx.zeros((5,))
    mx.random.seed(3)
    want = [np.array(noisy(x)) for _ in range(4)]
    key_after3 = None
    mx.random.seed(3)
    for _ in range(3):
        noisy(x)
    key_after3 = np.array(mx.random.state[0])
    mx.random.seed(3)
    cf = mx.compile(noisy, inputs=mx.random.state, outputs=mx.random.state)
    got = [np.array(cf(x)) for _ in range(3)]
    assert not np.array_equal(got[0], got[1])  # different draws per call
    for g, w in zip(got, want):  # the same sequence as uncompiled with the same seed
        np.testing.assert_array_equal(g, w)
    # the global key advanced exactly as the uncompiled calls advance it
    np.testing.assert_array_equal(np.array(mx.random.state[0]), key_after3)
    np.testing.assert_array_equal(np.array(noisy(x)), want[3])  # uncompiled continues the sequence


def test_random_state_persistent_and_write_through():
    st = mx.random.state
    assert st is mx.random.state and isinstance(st, list)
    mx.random.seed(5)
    a = np.array(mx.random.uniform(shape=(3,)))
    st[0] = mx.random.key(5)  # assigning the key sets the global key
    np.testing.assert_array_equal(np.array(mx.random.uniform(shape=(3,))), a)
    before = np.array(st[0])
    with pytest.raises(ValueError):
        st[0] = mx.zeros((3,), dtype=mx.uint32)  # not a key: rejected, the old key stays
    np.testing.assert_array_equal(np.array(st[0]), before)
    mx.random.uniform()
    assert not np.array_equal(np.array(st[0]), before)  # a held reference sees the new key


def test_random_state_capture_restored_after_error():
    def bad(x):
        mx.random.uniform(shape=x.shape)
        raise RuntimeError("boom")

    cf = mx.compile(bad, inputs=mx.random.state, outputs=mx.random.state)
    mx.random.seed(9)
    with pytest.raises(Exception):
        cf(mx.zeros((2,)))
    np.testing.assert_array_equal(np.array(mx.random.state[0]), np.array(mx.random.key(9)))
    u = np.array(mx.random.uniform(shape=(4,)))  # the global key is usable (not a tracer)
    mx.random.seed(9)
    np.testing.assert_array_equal(u, np.array(mx.random.uniform(shape=(4,))))


def test_random_state_categorical_sampler():
    """A sampler written like mlx-lm's: compiled with inputs=outputs=mx.random.state."""
    traces = []

    def categorical_sampling(logits, temp):
        traces.append(1)
        return mx.random.categorical(logits * (1 / temp))

    sampler = mx.compile(categorical_sampling, inputs=mx.random.state, outputs=mx.random.state)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    logits = mx.array(np.tile(np.log(p), (64, 1)).astype(np.float32))
    for temp in (1.0, 0.5):
        mx.random.seed(21)
        draws = [np.array(sampler(logits, temp)) for _ in range(60)]
        mx.random.seed(21)
        want = [np.array(categorical_sampling(logits, temp)) for _ in range(60)]
        for g, w in zip(draws, want):
            np.testing.assert_array_equal(g, w)  # the uncompiled sequence
        assert len({d.tobytes() for d in draws}) == 60  # a different batch on every call
        q = p ** (1 / temp) / np.sum(p ** (1 / temp))
        freq = np.bincount(np.concatenate(draws), minlength=4) / (64 * 60)
        np.testing.assert_allclose(freq, q, atol=0.03)  # 3840 samples: std <= 0.008
    assert len(traces) == 2 + 120  # one trace per temperature, plus the uncompiled calls


def test_random_state_inside_a_larger_state_tree():
    """Training-style state [params, mx.random.state] (dropout draws from the global key)."""
    def make(params):
        def step(x):
            mask = mx.random.bernoulli(0.5, x.shape)
            params["w"] = params["w"] + mx.where(mask, x, 0.0)
            return mx.sum(params["w"])
        return step

    x = mx.ones((16,))
    mx.random.seed(1)
    ref = {"w": mx.zeros((16,))}
    fr = make(ref)
    want = [fr(x).item() for _ in range(4)]
    mx.random.seed(1)
    params = {"w": mx.zeros((16,))}
    state = [params, mx.random.state]
    cstep = mx.compile(make(params), inputs=state, outputs=state)
    got = [cstep(x).item() for _ in range(4)]
    assert got == want and len(set(np.diff(got))) > 1
    np.testing.assert_array_equal(np.array(params["w"]), np.array(ref["w"]))
