// bench/reduce_micro.cu: kernel-only timings (CUDA events) of full float32 sums over 256M elements:
// cmlx's mx_cu_reduce_rows, CUB's DeviceReduce::Sum, and single-pass variants, to tune the full
// reduction. Build: nvcc -O3 -arch=sm_90 -std=c++17 --expt-relaxed-constexpr -Isrc -Iinclude
//   bench/reduce_micro.cu src/backend/cuda/cu_reduce.cu -o reduce_micro
#include <cub/cub.cuh>
#include <cstdio>

#include "backend/cuda/cu_api.h"
#include "mx/dtype.h"

template <int UNROLL>
__global__ void sum_atomic(float *out, const float4 *in, long long nv) {
    float acc[UNROLL] = {};
    long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x, step = (long long)gridDim.x * blockDim.x;
    long long i = t;
    for (; i + (UNROLL - 1) * step < nv; i += UNROLL * step) {
        float4 v[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; u++) v[u] = __ldcs(in + i + u * step);
#pragma unroll
        for (int u = 0; u < UNROLL; u++) acc[u] += (v[u].x + v[u].y) + (v[u].z + v[u].w);
    }
    for (; i < nv; i += step) { float4 v = in[i]; acc[0] += (v.x + v.y) + (v.z + v.w); }
    float a = 0;
#pragma unroll
    for (int u = 0; u < UNROLL; u++) a += acc[u];
    for (int d = 16; d > 0; d /= 2) a += __shfl_down_sync(0xffffffffu, a, d);
    __shared__ float w[32];
    if ((threadIdx.x & 31) == 0) w[threadIdx.x >> 5] = a;
    __syncthreads();
    if (threadIdx.x < 32) {
        a = threadIdx.x < blockDim.x / 32 ? w[threadIdx.x] : 0;
        for (int d = 16; d > 0; d /= 2) a += __shfl_down_sync(0xffffffffu, a, d);
        if (threadIdx.x == 0) atomicAdd(out, a);
    }
}

int main() {
    const long long n = 256ll << 20;
    float *x, *out;
    cudaMalloc(&x, n * 4);
    cudaMalloc(&out, 64);
    cudaMemset(x, 0, n * 4);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaStream_t s;
    cudaStreamCreate(&s);
    int sms;
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    auto time = [&](const char *name, auto fn) {
        for (int i = 0; i < 3; i++) fn();
        float best = 1e9;
        for (int r = 0; r < 20; r++) {
            cudaEventRecord(e0, s);
            fn();
            cudaEventRecord(e1, s);
            cudaEventSynchronize(e1);
            float ms;
            cudaEventElapsedTime(&ms, e0, e1);
            if (ms < best) best = ms;
        }
        printf("%-40s %8.1f GB/s  (%.3f ms)  %s\n", name, n * 4 / (best * 1e-3) / 1e9, best,
               cudaGetErrorString(cudaGetLastError()));
    };
    time("cmlx mx_cu_reduce_rows", [&] { mx_cu_reduce_rows(0, 0, MX_FLOAT32, out, x, 1, n, s); });
    size_t tb = 0;
    cub::DeviceReduce::Sum(nullptr, tb, x, out, (int)n, s);
    void *tmp;
    cudaMalloc(&tmp, tb);
    time("cub DeviceReduce::Sum", [&] { cub::DeviceReduce::Sum(tmp, tb, x, out, (int)n, s); });
    for (int threads : {256, 512, 1024})
        for (int per : {1, 2, 4, 8}) {
            char nm[64];
            snprintf(nm, sizeof nm, "atomic u4 threads %d blocks/sm %d", threads, per);
            time(nm, [&] {
                cudaMemsetAsync(out, 0, 4, s);
                sum_atomic<4><<<sms * per, threads, 0, s>>>(out, (const float4 *)x, n / 4);
            });
            snprintf(nm, sizeof nm, "atomic u8 threads %d blocks/sm %d", threads, per);
            time(nm, [&] {
                cudaMemsetAsync(out, 0, 4, s);
                sum_atomic<8><<<sms * per, threads, 0, s>>>(out, (const float4 *)x, n / 4);
            });
        }
    return 0;
}
