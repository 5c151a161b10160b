"""Devices, streams, eval/async_eval over trees, memory functions, constants."""
import math
import threading

import pytest

import mlx.core as mx


def test_devices():
    d = mx.default_device()
    # the GPU is the default wherever it is available (MLX's rule), unless a run picked the CPU
    assert d == (mx.gpu if mx.is_available(mx.gpu) and d.type == mx.gpu else mx.cpu)
    assert mx.cpu == mx.DeviceType.cpu and repr(mx.cpu) == "DeviceType.cpu"
    c = mx.Device(mx.cpu)
    assert repr(c) == "Device(cpu, 0)" and c.type == mx.cpu
    assert mx.Device(mx.cpu) == mx.Device(mx.cpu, 0)
    assert mx.is_available(mx.cpu) and mx.is_available(mx.Device(mx.cpu))
    assert mx.device_count(mx.cpu) == 1
    info = mx.device_info()
    assert isinstance(info, dict) and "device_name" in info
    if not mx.is_available(mx.gpu):
        with pytest.raises(ValueError):
            mx.set_default_device(mx.gpu)
        with pytest.raises(ValueError):
            mx.add(1, 2, stream=mx.gpu)
    mx.set_default_device(mx.cpu)
    assert mx.default_device() == mx.cpu
    mx.set_default_device(d)  # leave the default as this run had it


def test_streams():
    s = mx.default_stream(mx.cpu)
    assert s.device == mx.cpu and "Stream(Device(cpu, 0)" in repr(s)
    n = mx.new_stream(mx.cpu)
    assert n != s and n == n
    r = mx.add(mx.array([1]), 2, stream=n)
    assert r.item() == 3
    assert mx.multiply(2, 3, stream=mx.cpu).item() == 6
    assert mx.multiply(2, 3, stream=mx.Device(mx.cpu)).item() == 6
    with mx.stream(n):
        assert mx.default_stream(mx.cpu) == n
        x = mx.arange(3) + 1
    assert mx.default_stream(mx.cpu) == s
    assert x.tolist() == [1, 2, 3]
    mx.set_default_stream(n)
    mx.set_default_stream(s)
    mx.synchronize()
    mx.synchronize(n)
    with pytest.raises(TypeError):
        mx.add(1, 2, stream="cpu")


def test_thread_local_stream():
    t = mx.new_thread_local_stream(mx.cpu)
    assert isinstance(t, mx.ThreadLocalStream)
    assert t.device == mx.cpu and repr(t) == "ThreadLocalStream(Device(cpu, 0))"
    assert t == mx.ThreadLocalStream(mx.cpu) and t == mx.new_thread_local_stream(mx.Device(mx.cpu))
    # resolved at use: the calling thread's default stream of the device
    assert t.stream == mx.default_stream(mx.cpu)
    assert mx.add(mx.array([1, 2]), 1, stream=t).tolist() == [2, 3]
    n = mx.new_stream(mx.cpu)
    seen = {}

    def work():
        mx.set_default_stream(n)  # only this thread's default changes
        seen["stream"] = t.stream
        seen["value"] = mx.multiply(mx.arange(3), 2, stream=t).tolist()

    th = threading.Thread(target=work)
    th.start()
    th.join()
    assert seen["stream"] == n and seen["value"] == [0, 2, 4]
    assert t.stream == mx.default_stream(mx.cpu) != n
    with mx.stream(t):
        assert (mx.arange(2) + 1).tolist() == [1, 2]
    if not mx.is_available(mx.gpu):
        with pytest.raises(ValueError):
            mx.new_thread_local_stream(mx.gpu)
    with pytest.raises(TypeError):
        mx.new_thread_local_stream("cpu")


def test_clear_streams():
    s = mx.default_stream(mx.cpu)
    n = mx.new_stream(mx.cpu)
    mx.set_default_stream(n)
    x = mx.arange(4) * 2
    mx.async_eval(x)
    mx.clear_streams()
    assert mx.default_stream(mx.cpu) == s
    assert x.tolist() == [0, 2, 4, 6]
    mx.clear_streams()  # idempotent
    assert mx.default_stream(mx.cpu) == s


def test_eval_trees():
    a, b, c = mx.arange(3) * 2, mx.ones((2,)) + 1, mx.zeros((1,)) - 1
    mx.eval(a, [b, {"k": c, "s": "ignored"}], None, 3)
    assert a.tolist() == [0, 2, 4] and b.tolist() == [2, 2] and c.tolist() == [-1]
    d = mx.arange(4) ** 2
    mx.async_eval((d,))
    assert d.tolist() == [0, 1, 4, 9]
    mx.eval()


def test_eval_in_threads():
    out = [None] * 4

    def work(i):
        out[i] = (mx.arange(1000) * i).sum().item() if hasattr(mx, "sum") else (mx.arange(10) * i).tolist()

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(o is not None for o in out)


def test_memory():
    for f in ["get_active_memory", "get_peak_memory", "get_cache_memory"]:
        assert isinstance(getattr(mx, f)(), int)
    x = mx.ones((1024, 1024))
    mx.eval(x)
    assert mx.get_active_memory() >= 4 * 1024 * 1024
    assert mx.get_peak_memory() >= mx.get_active_memory()
    mx.reset_peak_memory()
    old = mx.set_cache_limit(0)
    assert mx.set_cache_limit(old) == 0
    old = mx.set_memory_limit(1 << 40)
    mx.set_memory_limit(old)
    mx.set_wired_limit(0)
    mx.clear_cache()
    assert mx.get_cache_memory() == 0
    with pytest.raises(ValueError):
        mx.set_cache_limit(-1)


def test_constants():
    assert mx.pi == math.pi and mx.e == math.e and math.isinf(mx.inf) and math.isnan(mx.nan)
    assert mx.newaxis is None and abs(mx.euler_gamma - 0.5772156649) < 1e-9
    assert isinstance(mx.__version__, str)
    import cmlx.core

    assert cmlx.core is mx
    from mlx.core import array

    assert array is mx.array
