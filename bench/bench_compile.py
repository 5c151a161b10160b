#!/usr/bin/python3
"""bench/bench_compile.py: mx.compile on a GELU-style chain of element-wise ops over 16M float32
(a benchmark, not a test): uncompiled cmlx (one kernel per op), compiled cmlx (one fused,
JIT-compiled loop) and NumPy, best of 5 after a warm-up (the first compiled call traces and
builds the kernel; its time is printed separately).

Usage: PYTHONPATH=python /usr/bin/python3 bench/bench_compile.py [n_elements]
"""
import sys
import time

import numpy as np

import mlx.core as mx

N = int(sys.argv[1]) if len(sys.argv) > 1 else 16 << 20


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


def main():
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


if __name__ == "__main__":
    main()
