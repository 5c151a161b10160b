#!/usr/bin/python3
"""bench/bench_compile.py: mx.compile benchmarks (not tests), two parts:

1. A GELU-style chain of element-wise ops over 16M float32: uncompiled cmlx (one kernel per op),
   compiled cmlx (one fused, JIT-compiled loop) and NumPy, best of 5 after a warm-up (the first
   compiled call traces and builds the kernel; its time is printed separately).
2. An MLP training step (issue 5): 784 -> 512 (relu) -> 10, softmax cross-entropy written with mx
   ops, mx.value_and_grad, plain SGD, on one batch of 1024: (a) uncompiled, (b) the whole step
   under mx.compile returning the new parameters, (c) the step under mx.compile with the
   parameters as state (inputs=/outputs=), (d) NumPy float32 with hand-written backprop. Prints
   ms/step (best of N, variants interleaved, each step evaluated) and the ratios, beside the
   time of the step's five matmuls alone, and checks that the losses of the
   compiled and uncompiled steps (and NumPy's) agree over a few steps from the same start.

Usage: PYTHONPATH=python /usr/bin/python3 bench/bench_compile.py [n_elements] [--mlp-only|--gelu-only]
"""
import sys
import time

import numpy as np

import mlx.core as mx

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 16 << 20


def gelu(x):  # 9 element-wise ops: 0.5 x (1 + tanh(0.79788456 x (1 + 0.044715 x^2)))
    t = mx.tanh((x * (x * x * 0.044715 + 1.0)) * 0.7978845608)
    return x * (t * 0.5 + 0.5)


def gelu_np(x):
    t = np.tanh((x * (x * x * np.float32(0.044715) + np.float32(1.0))) * np.float32(0.7978845608))
    return x * (t * np.float32(0.5) + np.float32(0.5))


def best_of(reps, fn):
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main_gelu():
    xn = np.random.default_rng(0).uniform(-3, 3, N).astype(np.float32)
    x = mx.array(xn)
    mx.eval(x)
    cg = mx.compile(gelu)
    t0 = time.perf_counter()
    mx.eval(cg(x))
    first = time.perf_counter() - t0
    err = float(np.max(np.abs(np.array(cg(x)) - gelu_np(xn))))
    t_plain = best_of(5, lambda: mx.eval(gelu(x)))
    t_comp = best_of(5, lambda: mx.eval(cg(x)))
    t_np = best_of(5, lambda: gelu_np(xn))
    print(f"GELU chain, 9 element-wise ops, {N} float32 (max |compiled - numpy| = {err:.2e})")
    print(f"  first compiled call (trace + JIT build or disk-cache load): {first * 1e3:8.1f} ms")
    for name, t in [("cmlx uncompiled", t_plain), ("cmlx compiled", t_comp), ("numpy", t_np)]:
        print(f"  {name:16s} {t * 1e3:8.1f} ms  {N / t / 1e9:6.2f} Gelem/s")
    print(f"  compiled speed-up: {t_plain / t_comp:.2f}x over uncompiled, {t_np / t_comp:.2f}x over numpy")


# ---- MLP training step -------------------------------------------------------------------------
D_IN, D_HID, D_OUT, BATCH, LR = 784, 512, 10, 1024, 0.1


def mlp_init(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "w1": (rng.standard_normal((D_IN, D_HID)) / np.sqrt(D_IN)).astype(np.float32),
        "b1": np.zeros(D_HID, np.float32),
        "w2": (rng.standard_normal((D_HID, D_OUT)) / np.sqrt(D_HID)).astype(np.float32),
        "b2": np.zeros(D_OUT, np.float32),
    }


def mlp_batch(seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (BATCH, D_IN)).astype(np.float32)
    y = np.eye(D_OUT, dtype=np.float32)[rng.integers(0, D_OUT, BATCH)]  # one-hot labels
    return x, y


def mlp_loss(p, x, y):
    h = mx.maximum(x @ p["w1"] + p["b1"], 0.0)
    logits = h @ p["w2"] + p["b2"]
    # softmax cross-entropy: mean over the batch of logsumexp(logits) - logits[label]
    return mx.mean(mx.logsumexp(logits, axis=1) - mx.sum(logits * y, axis=1))


def mlp_step(p, x, y):
    """One SGD step, functional: returns (loss, new parameters)."""
    loss, g = mx.value_and_grad(mlp_loss)(p, x, y)
    return loss, {k: p[k] - LR * g[k] for k in p}


def mlp_step_np(p, x, y):
    """The same step in NumPy float32 with hand-written backprop (updates p in place)."""
    z1 = x @ p["w1"] + p["b1"]
    h = np.maximum(z1, 0)
    logits = h @ p["w2"] + p["b2"]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - np.sum(logits * y, axis=1))
    dlogits = (e / s - y) * np.float32(1.0 / x.shape[0])
    dw2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dz1 = (dlogits @ p["w2"].T) * (z1 > 0)
    dw1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    lr = np.float32(LR)
    for k, g in (("w1", dw1), ("b1", db1), ("w2", dw2), ("b2", db2)):
        p[k] -= lr * g
    return loss


def main_mlp(reps=20, check_steps=5):
    p0, (xn, yn) = mlp_init(), mlp_batch()
    x, y = mx.array(xn), mx.array(yn)
    to_mx = lambda p: {k: mx.array(v) for k, v in p.items()}

    # each variant: a function doing one step from its own parameters and returning the loss
    # (a) uncompiled and (b) compiled, functional: the parameters are threaded through
    def threaded(fn):
        box = [to_mx(p0)]

        def one():
            loss, box[0] = fn(box[0], x, y)
            mx.eval(loss, box[0])
            return loss.item()
        return one

    # (c) compiled, the parameters as captured state (MLX's idiom for model/optimizer state)
    state = [to_mx(p0)]

    def step_state(xb, yb):
        loss, state[0] = mlp_step(state[0], xb, yb)
        return loss

    step_s = mx.compile(step_state, inputs=state, outputs=state)

    def stateful():
        loss = step_s(x, y)
        mx.eval(loss, state)
        return loss.item()

    # (d) NumPy
    pn = {k: v.copy() for k, v in p0.items()}
    variants = {
        "uncompiled": threaded(mlp_step),
        "compiled": threaded(mx.compile(mlp_step)),
        "compiled (state)": stateful,
        "numpy": lambda: float(mlp_step_np(pn, xn, yn)),
    }
    # the floor: the step's five matrix products alone (forward 2, backward 3), in cmlx
    w1, w2 = mx.array(p0["w1"]), mx.array(p0["w2"])
    h = mx.maximum(x @ w1, 0.0)
    d = mx.array(np.random.default_rng(2).standard_normal((BATCH, D_OUT)).astype(np.float32))
    dz = mx.array(np.random.default_rng(3).standard_normal((BATCH, D_HID)).astype(np.float32))
    mx.eval(w1, w2, h, d, dz)
    mm = lambda: mx.eval(x @ w1, h @ w2, h.T @ d, d @ w2.T, x.T @ dz)

    losses, first = {}, {}
    for name, fn in variants.items():  # the checked steps (the first includes compilation)
        t0 = time.perf_counter()
        losses[name] = [fn()]
        first[name] = time.perf_counter() - t0
        losses[name] += [fn() for _ in range(check_steps - 1)]
    best = {name: float("inf") for name in list(variants) + ["matmuls"]}
    for _ in range(reps):  # interleaved, so that all see the same load on a shared machine
        for name, fn in list(variants.items()) + [("matmuls", mm)]:
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)

    ref = np.array(losses["uncompiled"])
    print(f"MLP training step: {D_IN} -> {D_HID} (relu) -> {D_OUT}, softmax cross-entropy, SGD "
          f"lr={LR}, batch {BATCH}, float32 ({check_steps} steps checked, then best of {reps})")
    print(f"  losses over {check_steps} steps (uncompiled): " + " ".join(f"{v:.6f}" for v in ref))
    t_np, t_u = best["numpy"], best["uncompiled"]
    for name in variants:
        dev = float(np.max(np.abs(np.array(losses[name]) - ref) / np.abs(ref)))
        fc = f", first call {first[name] * 1e3:.1f} ms" if name.startswith("compiled") else ""
        print(f"  {name:17s} {best[name] * 1e3:8.2f} ms/step  numpy/this {t_np / best[name]:5.2f}  "
              f"max rel. loss diff vs uncompiled {dev:.1e}{fc}")
    print(f"  compiled speed-up over uncompiled: {t_u / best['compiled']:.2f}x (functional), "
          f"{t_u / best['compiled (state)']:.2f}x (state)")
    flop = 2 * BATCH * (2 * D_IN * D_HID + 3 * D_HID * D_OUT)
    print(f"  the five matmuls alone (cmlx): {best['matmuls'] * 1e3:.2f} ms = "
          f"{100 * best['matmuls'] / t_u:.0f}% of the uncompiled step ({flop / best['matmuls'] / 1e9:.0f} GFLOP/s)")
    for name in ("compiled", "compiled (state)", "numpy"):
        got = np.array(losses[name])
        tol = 1e-5 if name != "numpy" else 1e-4
        if not np.allclose(got, ref, rtol=tol, atol=0):
            sys.exit(f"bench_compile: MLP losses of '{name}' disagree with uncompiled: {got} vs {ref}")


def main():
    if "--mlp-only" not in sys.argv:
        main_gelu()
    if "--gelu-only" not in sys.argv:
        main_mlp()


if __name__ == "__main__":
    main()
