/* include/mx/random.h: mx.random: keys, the global key, and random distributions.
 *
 * Randomness is counter-based (threefry2x32, 20 rounds), as in MLX/JAX: a key is a uint32 array
 * of shape (2,), and the same key always gives the same values. Every function takes a `key`
 * argument; NULL means "use the global key": the global key is split (under a mutex), one half
 * becomes the new global key and the other is used for this draw, so successive draws differ.
 * mx_random_seed resets the global key. Until then it is seeded from the clock (as MLX does).
 * Random streams match MLX's CPU backend for bits/split/uniform/bernoulli and, up to the last bits
 * of erfinv, normal.
 *
 * All array-returning functions return a new reference (or NULL with the error set). Shapes are
 * `shape, ndim` pairs. Errors are MX_ERR_VALUE with an "[op] ..." message: key not uint32 of shape
 * (2,), bad dtypes, shapes that do not broadcast. Errors are detected before the global key is
 * advanced. `s` is the stream (MX_DEFAULT_STREAM).
 */
#ifndef MX_RANDOM_H
#define MX_RANDOM_H

#include "mx/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- keys and the global state ---- */
/* Reset the global key to mx_random_key(seed). */
void      mx_random_seed(uint64_t seed);
/* A key: uint32 (2,) = [seed >> 32, seed & 0xffffffff]. */
mx_array *mx_random_key(uint64_t seed);
/* num new keys from key: uint32 (num, 2) (num >= 0). Same as mx_random_bits({num, 2}, 4, key). */
mx_array *mx_random_split(mx_array *key, int num, mx_stream s);
/* The current global key (uint32 (2,)), a new reference; used for mx.random.state. */
mx_array *mx_random_state(void);
/* Replace the global key with `key` (uint32 (2,); retained, may be unevaluated or a tracer, which
 * is how compile captures the random state). "[random] ..." on a bad key. */
mx_status mx_random_set_state(mx_array *key);

/* ---- raw bits ---- */
/* Random bits of `width` bytes per element (1, 2, 4 -> uint8, uint16, uint32) of the given shape.
 * "[bits] Bit width must be in {1, 2, 4} ...". */
mx_array *mx_random_bits(const int64_t *shape, int ndim, int width, mx_array *key, mx_stream s);
/* cmlx extension (for vmap): one draw per key of a batch: keys uint32 (..., 2), output
 * keys.shape[:-1] + shape; row b equals mx_random_bits(shape, ndim, width, keys[b]). */
mx_array *mx_random_bits_batched(mx_array *keys, const int64_t *shape, int ndim, int width,
                                 mx_stream s);

/* ---- distributions ---- */
/* Uniform in [low, high) (low, high: arrays broadcastable to shape; NULL = 0 and 1) cast to dtype
 * (MX_DTYPE_AUTO = float32; float16, bfloat16, float32, float64). high < low is allowed (the
 * values then lie in (high, low]). "[uniform] Can only generate uniform numbers with real
 * floating point type.", "[uniform] Cannot generate random values of shape ... from broadcasted
 * shape ...". 32 random bits per element (float64 too). */
mx_array *mx_random_uniform(mx_array *low, mx_array *high, const int64_t *shape, int ndim,
                            mx_dtype dtype, mx_array *key, mx_stream s);
/* Normal with mean loc and standard deviation scale (NULL: 0 and 1), as MLX:
 * sqrt(2) * erfinv(uniform(nextafter(-1, 0), 1)) * scale + loc. dtype: floating (AUTO = float32) or
 * complex64 (real and imaginary parts each of variance 1/2, scaled by scale). */
mx_array *mx_random_normal(const int64_t *shape, int ndim, mx_dtype dtype, mx_array *loc,
                           mx_array *scale, mx_array *key, mx_stream s);
/* Integers in [low, high) (arrays broadcastable to shape) of an integer or bool dtype
 * (AUTO = int32): floor(max(uniform(low, high, float32), low)). Exact while |low|, |high| < 2^24.
 * "[randint] randint only accepts integer dtypes and bool." */
mx_array *mx_random_randint(mx_array *low, mx_array *high, const int64_t *shape, int ndim,
                            mx_dtype dtype, mx_array *key, mx_stream s);
/* bool array, true with probability p (a floating array; NULL = 0.5). shape NULL: p's shape;
 * otherwise p must broadcast to it. "[bernoulli] ..." */
mx_array *mx_random_bernoulli(mx_array *p, const int64_t *shape, int ndim, mx_array *key,
                              mx_stream s);
/* Standard normal truncated to [lower, upper] (arrays; shape NULL: their broadcast shape), by
 * inverse CDF; floating dtype (AUTO = float32). "[trunc_normal] ..." */
mx_array *mx_random_truncated_normal(mx_array *lower, mx_array *upper, const int64_t *shape,
                                     int ndim, mx_dtype dtype, mx_array *key, mx_stream s);
/* Standard Gumbel: -log(-log(uniform)); floating dtype (AUTO = float32). */
mx_array *mx_random_gumbel(const int64_t *shape, int ndim, mx_dtype dtype, mx_array *key,
                           mx_stream s);
/* Laplace(loc, scale) by inverse CDF; floating dtype (AUTO = float32). "[laplace] ..." */
mx_array *mx_random_laplace(const int64_t *shape, int ndim, mx_dtype dtype, double loc,
                            double scale, mx_array *key, mx_stream s);
/* Samples of the categorical distribution with unnormalised log-probabilities `logits` along
 * `axis` (Gumbel-max: argmax(logits + gumbel)) -> uint32 indices. Output shape: `shape` if given
 * (must broadcast with logits' shape without axis), else with num_samples > 0 logits' shape
 * without axis plus a trailing num_samples, else logits' shape without axis. At most one of shape
 * and num_samples. "[categorical] Invalid axis ...", "[categorical] Requested shape ...". */
mx_array *mx_random_categorical(mx_array *logits, int axis, const int64_t *shape, int ndim,
                                int num_samples, mx_array *key, mx_stream s);
/* A random permutation of 0..n-1 (uint32, argsort of random bits): MLX permutation(int). */
mx_array *mx_random_permutation_n(int64_t n, mx_array *key, mx_stream s);
/* x with its entries shuffled along axis: MLX permutation(array, axis). */
mx_array *mx_random_permutation(mx_array *x, int axis, mx_array *key, mx_stream s);
/* Samples of N(mean, cov): mean (..., n), cov (..., n, n); output
 * broadcast(cov.shape[:-2], mean.shape[:-1], shape) + (n,), float32 only (as MLX). Uses
 * mean + z @ (U sqrt(S) V^T) with the SVD of cov, as MLX, so symmetric positive semi-definite cov
 * gives its symmetric square root. "[multivariate_normal] ..." for shape/dtype errors. */
mx_array *mx_random_multivariate_normal(mx_array *mean, mx_array *cov, const int64_t *shape,
                                        int ndim, mx_dtype dtype, mx_array *key, mx_stream s);

#ifdef __cplusplus
}
#endif
#endif
