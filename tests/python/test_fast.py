"""mx.fast custom CUDA kernels (cuda_kernel, precompiled_cuda_kernel, metal_kernel).

Everywhere: the submodule imports, argument checks raise MLX's exception types, CPU streams are
refused. With a GPU (skipped otherwise): kernels against NumPy: exp with a template type, a
transposed input read through <name>_shape/_strides/_ndim, init_value with atomicAdd, two outputs,
Python scalars as inputs, float16/bfloat16, int and bool template arguments, verbose printing,
compile errors carrying NVRTC's log, a precompiled PTX kernel with scalars, and mx.compile."""
import ctypes
import ctypes.util

import numpy as np
import pytest

import mlx.core as mx

gpu = pytest.mark.skipif(not mx.cuda.is_available(), reason="no GPU")

EXP = """
    auto elem = cooperative_groups::this_grid().thread_rank();
    if (elem < N) {
        T tmp = inp[elem];
        out[elem] = exp(tmp);
    }
"""


def exp_kernel():
    return mx.fast.cuda_kernel(name="myexp", input_names=["inp"], output_names=["out"],
                               source=EXP)


def call_exp(k, a, **kw):
    args = dict(inputs=[a], output_shapes=[a.shape], output_dtypes=[a.dtype],
                grid=(a.size, 1, 1), threadgroup=(256, 1, 1),
                template=[("T", mx.float32), ("N", a.size)])
    args.update(kw)
    return k(**args)


# ---- everywhere ----
def test_submodule_imports():
    import mlx.core.fast as fast

    assert fast is mx.fast
    for name in ("cuda_kernel", "precompiled_cuda_kernel", "metal_kernel"):
        assert callable(getattr(mx.fast, name))
    assert "myexp" in repr(exp_kernel())


def test_kernel_creation_errors():
    with pytest.raises(ValueError, match=r"\[cuda_kernel\].*at least one output"):
        mx.fast.cuda_kernel("k", ["a"], [], "")
    with pytest.raises(ValueError, match=r"\[cuda_kernel\]"):
        mx.fast.cuda_kernel("my-kernel", ["a"], ["b"], "")
    with pytest.raises(ValueError, match=r"\[cuda_kernel\].*twice"):
        mx.fast.cuda_kernel("k", ["a"], ["a"], "")
    with pytest.raises(TypeError):
        mx.fast.cuda_kernel("k", "a", ["b"], "")
    with pytest.raises(TypeError):
        mx.fast.cuda_kernel("k", ["a"], ["b"], 3)


def test_cpu_stream_is_refused():
    k = exp_kernel()
    a = mx.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\[cuda_kernel\] custom CUDA kernels run only on the GPU"):
        call_exp(k, a, stream=mx.cpu)
    with pytest.raises(ValueError, match=r"\[precompiled_cuda_kernel\].*only on the GPU"):
        mx.fast.precompiled_cuda_kernel(
            name="k", compiled_source=b"// ptx", inputs=[a], output_shapes=[a.shape],
            output_dtypes=[a.dtype], scalars=[1, 2.0, True], grid=(3, 1, 1),
            threadgroup=(3, 1, 1), stream=mx.cpu)
    if not mx.cuda.is_available():  # the default device is then the CPU
        with pytest.raises(ValueError, match="only on the GPU"):
            call_exp(k, a)


def test_call_argument_errors():
    k = exp_kernel()
    a = mx.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"expected `inputs` to have size 1 but got size 2"):
        call_exp(k, a, inputs=[a, a])
    with pytest.raises(ValueError, match="output_shapes"):
        call_exp(k, a, output_shapes=[a.shape, a.shape])
    with pytest.raises(ValueError, match="output_dtypes"):
        call_exp(k, a, output_dtypes=[])
    with pytest.raises(TypeError):
        call_exp(k, a, grid=(3, 1))
    with pytest.raises(ValueError):
        call_exp(k, a, threadgroup=(0, 1, 1))
    with pytest.raises(ValueError):
        call_exp(k, a, grid=(-1, 1, 1))
    with pytest.raises(ValueError, match="Invalid template argument"):
        call_exp(k, a, template=[("T", 1.5)])
    with pytest.raises(TypeError):
        call_exp(k, a, template=[("T",)])
    with pytest.raises(ValueError, match="float64"):
        call_exp(k, a, output_dtypes=[mx.float64], stream=mx.gpu if mx.cuda.is_available() else mx.cpu)
    with pytest.raises(TypeError):  # keyword-only
        k([a], [a.shape], [a.dtype], (3, 1, 1), (3, 1, 1))


def test_precompiled_argument_errors():
    a = mx.array([1.0, 2.0])
    base = dict(name="k", compiled_source=b"// ptx", inputs=[a], output_shapes=[a.shape],
                output_dtypes=[a.dtype], scalars=[], grid=(2, 1, 1), threadgroup=(2, 1, 1))
    with pytest.raises(ValueError, match="Invalid scalar argument type"):
        mx.fast.precompiled_cuda_kernel(**dict(base, scalars=["x"]))
    with pytest.raises(TypeError):
        mx.fast.precompiled_cuda_kernel(**dict(base, compiled_source=3))
    with pytest.raises(TypeError):  # keyword-only
        mx.fast.precompiled_cuda_kernel("k", b"", [a], [a.shape], [a.dtype], [], (1, 1, 1),
                                        (1, 1, 1))


def test_metal_kernel_is_unavailable():
    with pytest.raises(RuntimeError, match="no Metal backend"):
        mx.fast.metal_kernel(name="k", input_names=["a"], output_names=["b"], source="")


# ---- the GPU ----
@gpu
def test_exp_with_template_type():
    k = exp_kernel()
    x = np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32)
    out = call_exp(k, mx.array(x), stream=mx.gpu)
    assert len(out) == 1 and out[0].shape == (16, 16) and out[0].dtype == mx.float32
    np.testing.assert_allclose(np.array(out[0]), np.exp(x.astype(np.float64)), rtol=1e-6)
    # the same kernel on float16 data (T = float32 inside)
    h = mx.array(x).astype(mx.float16)
    out = call_exp(k, h, stream=mx.gpu)[0]
    assert out.dtype == mx.float16
    ref = np.exp(np.array(h.astype(mx.float32)).astype(np.float64))
    np.testing.assert_allclose(np.array(out.astype(mx.float32)), ref, rtol=2e-3)


@gpu
def test_shape_and_strides_of_a_transposed_input():
    src = """
        auto elem = cg::this_grid().thread_rank();
        if (elem < n[0]) {
            auto loc = elem_to_loc(int64_t(elem), inp_shape.data(), inp_strides.data(), inp_ndim);
            out[elem] = inp[loc] + 100.0f * inp_ndim;
        }
    """
    k = mx.fast.cuda_kernel("strided", ["inp", "n"], ["out"], src, ensure_row_contiguous=False)
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    xt = mx.array(x).T  # (6, 4), strides (1, 6): not row-contiguous
    out = k(inputs=[xt, 24], output_shapes=[(6, 4)], output_dtypes=[mx.float32],
            grid=(24, 1, 1), threadgroup=(32, 1, 1), stream=mx.gpu)[0]
    np.testing.assert_array_equal(np.array(out), x.T + 200.0)
    # ensure_row_contiguous=True (the default) copies: the strides seen are row-major
    src2 = """
        auto elem = cg::this_grid().thread_rank();
        if (elem < 2) out[elem] = inp_strides[elem];
    """
    k2 = mx.fast.cuda_kernel("strides_seen", ["inp"], ["out"], src2)
    s = k2(inputs=[xt], output_shapes=[(2,)], output_dtypes=[mx.int64], grid=(2, 1, 1),
           threadgroup=(2, 1, 1), stream=mx.gpu)[0]
    assert s.tolist() == [4, 1]
    k3 = mx.fast.cuda_kernel("strides_seen", ["inp"], ["out"], src2, ensure_row_contiguous=False)
    s = k3(inputs=[xt], output_shapes=[(2,)], output_dtypes=[mx.int64], grid=(2, 1, 1),
           threadgroup=(2, 1, 1), stream=mx.gpu)[0]
    assert s.tolist() == [1, 6]


@gpu
def test_init_value_and_atomic_add():
    src = """
        auto i = threadIdx.x + blockIdx.x * blockDim.x;
        if (i < n[0]) atomicAdd(&out[i % 3], inp[i]);
    """
    k = mx.fast.cuda_kernel("accum", ["inp", "n"], ["out"], src)
    x = np.random.default_rng(1).uniform(-1, 1, 1000).astype(np.float32)
    out = k(inputs=[mx.array(x), 1000], output_shapes=[(3,)], output_dtypes=[mx.float32],
            grid=(1000, 1, 1), threadgroup=(128, 1, 1), init_value=2.5, stream=mx.gpu)[0]
    ref = [2.5 + x[r::3].astype(np.float64).sum() for r in range(3)]
    np.testing.assert_allclose(np.array(out), ref, rtol=1e-4, atol=1e-4)
    # init_value alone fills every output, converted to its dtype
    k0 = mx.fast.cuda_kernel("noop", ["inp"], ["a", "b"], "")
    a, b = k0(inputs=[mx.array([1])], output_shapes=[(2, 3), (4,)],
              output_dtypes=[mx.int32, mx.float16], grid=(1, 1, 1), threadgroup=(1, 1, 1),
              init_value=-7.0, stream=mx.gpu)
    assert a.tolist() == [[-7] * 3] * 2 and b.tolist() == [-7.0] * 4


@gpu
def test_two_outputs_and_scalar_inputs():
    src = """
        auto i = threadIdx.x + blockIdx.x * blockDim.x;
        if (i < size[0]) {
            sq[i] = inp[i] * inp[i] * scale[0];
            flag[i] = inp[i] > 0 && on[0];
        }
    """
    k = mx.fast.cuda_kernel("two", ["inp", "size", "scale", "on"], ["sq", "flag"], src)
    x = np.linspace(-2, 2, 50).astype(np.float32)
    sq, flag = k(inputs=[mx.array(x), 50, 0.5, True], output_shapes=[x.shape, x.shape],
                 output_dtypes=[mx.float32, mx.bool_], grid=(50, 1, 1), threadgroup=(16, 1, 1),
                 stream=mx.gpu)
    np.testing.assert_allclose(np.array(sq), x * x * 0.5, rtol=1e-6)
    np.testing.assert_array_equal(np.array(flag), x > 0)


@gpu
def test_half_types_and_int_bool_templates():
    src = """
        auto i = threadIdx.x + blockIdx.x * blockDim.x;
        if (i < N) {
            float v = static_cast<float>(inp[i]) * M;
            out[i] = static_cast<OutT>(NEG ? -v : v);
        }
    """
    k = mx.fast.cuda_kernel("scale", ["inp"], ["out"], src)
    x = np.linspace(-3, 3, 40).astype(np.float32)
    for in_t, out_t in [(mx.float16, mx.bfloat16), (mx.bfloat16, mx.float16),
                        (mx.float32, mx.float16)]:
        for neg in (False, True):
            a = mx.array(x).astype(in_t)
            out = k(inputs=[a], output_shapes=[a.shape], output_dtypes=[out_t], grid=(40, 1, 1),
                    threadgroup=(32, 1, 1),
                    template=[("N", 40), ("M", 3), ("NEG", neg), ("OutT", out_t)],
                    stream=mx.gpu)[0]
            assert out.dtype == out_t
            ref = np.array(a.astype(mx.float32)) * 3 * (-1 if neg else 1)
            np.testing.assert_allclose(np.array(out.astype(mx.float32)), ref, rtol=1e-2)


@gpu
def test_dynamic_shared_memory_block_sums():
    src = """
        extern __shared__ float buf[];
        int t = threadIdx.x;
        int i = blockIdx.x * blockDim.x + t;
        buf[t] = i < n[0] ? inp[i] : 0.0f;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (t < s) buf[t] += buf[t + s];
            __syncthreads();
        }
        if (t == 0) out[blockIdx.x] = buf[0];
    """
    k = mx.fast.cuda_kernel("block_sum", ["inp", "n"], ["out"], src, shared_memory=128 * 4)
    x = np.random.default_rng(2).uniform(-1, 1, 1000).astype(np.float32)
    out = k(inputs=[mx.array(x), 1000], output_shapes=[(8,)], output_dtypes=[mx.float32],
            grid=(1024, 1, 1), threadgroup=(128, 1, 1), stream=mx.gpu)[0]
    ref = [x[b * 128:(b + 1) * 128].astype(np.float64).sum() for b in range(8)]
    np.testing.assert_allclose(np.array(out), ref, rtol=1e-5, atol=1e-5)


@gpu
def test_verbose_prints_the_source(capsys):
    k = exp_kernel()
    a = mx.array([0.0, 1.0])
    mx.eval(call_exp(k, a, verbose=True, stream=mx.gpu))
    printed = capsys.readouterr().out
    assert "custom_kernel_myexp_float32_2" in printed
    assert "const float* inp" in printed and "using T = float;" in printed


@gpu
def test_compile_error_shows_the_log():
    k = mx.fast.cuda_kernel("broken", ["inp"], ["out"], "out[0] = not_declared_anywhere;")
    out = k(inputs=[mx.array([1.0])], output_shapes=[(1,)], output_dtypes=[mx.float32],
            grid=(1, 1, 1), threadgroup=(1, 1, 1), stream=mx.gpu)
    with pytest.raises(RuntimeError, match="not_declared_anywhere"):
        mx.eval(out)


@gpu
def test_inside_compile():
    k = exp_kernel()

    def f(a):
        return call_exp(k, a * 2, stream=mx.gpu)[0] + 1

    x = mx.array(np.linspace(-1, 1, 32).astype(np.float32))
    cf = mx.compile(f)
    ref = np.exp(2 * np.linspace(-1, 1, 32)) + 1
    for _ in range(2):
        np.testing.assert_allclose(np.array(cf(x)), ref, rtol=1e-5)


def nvrtc_ptx(src):
    """PTX for compute_90 from NVRTC through ctypes, or None where NVRTC is missing."""
    lib = None
    for name in ("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
                 ctypes.util.find_library("nvrtc")):
        try:
            lib = ctypes.CDLL(name) if name else None
        except OSError:
            lib = None
        if lib:
            break
    if lib is None:
        return None
    prog = ctypes.c_void_p()
    assert lib.nvrtcCreateProgram(ctypes.byref(prog), src.encode(), b"k.cu", 0, None, None) == 0
    opts = (ctypes.c_char_p * 1)(b"--gpu-architecture=compute_90")
    assert lib.nvrtcCompileProgram(prog, 1, opts) == 0
    n = ctypes.c_size_t()
    lib.nvrtcGetPTXSize(prog, ctypes.byref(n))
    buf = ctypes.create_string_buffer(n.value)
    lib.nvrtcGetPTX(prog, buf)
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return buf.raw


@gpu
def test_precompiled_kernel_with_scalars():
    ptx = nvrtc_ptx("""
        extern "C" __global__ void axpb(const float* x, float* y, float a, int b, bool neg) {
            int i = threadIdx.x;
            float r = a * x[i] + b;
            y[i] = neg ? -r : r;
        }""")
    if ptx is None:
        pytest.skip("NVRTC not found")
    x = np.linspace(-1, 1, 8).astype(np.float32)
    out = mx.fast.precompiled_cuda_kernel(
        name="axpb", compiled_source=ptx, inputs=[mx.array(x)], output_shapes=[x.shape],
        output_dtypes=[mx.float32], scalars=[1.5, -2, True], grid=(8, 1, 1),
        threadgroup=(8, 1, 1), stream=mx.gpu)
    np.testing.assert_allclose(np.array(out[0]), -(1.5 * x - 2), rtol=1e-6)
