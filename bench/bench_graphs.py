"""bench/bench_graphs.py: replayed compiled work on the GPU, with and without CUDA graphs,
beside PyTorch (eager, and replaying a torch.cuda.CUDAGraph) in the same run.

The work: a small MLP forward (batch 32, 8 layers of 256 -> 256 with bias and ReLU, then a
softmax), about 26 kernels whose launches dominate (each is a few microseconds of GPU time).
The weights are captured by the compiled function (constants, as an nn.Module's are); the input
changes every call. Timed: microseconds per call with the result evaluated (mx.eval /
torch.cuda.synchronize), best of 5 runs of 200 calls. "cmlx, kernel by kernel" is the same
compiled function in a child process with CMLX_CUDA_GRAPHS=0.

Usage: PYTHONPATH=python python3 bench/bench_graphs.py
"""
import os
import subprocess
import sys
import time

import numpy as np

B, H, L, CALLS = 32, 256, 8, 200
RNG = np.random.default_rng(3)
WS = [(RNG.standard_normal((H, H)) / np.sqrt(H)).astype(np.float32) for _ in range(L)]
BS = [(RNG.standard_normal(H) * 0.1).astype(np.float32) for _ in range(L)]
XS = [RNG.standard_normal((B, H)).astype(np.float32) for _ in range(4)]


def best_us(fn, sync):
    fn()
    sync()
    best = 1e30
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(CALLS):
            fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best / CALLS * 1e6


def reference(x):
    h = x.astype(np.float64)
    for w, b in zip(WS, BS):
        h = np.maximum(h @ w + b, 0)
    e = np.exp(h - h.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ours():
    import mlx.core as mx

    ws = [mx.array(w) for w in WS]
    bs = [mx.array(b) for b in BS]

    def mlp(x):
        for w, b in zip(ws, bs):
            x = mx.maximum(x @ w + b, 0)
        return mx.softmax(x, axis=-1)

    f = mx.compile(mlp)
    xs = [mx.array(x) for x in XS]
    mx.eval(xs, ws, bs)
    err = max(float(np.max(np.abs(np.array(f(x)) - reference(xn)))) for x, xn in zip(xs, XS))
    k = [0]

    def step():
        k[0] += 1
        mx.eval(f(xs[k[0] % 4]))

    return best_us(step, lambda: None), err


def torch_figures():
    import torch

    d = "cuda"
    ws = [torch.tensor(w, device=d) for w in WS]
    bs = [torch.tensor(b, device=d) for b in BS]
    xs = [torch.tensor(x, device=d) for x in XS]
    torch.backends.cuda.matmul.allow_tf32 = False

    def mlp(x):
        for w, b in zip(ws, bs):
            x = torch.relu(x @ w + b)
        return torch.softmax(x, -1)

    k = [0]

    def eager():
        k[0] += 1
        mlp(xs[k[0] % 4])
        torch.cuda.synchronize()

    t_eager = best_us(eager, torch.cuda.synchronize)
    static_x = xs[0].clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            mlp(static_x)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        static_y = mlp(static_x)

    def replay():
        k[0] += 1
        static_x.copy_(xs[k[0] % 4])
        g.replay()
        torch.cuda.synchronize()

    t_graph = best_us(replay, torch.cuda.synchronize)
    err = float((static_y.cpu().double() - torch.tensor(reference(XS[k[0] % 4]))).abs().max())
    return t_eager, t_graph, err


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--ours":
        t, err = ours()
        print(f"{t:.2f} {err:.2e}")
        return
    env = dict(os.environ)
    res = {}
    for name, graphs in (("graphs", "1"), ("no_graphs", "0")):
        env["CMLX_CUDA_GRAPHS"] = graphs
        out = subprocess.run([sys.executable, __file__, "--ours"], env=env, capture_output=True,
                             text=True, check=False)
        if out.returncode != 0:
            print(out.stdout, out.stderr)
            return
        t, err = out.stdout.split()
        res[name] = (float(t), float(err))
    t_eager, t_graph, terr = torch_figures()
    print(f"MLP forward, batch {B}, {L} x ({H}x{H} matmul + bias + relu), softmax; "
          f"us per evaluated call (best of 5 x {CALLS})")
    print(f"  max |error| vs NumPy float64: cmlx {res['graphs'][1]:.1e} "
          f"(kernel by kernel {res['no_graphs'][1]:.1e}), PyTorch {terr:.1e}")
    g, ng = res["graphs"][0], res["no_graphs"][0]
    print(f"  {'cmlx compile + CUDA graph':34s} {g:8.2f} us")
    print(f"  {'cmlx compile, kernel by kernel':34s} {ng:8.2f} us   graphs: {ng / g:.2f}x faster")
    print(f"  {'PyTorch eager':34s} {t_eager:8.2f} us   cmlx/PyTorch ratio {t_eager / g:.2f}")
    print(f"  {'PyTorch CUDAGraph replay':34s} {t_graph:8.2f} us   cmlx/PyTorch ratio {t_graph / g:.2f}")
    print("  (ratio = PyTorch time / cmlx time; > 1: cmlx is faster)")


if __name__ == "__main__":
    main()
