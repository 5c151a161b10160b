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
