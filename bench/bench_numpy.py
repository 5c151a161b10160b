#!/usr/bin/python3
"""bench/bench_numpy.py: cmlx vs NumPy on this machine (a benchmark, not a test).

Runs the compiled bench_core binary (path as the first argument, default build/bench_core), times
the same work in NumPy in the same run, and prints one line per case:

    case, unit, cmlx figure, NumPy figure, ratio (cmlx speed / NumPy speed, > 1 = cmlx faster),
    and the machine's figure for that kind of case (measured copy bandwidth for GB/s cases, an
    estimated fp32 peak for GFLOP/s cases).

Timing in both: best of N after one warm-up; the result is dropped outside the timed region.
Byte and FLOP counts are the same formulas as bench_core.c. Run with /usr/bin/python3 (NumPy).
Usage: bench_numpy.py [path/to/bench_core] [case ...]
"""
import os
import platform
import subprocess
import sys
import time

import numpy as np

N16M = 16 << 20
CHAIN = 10000


def best_of(reps, fn):
    best = float("inf")
    for r in range(-1, reps):
        t0 = time.perf_counter()
        out = fn()
        t = time.perf_counter() - t0
        del out
        if r >= 0:
            best = min(best, t)
    return best


def fill(shape, lo, hi):
    rng = np.random.default_rng(0)
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def chain(x, one):
    for _ in range(CHAIN):
        x = np.add(x, one)
    return x


def numpy_cases(wanted):
    """case -> (unit, value); same cases, reps and byte counts as bench_core.c"""
    res = {}
    gb = N16M * 4 / 1e9
    if wanted & {"add_f32_16M", "exp_f32_16M", "sum_f32_16M"}:
        a, b = fill(N16M, -1, 1), fill(N16M, -1, 1)
        if "add_f32_16M" in wanted:
            res["add_f32_16M"] = ("GB/s", 3 * gb / best_of(7, lambda: np.add(a, b)))
        if "exp_f32_16M" in wanted:
            res["exp_f32_16M"] = ("GB/s", 2 * gb / best_of(7, lambda: np.exp(a)))
        if "sum_f32_16M" in wanted:
            res["sum_f32_16M"] = ("GB/s", gb / best_of(7, lambda: np.sum(a)))
        del a, b
    for n, reps in ((1024, 5), (2048, 3)):
        name = f"matmul_f32_{n}"
        if name in wanted:
            a, b = fill((n, n), -1, 1), fill((n, n), -1, 1)
            t = best_of(reps, lambda: np.matmul(a, b))
            res[name] = ("GFLOP/s", 2.0 * n**3 / t / 1e9)
    if "softmax_f32_4096x4096" in wanted:
        x = fill((4096, 4096), -4, 4)
        res["softmax_f32_4096x4096"] = ("GB/s", 2 * x.nbytes / 1e9 / best_of(5, lambda: softmax(x)))
    if "graph_add_chain_10k" in wanted:
        x, one = fill(1, 0, 1), np.ones(1, np.float32)
        res["graph_add_chain_10k"] = ("us/op", best_of(5, lambda: chain(x, one)) / CHAIN * 1e6)
    return res


def machine():
    """(description, copy bandwidth GB/s, estimated fp32 peak GFLOP/s or None)"""
    model, mhz, flags = platform.processor() or "?", None, set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k = k.strip()
                if k == "model name" and model in ("?", "", platform.machine()):
                    model = v.strip()
                elif k == "cpu MHz" and mhz is None:
                    mhz = float(v)
                elif k == "flags" and not flags:
                    flags = set(v.split())
    except OSError:
        pass
    cores = os.cpu_count() or 1
    # fp32 FLOP per cycle per core: two FMA pipes of 256 bits (AVX2+FMA, and AMD's AVX-512), or two
    # of 512 bits (Intel server AVX-512). An estimate from the flags, not a measurement.
    per = None
    if "avx512f" in flags and "AMD" not in model:
        per = 64
    elif "fma" in flags:
        per = 32
    peak = cores * mhz * 1e-3 * per if (mhz and per) else None
    src = np.ones(N16M, np.float32)
    dst = np.empty_like(src)
    t = best_of(7, lambda: np.copyto(dst, src))
    bw = 2 * src.nbytes / 1e9 / t
    desc = (f"{model}, {cores} cores" + (f" @ {mhz:.0f} MHz" if mhz else "")
            + f", NumPy {np.__version__}, Python {platform.python_version()}")
    return desc, bw, peak


def main():
    args = sys.argv[1:]
    exe = "build/bench_core"
    if args and os.path.isfile(args[0]):
        exe = args.pop(0)
    cases = args
    proc = subprocess.run([exe] + cases, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"bench_numpy: {exe} failed with status {proc.returncode}")
    cm, order, info = {}, [], {}
    for line in proc.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "RESULT" and len(f) >= 4:
            cm[f[1]] = (f[2], float(f[3]))
            order.append(f[1])
        elif f[0] == "INFO" and len(f) >= 3:
            info[f[1]] = f[2]
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    np_res = numpy_cases(set(order))
    desc, bw, peak = machine()
    print(f"machine: {desc}; cmlx threads: {info.get('mx_num_threads', '?')}")
    print(f"machine: copy bandwidth {bw:.1f} GB/s (NumPy copyto, one thread, read + write)"
          + (f"; estimated fp32 peak {peak:.0f} GFLOP/s" if peak else ""))
    print(f"{'case':24s} {'unit':8s} {'cmlx':>9s} {'numpy':>9s} {'ratio':>7s}  machine")
    for name in order:
        unit, v = cm[name]
        nu, nv = np_res.get(name, (unit, float("nan")))
        # ratio = cmlx speed / NumPy speed: for times (us/op) smaller is faster
        ratio = nv / v if unit == "us/op" else v / nv
        if unit == "GB/s":
            mach = f"copy {bw:.1f} GB/s (cmlx at {100 * v / bw:.0f}%)"
        elif unit == "GFLOP/s" and peak:
            mach = f"est. peak {peak:.0f} GFLOP/s (cmlx at {100 * v / peak:.0f}%)"
        else:
            mach = "-"
        print(f"{name:24s} {unit:8s} {v:9.3g} {nv:9.3g} {ratio:7.2f}  {mach}")


if __name__ == "__main__":
    main()
