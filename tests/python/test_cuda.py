"""The CUDA backend as seen from Python: availability, device info, and GPU results against the
CPU backend. Skips where no GPU is present (mx.cuda.is_available() is then False)."""
import numpy as np
import pytest

import mlx.core as mx

gpu = pytest.mark.skipif(not mx.cuda.is_available(), reason="no GPU")


def test_availability_is_consistent():
    assert mx.cuda.is_available() == mx.is_available(mx.gpu)
    if not mx.cuda.is_available():
        with pytest.raises(ValueError):
            mx.device_info(mx.gpu)


@gpu
def test_device_info_has_cuda_fields():
    info = mx.device_info(mx.gpu)
    for k in ("device_name", "architecture", "total_memory", "free_memory", "uuid",
              "pci_bus_id", "compute_capability_major", "compute_capability_minor"):
        assert k in info
    assert info["total_memory"] > 0


@gpu
def test_gpu_matches_cpu_and_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 33)).astype(np.float32)
    b = rng.standard_normal((33, 17)).astype(np.float32)
    for s in (mx.gpu, mx.cpu):
        x, y = mx.array(a), mx.array(b)
        out = mx.softmax(mx.matmul(mx.exp(x * 0.1), y, stream=s), axis=-1, stream=s)
        ref = np.exp(a * 0.1) @ b
        ref = np.exp(ref - ref.max(-1, keepdims=True))
        ref /= ref.sum(-1, keepdims=True)
        np.testing.assert_allclose(np.array(out), ref, rtol=2e-4, atol=2e-5)


@gpu
def test_float64_on_gpu_raises():
    x = mx.array(np.ones(3))
    with pytest.raises(ValueError):
        mx.eval(mx.exp(x, stream=mx.gpu))


@gpu
def test_several_gpu_streams_with_numpy_reference():
    # each stream is a CUDA stream of its own; data flows between them and the CPU
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    s1, s2 = mx.new_stream(mx.gpu), mx.new_stream(mx.gpu)
    x = mx.array(a)
    p = mx.matmul(x, x, stream=s1)
    q = mx.add(p, 1.0, stream=s2)          # reads s1's result on s2
    r = mx.negative(q, stream=mx.cpu)      # and the CPU reads s2's
    t = mx.multiply(r, 2.0, stream=s1)     # and s1 reads the CPU's
    mx.async_eval(t)
    mx.synchronize(s1)
    ref = -2.0 * (a.astype(np.float64) @ a.astype(np.float64) + 1.0)
    np.testing.assert_allclose(np.array(t), ref, rtol=1e-3, atol=1e-2)
    np.testing.assert_array_equal(np.array(q), np.array(p) + np.float32(1))
    with mx.stream(s2):
        u = mx.sum(x)
    assert abs(u.item() - a.astype(np.float64).sum()) < 0.05  # one element is ~1
