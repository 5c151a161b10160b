"""bench/bench_gpu.py: cmlx on the GPU beside PyTorch, in the same run.

Usage: python3 bench/bench_gpu.py [path/to/bench_gpu]
Runs the C benchmark (cmlx figures), times the same work with PyTorch on the same GPU, and prints
name, cmlx, PyTorch, ratio (cmlx / PyTorch; > 1 is faster for throughput, < 1 for us/op).
"""
import subprocess
import sys
import time

import torch


def best(fn, reps=10):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    b = 1e30
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        b = min(b, time.perf_counter() - t0)
    return b


def torch_figures():
    d = "cuda"
    out = {}
    n = 256 << 20
    a = torch.randn(n, device=d)
    b = torch.randn(n, device=d)
    out["add_fp32_256M"] = 3 * 4 * n / best(lambda: a + b) / 1e9
    out["sum_fp32_256M"] = 4 * n / best(lambda: a.sum()) / 1e9
    del a, b
    m1 = torch.randn(4096, 4096, device=d)
    m2 = torch.randn(4096, 4096, device=d)
    torch.backends.cuda.matmul.allow_tf32 = False
    out["matmul_fp32_4096"] = 2 * 4096**3 / best(lambda: m1 @ m2) / 1e12
    h1 = torch.randn(8192, 8192, device=d, dtype=torch.bfloat16)
    h2 = torch.randn(8192, 8192, device=d, dtype=torch.bfloat16)
    out["matmul_bf16_8192"] = 2 * 8192**3 / best(lambda: h1 @ h2) / 1e12
    s = torch.randn(8192, 8192, device=d)
    out["softmax_fp32_8192x8192"] = 2 * 4 * 8192 * 8192 / best(lambda: torch.softmax(s, -1)) / 1e9
    w = torch.randn(8192, device=d)
    bias = torch.randn(8192, device=d)
    ln = torch.nn.functional.layer_norm
    out["layer_norm_fp32_8192x8192"] = (
        2 * 4 * 8192 * 8192 / best(lambda: ln(s, (8192,), w, bias, 1e-5)) / 1e9)
    x = torch.randn(n, device=d)
    out["d2h_fp32_256M"] = 4 * n / best(lambda: x.cpu(), 4) / 1e9
    hx = x.cpu()
    out["h2d_fp32_256M"] = 4 * n / best(lambda: hx.to(d) + 0, 4) / 1e9
    del x, hx
    one = torch.ones((), device=d)

    def chain():
        x = one
        for _ in range(1000):
            x = x + one
        return x

    out["dispatch_chain_1000"] = best(chain, 5) / 1000 * 1e6
    return out


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else "build/bench_gpu"
    ours = {}
    res = subprocess.run([exe], capture_output=True, text=True, check=False)
    print(res.stdout, end="")
    if res.returncode != 0:
        print(res.stderr)
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            ours[parts[0]] = (float(parts[1]), " ".join(parts[2:]))
    theirs = torch_figures()
    print(f"\n{'case':28s} {'cmlx':>10s} {'PyTorch':>10s} {'ratio':>7s}  unit   ({torch.cuda.get_device_name()})")
    for k, v in theirs.items():
        if k not in ours:
            print(f"{k:28s} {'-':>10s} {v:10.2f}")
            continue
        o, unit = ours[k]
        ratio = (v / o) if "us/op" in unit else (o / v)
        print(f"{k:28s} {o:10.2f} {v:10.2f} {ratio:7.2f}  {unit}")


if __name__ == "__main__":
    main()
