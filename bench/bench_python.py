#!/usr/bin/python3
"""bench/bench_python.py: per-call overhead of cmlx from Python, beside NumPy (a benchmark, not a
test; issue 3's target: <= 2x NumPy's per-call time for tiny arrays, parity for large ones).

Cases, each timed in the same run for both libraries:
  add_f32_{1,16,256}   `mx.eval(a + b)` (graph build + evaluation + release of the previous result)
                       against NumPy's `an + bn`, in microseconds per call;
  add_f32_{1M,16M}     the same through Python on large arrays (both results checked equal).
Then a breakdown of the tiny-array call (16 elements) into its parts, each timed on its own:
  the binding floor (`mx.eval(a)` on an evaluated array), graph build only (`a + b`, result
  dropped unevaluated), evaluation only (pre-built graphs evaluated one by one), the release of an
  evaluated result, and array creation from NumPy / from a Python list; NumPy's own parts beside.

Timing: timeit-style loops (a statement run `number` times per sample, number picked so that a
sample lasts ~20 ms, or fixed for the large cases), best of `repeat` samples.
Usage: PYTHONPATH=python /usr/bin/python3 bench/bench_python.py [--quick]
"""
import os
import platform
import sys
import time
import timeit

import numpy as np

import mlx.core as mx

QUICK = "--quick" in sys.argv
REPEAT = 3 if QUICK else 7


def per_call(stmt, env, repeat=REPEAT, number=None, target=0.02):
    """Best seconds per execution of stmt (timeit loops, best of `repeat`)."""
    t = timeit.Timer(stmt, globals=env)
    if number is None:  # autorange to ~target seconds per sample
        number = 1
        while True:
            dt = t.timeit(number)
            if dt >= target:
                break
            number *= 2 if dt * 10 >= target else 10
    else:
        t.timeit(1)  # warm-up
    return min(t.repeat(repeat=repeat, number=number)) / number


def per_call_prebuilt(n, make, run, repeat=REPEAT * 8):
    """Best seconds per run(x) where x = make() is built outside the clock (n per sample; small
    samples, many of them, so that the objects stay in cache as they do in a tight loop)."""
    best = float("inf")
    for _ in range(repeat + 1):
        xs = [make() for _ in range(n)]
        t0 = time.perf_counter()
        for x in xs:
            run(x)
        dt = (time.perf_counter() - t0) / n
        del xs
        best = min(best, dt)
    return best


def data(n, seed):
    return np.random.default_rng(seed).uniform(-1, 1, n).astype(np.float32)


def main_cases():
    rows = []
    for n, label in [(1, "1"), (16, "16"), (256, "256"), (1 << 20, "1M"), (16 << 20, "16M")]:
        an, bn = data(n, 1), data(n, 2)
        a, b = mx.array(an), mx.array(bn)
        mx.eval(a, b)
        got, want = np.array(a + b), an + bn
        if not np.array_equal(got, want):
            sys.exit(f"bench_python: add_f32_{label}: cmlx and NumPy disagree")
        env = {"mx": mx, "a": a, "b": b, "an": an, "bn": bn}
        big = n >= 1 << 20
        number = (20 if n == 1 << 20 else 3) if big else None
        t_mx = per_call("mx.eval(a + b)", env, number=number)
        t_np = per_call("an + bn", env, number=number)
        rows.append((f"add_f32_{label}", t_mx, t_np, n))
        del a, b, an, bn, env
    return rows


def breakdown():
    """Parts of the 16-element call, each alone: (name, cmlx us, numpy us or None, note)."""
    an, bn = data(16, 1), data(16, 2)
    lst = an.tolist()
    a, b = mx.array(an), mx.array(bn)
    mx.eval(a, b)
    env = {"mx": mx, "np": np, "a": a, "b": b, "an": an, "bn": bn, "lst": lst}
    us = lambda s: per_call(s, env) * 1e6
    out = []
    t_full = us("mx.eval(a + b)")
    out.append(("full call: mx.eval(a + b)", t_full, us("an + bn"), "the case above"))
    out.append(("binding floor: mx.eval(a), a evaluated", us("mx.eval(a)"), None,
                "arg parsing, GIL release/reacquire, an eval with nothing to do"))
    out.append(("build only: a + b, dropped unevaluated", us("a + b"), None,
                "Python number slot, mx_add (checks, broadcast, node), wrap, release"))
    n = 256
    t_eval = per_call_prebuilt(n, lambda: a + b, mx.eval) * 1e6
    out.append(("eval only: mx.eval(c), c pre-built", t_eval, None,
                "tape, buffer alloc, kernel, detach (release not included)"))

    def make_done():
        c = a + b
        mx.eval(c)
        return c

    best = float("inf")
    for _ in range(REPEAT * 8 + 1):
        xs = [make_done() for _ in range(n)]
        t0 = time.perf_counter()
        del xs
        best = min(best, (time.perf_counter() - t0) / n)
    out.append(("release of an evaluated result", best * 1e6, None, "array + buffer free"))
    out.append(("a.shape (attribute floor)", us("a.shape"), us("an.shape"),
                "a C getter through Python, for scale"))
    out.append(("mx.array(numpy 16 f32)", us("mx.array(an)"), us("np.array(an)"), "copy in"))
    out.append(("mx.array(list of 16 floats)", us("mx.array(lst)"), us("np.array(lst, np.float32)"),
                "from a Python list"))
    out.append(("mx.eval(mx.array(an) + mx.array(bn))", us("mx.eval(mx.array(an) + mx.array(bn))"),
                us("np.array(an) + np.array(bn)"), "inputs converted per call"))
    return out


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} cores, NumPy {np.__version__}, "
            f"Python {platform.python_version()}, MX_NUM_THREADS={os.environ.get('MX_NUM_THREADS', 'all')}")


def main():
    print(f"machine: {machine()}")
    rows = main_cases()
    print(f"{'case':16s} {'cmlx':>11s} {'numpy':>11s} {'ratio':>7s}  target")
    for name, t_mx, t_np, n in rows:
        ratio = t_mx / t_np  # > 1: cmlx slower
        if n < 1 << 20:
            tgt = f"<= 2x: {'met' if ratio <= 2 else 'NOT met'}"
            print(f"{name:16s} {t_mx * 1e6:8.3f} us {t_np * 1e6:8.3f} us {ratio:7.2f}  {tgt}")
        else:
            gbs = 3 * 4 * n / 1e9
            tgt = f"parity: {'met' if ratio <= 1.1 else 'NOT met'}"
            print(f"{name:16s} {t_mx * 1e3:8.3f} ms {t_np * 1e3:8.3f} ms {ratio:7.2f}  {tgt}"
                  f"  ({gbs / t_mx:.1f} vs {gbs / t_np:.1f} GB/s)")
    print("ratio = cmlx time / NumPy time (< 1: cmlx faster)")
    print()
    print("breakdown of the 16-element call (each part timed alone, us per call):")
    print(f"  {'part':42s} {'cmlx':>8s} {'numpy':>8s}  note")
    for name, t, tn, note in breakdown():
        tns = f"{tn:8.3f}" if tn is not None else f"{'-':>8s}"
        print(f"  {name:42s} {t:8.3f} {tns}  {note}")


if __name__ == "__main__":
    main()
