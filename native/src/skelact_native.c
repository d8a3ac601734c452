/*
 * skelact's native CPU kernels: OpenBLAS products and the loops around them, run directly on
 * the TensorFlow.js wasm backend's memory.
 *
 * Every kernel takes the wasm heap as one Float32Array (`heap`) and addresses tensors by their
 * element offset in it, so nothing is copied in or out: the wasm backend allocates the output,
 * the JavaScript side (src/engine/native-kernels.ts) passes the offsets, and the results land
 * where tfjs expects them. Shapes and offsets are checked here against the heap's length, so a
 * wrong call throws a JavaScript error instead of writing outside the heap.
 *
 * Exports:
 *   info()                         {config, corename, threads, avx512}
 *   setThreads(n)                  threads of skelact's pool (see pool_run); OpenBLAS itself stays on 1
 *   gemm(heap, ta, tb, M, N, K, aOffsets, bOffsets, cOffsets)
 *                                  C[i] = op(A[i]) · op(B[i]) for each i, row-major, packed
 *   biasActivation(heap, cOffset, rows, cols, biasOffset, biasSize, activation, alpha)
 *                                  in place: C += bias (size cols or 1; offset −1: none), then
 *                                  0 linear, 1 relu, 2 relu6, 3 elu, 4 leakyrelu(alpha), 5 sigmoid
 *   sumLeading(heap, xOffset, rows, cols, outOffset)
 *                                  out[j] = Σᵢ x[i, j]: a sum over leading axes (bias gradients)
 *   conv2d(heap, xOffset, wOffset, yOffset, geometry)
 *   conv2dBackpropInput(heap, dyOffset, wOffset, dxOffset, geometry)
 *   conv2dBackpropFilter(heap, xOffset, dyOffset, dwOffset, geometry)
 *                                  NHWC, filter [kh, kw, ci, co]; geometry an Int32Array
 *                                  [n, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dw, padTop, padLeft];
 *                                  im2col of one sample at a time, then one GEMM per sample;
 *                                  k×1 convolutions (frames only) without im2col: the sample
 *                                  split by frame phase, one GEMM per tap (see frame_conv).
 *   adamw(heap, pOffset, mOffset, vOffset, gOffset, p1Offset, m1Offset, v1Offset, n, params)
 *                                  one AdamW step of one parameter (see adamw_rows)
 *   gelu(heap, xOffset, yOffset, n)
 *   geluGrad(heap, xOffset, dyOffset, dxOffset, n)
 *                                  GELU (erf form) and its gradient dy · GELU'(x) in one pass
 *                                  each, instead of five tfjs kernels forward and about ten
 *                                  backward; erf as tfjs computes it (Abramowitz–Stegun 7.1.26),
 *                                  so results match the stock kernels.
 *   softmax(heap, xOffsets, biasOffsets, outOffsets, rows, cols)
 *                                  per matrix i: out = softmax over each row of x (+ bias), x,
 *                                  bias and out [rows, cols] at the given offsets (biasOffsets
 *                                  empty: no bias); the attention maps' bias add and softmax
 *                                  in one pass instead of four kernels
 *   softmaxGrad(heap, pOffset, dpOffset, rowOffset, dsOffset, rows, cols)
 *                                  ds = p ⊙ (dp − r) with r [rows] one number per row: the
 *                                  softmax backward once Σ dp ⊙ p per row is known
 *   gather(heap, xOffset, indicesOffset, outOffset, outer, n, inner, count)
 *                                  out[o, j, :] = x[o, indices[j], :] (GatherV2 without batch
 *                                  axes); indices are int32 in the same heap, each checked
 *                                  against n; rows of `inner` floats copied whole
 *   skateAttention(heap, chunkOffset, tableOffset, outOffset, partition, biasIndex, dims, params)
 *   skateAttentionGrad(heap, chunkOffset, tableOffset, dyOffset, dChunkOffset, dTableOffset,
 *                      partition, biasIndex, dims, params)
 *                                  one Skate-MSA branch forward / backward in one call each
 *                                  (described above skate_attention_impl)
 *                                  dims may add [in stride, in column, out stride, out column]:
 *                                  the chunk read from (d chunk written to) a wider buffer
 *   copyColumns(heap, srcOffset, srcStride, srcColumn, dstOffset, dstStride, dstColumn, rows, width)
 *                                  a block of channels from rows of one buffer into another's
 *   layerNorm(heap, xOffset, gammaOffset, betaOffset, yOffset, rows, cols, eps)
 *   layerNormGrad(heap, xOffset, gammaOffset, dyOffset, dxOffset, dGammaOffset, dBetaOffset,
 *                 rows, cols, eps)   layer norm over the last axis and its backward, one pass each
 *   gconv(heap, xOffset, aOffset, yOffset, rows, V, G, c)
 *   gconvGrad(heap, xOffset, aOffset, dyOffset, dxOffset, dAOffset, rows, V, G, c)
 *                                  SkateFormer's G-Conv token mixing per channel group and its
 *                                  backward (described above gconv_impl)
 */
/* clock_gettime and CLOCK_MONOTONIC (the pool's spin limit) under -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <cblas.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "skelact native: N-API call failed"); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

#define FAIL(msg)                        \
  do {                                   \
    napi_throw_error(env, NULL, (msg));  \
    return NULL;                         \
  } while (0)

typedef struct {
  float* data;
  size_t length;
} Heap;

static int get_heap(napi_env env, napi_value value, Heap* heap) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &byte_offset) != napi_ok || type != napi_float32_array) return 0;
  heap->data = (float*)data;
  heap->length = length;
  return 1;
}

static int get_u32_array(napi_env env, napi_value value, uint32_t** out, size_t* length) {
  napi_typedarray_type type;
  void* data;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &type, length, &data, &buffer, &byte_offset) != napi_ok || type != napi_uint32_array) return 0;
  *out = (uint32_t*)data;
  return 1;
}

static int get_i32_array(napi_env env, napi_value value, int32_t** out, size_t* length) {
  napi_typedarray_type type;
  void* data;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(env, value, &type, length, &data, &buffer, &byte_offset) != napi_ok || type != napi_int32_array) return 0;
  *out = (int32_t*)data;
  return 1;
}

static int get_int(napi_env env, napi_value value, int64_t* out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

static int get_bool(napi_env env, napi_value value, int* out) {
  bool b;
  if (napi_get_value_bool(env, value, &b) != napi_ok) return 0;
  *out = b ? 1 : 0;
  return 1;
}

/* Whether [offset, offset + size) lies inside the heap. */
static int inside(const Heap* heap, int64_t offset, int64_t size) {
  return offset >= 0 && size >= 0 && (uint64_t)(offset + size) <= heap->length;
}

/* Threads of skelact's pool (products and the fused attention); 0 until setThreads: OpenBLAS's count. */
static int native_threads = 0;

static napi_value info(napi_env env, napi_callback_info cb) {
  napi_value result, value;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, result, "config", value));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &value));
  CHECK(napi_set_named_property(env, result, "corename", value));
  /* The count chosen by setThreads (small products run on the calling thread alone: see sgemm). */
  CHECK(napi_create_int32(env, native_threads > 0 ? native_threads : openblas_get_num_threads(), &value));
  CHECK(napi_set_named_property(env, result, "threads", value));
  /* Whether the CPU runs AVX-512 (F, DQ, BW, VL: what OpenBLAS's SkylakeX kernels use), so the
     engine line can say when OPENBLAS_CORETYPE pins an older kernel set than the CPU could run. */
#if defined(__GNUC__) && defined(__x86_64__)
  __builtin_cpu_init();
  const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vl");
#else
  const int avx512 = 0;
#endif
  CHECK(napi_get_boolean(env, avx512, &value));
  CHECK(napi_set_named_property(env, result, "avx512", value));
  return result;
}

/*
 * skelact's own thread pool: native_threads − 1 workers, started once, that wait for the next job
 * spinning for up to POOL_SPIN_NS and only then sleep on a condition variable. OpenBLAS's own
 * threads (and a pthread_create per call) cost more to wake than a SkateFormer product or
 * attention call takes at batch 1: there 2 threads ran slower than 1 (README, "Native kernels
 * against PyTorch"). With the pool the products are split by rows (or columns) into parts that
 * OpenBLAS runs on one thread each, and the attention kernels split their items the same way.
 *
 * Parts are claimed, not assigned: the calling thread and the workers take the next unclaimed
 * part until none is left, so a worker that the system has not scheduled yet costs nothing:
 * the caller does its part too. (V8's collector and compiler threads are the likely competition
 * for the cores: with them turned off, the kernels at 2 threads ran faster.) A claim is a
 * compare-and-swap on (job, next part), so a worker that wakes after its job is done claims
 * nothing from the next one. One job at a time: a call from a second JavaScript thread while the
 * pool is busy, or from inside a job, runs its parts itself, in order.
 */
#define POOL_MAX 64
#define POOL_SPIN_NS 1000000L
typedef void (*PoolFn)(void* ctx, int part, int parts);
static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  atomic_uint_fast64_t ticket; /* job number << 32 | next unclaimed part */
  atomic_int remaining;        /* parts of the current job not yet finished */
  atomic_int sleepers;
  atomic_flag busy;
  int started; /* workers running (they never exit) */
  PoolFn fn;
  void* ctx;
  atomic_int parts; /* read before a claim, when the next job may be setting it: atomic */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, ATOMIC_FLAG_INIT, 0, NULL, NULL, 0};
static _Thread_local int in_pool_job = 0;

static int64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Runs unclaimed parts of job `job` until none is left (or the job is over). */
static void pool_claim(uint64_t job) {
  for (;;) {
    uint64_t t = atomic_load(&pool.ticket);
    const int parts = atomic_load(&pool.parts);
    if (t >> 32 != job || (int)(t & 0xffffffffu) >= parts) return;
    if (!atomic_compare_exchange_weak(&pool.ticket, &t, t + 1)) continue;
    /* Claimed: the job cannot end before this part does, so fn, ctx and parts are this job's. */
    pool.fn(pool.ctx, (int)(t & 0xffffffffu), atomic_load(&pool.parts));
    atomic_fetch_sub(&pool.remaining, 1);
  }
}

static void* pool_worker(void* arg) {
  (void)arg;
  uint64_t seen = atomic_load(&pool.ticket) >> 32;
  in_pool_job = 1;
  for (;;) {
    uint64_t job = atomic_load(&pool.ticket) >> 32;
    if (job == seen) {
      const int64_t until = monotonic_ns() + POOL_SPIN_NS;
      for (int spin = 0; (job = atomic_load(&pool.ticket) >> 32) == seen; spin++) {
        cpu_relax();
        if ((spin & 255) == 255 && monotonic_ns() > until) break;
      }
    }
    if (job == seen) {
      pthread_mutex_lock(&pool.mu);
      atomic_fetch_add(&pool.sleepers, 1);
      while ((job = atomic_load(&pool.ticket) >> 32) == seen) pthread_cond_wait(&pool.wake, &pool.mu);
      atomic_fetch_sub(&pool.sleepers, 1);
      pthread_mutex_unlock(&pool.mu);
    }
    seen = job;
    pool_claim(job);
  }
  return NULL;
}

/* Runs fn(ctx, part, parts) for part = 0 … parts − 1 on this thread and the pool's; returns when all are done. */
static void pool_run(PoolFn fn, void* ctx, int parts) {
  if (parts <= 1 || in_pool_job || atomic_flag_test_and_set(&pool.busy)) {
    for (int part = 0; part < parts; part++) fn(ctx, part, parts);
    return;
  }
  const int want = (native_threads < POOL_MAX ? native_threads : POOL_MAX) - 1;
  while (pool.started < want) {
    pthread_t id;
    if (pthread_create(&id, NULL, pool_worker, NULL) != 0) break;
    pthread_detach(id);
    pool.started++;
  }
  pool.fn = fn, pool.ctx = ctx;
  atomic_store(&pool.parts, parts);
  atomic_store(&pool.remaining, parts);
  const uint64_t job = (atomic_load(&pool.ticket) >> 32) + 1;
  atomic_store(&pool.ticket, job << 32); /* publishes fn, ctx and parts with the new job */
  if (atomic_load(&pool.sleepers) > 0) {
    pthread_mutex_lock(&pool.mu);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
  }
  in_pool_job = 1;
  pool_claim(job);
  in_pool_job = 0;
  while (atomic_load(&pool.remaining) > 0) cpu_relax();
  atomic_flag_clear(&pool.busy);
}

/*
 * Products of fewer multiply-adds than this (M·N·K) run on this thread alone: below it a part is
 * too small to pay for handing it over (a few µs with the workers spinning).
 */
#define SPLIT_GEMM_MNK (512.0 * 1024)

typedef struct {
  CBLAS_TRANSPOSE ta, tb;
  int M, N, K, lda, ldb, ldc;
  float alpha, beta;
  const float *A, *B;
  float* C;
} GemmJob;

/* One part of a product: a band of C's rows (A's rows), or of its columns (B's columns) when C is wide. */
static void gemm_part(void* ctx, int part, int parts) {
  const GemmJob* j = (const GemmJob*)ctx;
  const int by_rows = j->M >= j->N;
  const int total = by_rows ? j->M : j->N;
  /* Bands of whole 16s: the kernels' register blocks. */
  const int blocks = (total + 15) / 16;
  const int lo = (int)((int64_t)blocks * part / parts) * 16, hi0 = (int)((int64_t)blocks * (part + 1) / parts) * 16;
  const int hi = hi0 < total ? hi0 : total;
  if (hi <= lo) return;
  if (by_rows) {
    const float* A = j->ta == CblasNoTrans ? j->A + (int64_t)lo * j->lda : j->A + lo;
    cblas_sgemm(CblasRowMajor, j->ta, j->tb, hi - lo, j->N, j->K, j->alpha, A, j->lda, j->B, j->ldb, j->beta, j->C + (int64_t)lo * j->ldc, j->ldc);
  } else {
    const float* B = j->tb == CblasNoTrans ? j->B + lo : j->B + (int64_t)lo * j->ldb;
    cblas_sgemm(CblasRowMajor, j->ta, j->tb, j->M, hi - lo, j->K, j->alpha, j->A, j->lda, B, j->ldb, j->beta, j->C + lo, j->ldc);
  }
}

static void sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  const int wide = M >= N ? M : N;
  int parts = native_threads > 1 && (double)M * (double)N * (double)K >= SPLIT_GEMM_MNK ? native_threads : 1;
  if (parts > (wide + 15) / 16) parts = (wide + 15) / 16;
  if (parts <= 1) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  GemmJob job = {ta, tb, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
  pool_run(gemm_part, &job, parts);
}

static napi_value set_threads(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], &n) || n < 1 || n > 1024) FAIL("setThreads(n): n must be an integer from 1 to 1024");
  /* OpenBLAS stays on one thread: skelact's pool splits the products (see pool_run). */
  openblas_set_num_threads(1);
  native_threads = (int)n;
  return NULL;
}

static napi_value gemm(napi_env env, napi_callback_info cb) {
  size_t argc = 9;
  napi_value argv[9];
  Heap heap;
  int ta, tb;
  int64_t M, N, K;
  uint32_t *ao, *bo, *co;
  size_t na, nb, nc;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 9 || !get_heap(env, argv[0], &heap) || !get_bool(env, argv[1], &ta) || !get_bool(env, argv[2], &tb) || !get_int(env, argv[3], &M) || !get_int(env, argv[4], &N) ||
      !get_int(env, argv[5], &K) || !get_u32_array(env, argv[6], &ao, &na) || !get_u32_array(env, argv[7], &bo, &nb) || !get_u32_array(env, argv[8], &co, &nc))
    FAIL("gemm(heap: Float32Array, transA, transB, M, N, K, aOffsets, bOffsets, cOffsets: Uint32Array)");
  if (M < 0 || N < 0 || K < 0 || na != nc || nb != nc) FAIL("gemm: negative size or offset arrays of different lengths");
  for (size_t i = 0; i < nc; i++) {
    if (!inside(&heap, ao[i], M * K) || !inside(&heap, bo[i], K * N) || !inside(&heap, co[i], M * N)) FAIL("gemm: an operand lies outside the heap");
  }
  if (M == 0 || N == 0) return NULL;
  const int lda = ta ? (int)M : (int)K;
  const int ldb = tb ? (int)K : (int)N;
  for (size_t i = 0; i < nc; i++) {
    float* c = heap.data + co[i];
    if (K == 0) {
      memset(c, 0, sizeof(float) * (size_t)(M * N));
      continue;
    }
    sgemm(ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.0f, heap.data + ao[i], lda, heap.data + bo[i], ldb, 0.0f, c,
                (int)N);
  }
  return NULL;
}

static napi_value bias_activation(napi_env env, napi_callback_info cb) {
  size_t argc = 8;
  napi_value argv[8];
  Heap heap;
  int64_t c_off, rows, cols, bias_off, bias_size, act;
  double alpha;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 8 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &c_off) || !get_int(env, argv[2], &rows) || !get_int(env, argv[3], &cols) ||
      !get_int(env, argv[4], &bias_off) || !get_int(env, argv[5], &bias_size) || !get_int(env, argv[6], &act) || napi_get_value_double(env, argv[7], &alpha) != napi_ok)
    FAIL("biasActivation(heap, cOffset, rows, cols, biasOffset, biasSize, activation, alpha)");
  if (!inside(&heap, c_off, rows * cols)) FAIL("biasActivation: the output lies outside the heap");
  if (bias_off >= 0 && (!(bias_size == cols || bias_size == 1) || !inside(&heap, bias_off, bias_size))) FAIL("biasActivation: the bias must have 1 or cols elements inside the heap");
  if (act < 0 || act > 5) FAIL("biasActivation: unknown activation");
  float* c = heap.data + c_off;
  const float* bias = bias_off >= 0 ? heap.data + bias_off : NULL;
  const float a = (float)alpha;
  for (int64_t r = 0; r < rows; r++) {
    float* row = c + r * cols;
    if (bias) {
      if (bias_size == 1)
        for (int64_t j = 0; j < cols; j++) row[j] += bias[0];
      else
        for (int64_t j = 0; j < cols; j++) row[j] += bias[j];
    }
    switch (act) {
      case 1:
        for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f;
        break;
      case 2:
        for (int64_t j = 0; j < cols; j++) row[j] = row[j] < 0.0f ? 0.0f : (row[j] > 6.0f ? 6.0f : row[j]);
        break;
      case 3:
        for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0.0f ? row[j] : expm1f(row[j]);
        break;
      case 4:
        for (int64_t j = 0; j < cols; j++) row[j] = row[j] > 0.0f ? row[j] : a * row[j];
        break;
      case 5:
        for (int64_t j = 0; j < cols; j++) row[j] = 1.0f / (1.0f + expf(-row[j]));
        break;
      default:
        break;
    }
  }
  return NULL;
}

static napi_value sum_leading(napi_env env, napi_callback_info cb) {
  size_t argc = 5;
  napi_value argv[5];
  Heap heap;
  int64_t x_off, rows, cols, out_off;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 5 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &x_off) || !get_int(env, argv[2], &rows) || !get_int(env, argv[3], &cols) || !get_int(env, argv[4], &out_off))
    FAIL("sumLeading(heap, xOffset, rows, cols, outOffset)");
  if (rows < 0 || cols < 0 || !inside(&heap, x_off, rows * cols) || !inside(&heap, out_off, cols)) FAIL("sumLeading: an operand lies outside the heap");
  float* out = heap.data + out_off;
  const float* x = heap.data + x_off;
  memset(out, 0, sizeof(float) * (size_t)cols);
  for (int64_t i = 0; i < rows; i++) {
    const float* row = x + i * cols;
    for (int64_t j = 0; j < cols; j++) out[j] += row[j];
  }
  return NULL;
}

typedef struct {
  int64_t n, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dw, pad_top, pad_left;
} Geometry;

static int get_geometry(napi_env env, napi_value value, Geometry* g) {
  int32_t* v;
  size_t length;
  if (!get_i32_array(env, value, &v, &length) || length != 15) return 0;
  g->n = v[0], g->h = v[1], g->w = v[2], g->ci = v[3], g->ho = v[4], g->wo = v[5], g->co = v[6];
  g->kh = v[7], g->kw = v[8], g->sh = v[9], g->sw = v[10], g->dh = v[11], g->dw = v[12], g->pad_top = v[13], g->pad_left = v[14];
  return g->n >= 0 && g->h >= 0 && g->w >= 0 && g->ci >= 0 && g->ho >= 0 && g->wo >= 0 && g->co >= 0 && g->kh >= 1 && g->kw >= 1 && g->sh >= 1 && g->sw >= 1 && g->dh >= 1 &&
         g->dw >= 1;
}

/* cols [ho·wo, kh·kw·ci] of one sample x [h, w, ci]; taps outside the image are zero. */
static void im2col(const float* x, const Geometry* g, float* cols) {
  const int64_t row = g->kh * g->kw * g->ci;
  for (int64_t oy = 0; oy < g->ho; oy++) {
    for (int64_t ox = 0; ox < g->wo; ox++) {
      float* dst = cols + (oy * g->wo + ox) * row;
      for (int64_t i = 0; i < g->kh; i++) {
        const int64_t y = oy * g->sh - g->pad_top + i * g->dh;
        for (int64_t j = 0; j < g->kw; j++) {
          const int64_t xx = ox * g->sw - g->pad_left + j * g->dw;
          float* tap = dst + (i * g->kw + j) * g->ci;
          if (y < 0 || y >= g->h || xx < 0 || xx >= g->w)
            memset(tap, 0, sizeof(float) * (size_t)g->ci);
          else
            memcpy(tap, x + (y * g->w + xx) * g->ci, sizeof(float) * (size_t)g->ci);
        }
      }
    }
  }
}

/* dx [h, w, ci] += the columns scattered back to where im2col took them from. */
static void col2im(const float* cols, const Geometry* g, float* dx) {
  const int64_t row = g->kh * g->kw * g->ci;
  for (int64_t oy = 0; oy < g->ho; oy++) {
    for (int64_t ox = 0; ox < g->wo; ox++) {
      const float* src = cols + (oy * g->wo + ox) * row;
      for (int64_t i = 0; i < g->kh; i++) {
        const int64_t y = oy * g->sh - g->pad_top + i * g->dh;
        if (y < 0 || y >= g->h) continue;
        for (int64_t j = 0; j < g->kw; j++) {
          const int64_t xx = ox * g->sw - g->pad_left + j * g->dw;
          if (xx < 0 || xx >= g->w) continue;
          const float* tap = src + (i * g->kw + j) * g->ci;
          float* d = dx + (y * g->w + xx) * g->ci;
          for (int64_t c = 0; c < g->ci; c++) d[c] += tap[c];
        }
      }
    }
  }
}

/* A 1×1, stride-1, unpadded convolution reads x as it is: no columns needed. */
static int pointwise(const Geometry* g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pad_top == 0 && g->pad_left == 0 && g->ho == g->h && g->wo == g->w;
}

enum ConvKind { FORWARD, BACKPROP_INPUT, BACKPROP_FILTER };

/*
 * Convolutions over frames only (kernel kh×1, the width axis untouched: SkateFormer's merging
 * convs, T-Conv, ST-GCN's temporal convs) without im2col: the input of one sample is split by
 * frame phase (frame y = sh·t + p goes to phase p, row t; no copy at stride 1), so that for each
 * tap the input rows every output frame reads are ONE contiguous [frames·w, ci] block; each tap
 * is then one GEMM with the tap's [ci, co] slice of the filter, accumulated into the output (or
 * the phase-split input gradient, or the filter gradient). im2col copied kh/sh times the input
 * per pass; this copies it at most once.
 */
static int frames_only(const Geometry* g) {
  return g->kw == 1 && g->sw == 1 && g->dw == 1 && g->pad_left == 0 && g->wo == g->w;
}

/* Frames of phase p (y ≡ p mod sh), and where phase p starts in a phase-split sample (in frames). */
static int64_t phase_frames(const Geometry* g, int64_t p) { return p < g->h ? (g->h - p + g->sh - 1) / g->sh : 0; }

static int64_t phase_start(const Geometry* g, int64_t p) {
  int64_t at = 0;
  for (int64_t q = 0; q < p; q++) at += phase_frames(g, q);
  return at;
}

/* Phase-split one sample x [h, w·ci] into xp, or (back) add/copy xp into x. */
static void phase_split(const float* x, const Geometry* g, float* xp) {
  const int64_t row = g->w * g->ci;
  for (int64_t p = 0, at = 0; p < g->sh; p++)
    for (int64_t t = 0; t < phase_frames(g, p); t++, at++) memcpy(xp + at * row, x + (t * g->sh + p) * row, sizeof(float) * (size_t)row);
}

static void phase_merge(const float* xp, const Geometry* g, float* x) {
  const int64_t row = g->w * g->ci;
  for (int64_t p = 0, at = 0; p < g->sh; p++)
    for (int64_t t = 0; t < phase_frames(g, p); t++, at++) memcpy(x + (t * g->sh + p) * row, xp + at * row, sizeof(float) * (size_t)row);
}

/* Tap i: the phase it reads, the row offset q (input row t = oy + q) and the output frames [lo, hi) inside the input. */
static void tap_range(const Geometry* g, int64_t i, int64_t* phase, int64_t* q, int64_t* lo, int64_t* hi) {
  const int64_t off = i * g->dh - g->pad_top; /* input frame = sh·oy + off */
  const int64_t p = ((off % g->sh) + g->sh) % g->sh;
  const int64_t qq = (off - p) / g->sh;
  const int64_t n = phase_frames(g, p);
  *phase = p, *q = qq;
  *lo = qq < 0 ? -qq : 0;
  *hi = n - qq < g->ho ? n - qq : g->ho;
}

static int frame_conv(Heap* heap, const Geometry* g, enum ConvKind kind, int64_t o1, int64_t o2, int64_t o3) {
  const int64_t row = g->w * g->ci, xs = g->h * row, ys = g->ho * g->wo * g->co, ci = g->ci, co = g->co, w = g->w;
  float* out = heap->data + o3;
  float* xp = NULL;
  if (g->sh > 1 && xs > 0) {
    xp = (float*)malloc(sizeof(float) * (size_t)xs);
    if (!xp) return 0;
  }
  if (kind == FORWARD) memset(out, 0, sizeof(float) * (size_t)(g->n * ys));
  if (kind == BACKPROP_INPUT) memset(out, 0, sizeof(float) * (size_t)(g->n * xs));
  if (kind == BACKPROP_FILTER) memset(out, 0, sizeof(float) * (size_t)(g->kh * ci * co));
  if (ci == 0 || co == 0 || g->ho == 0 || w == 0) {
    free(xp);
    return 1;
  }
  for (int64_t s = 0; s < g->n; s++) {
    /* x (forward, filter gradient) or dx (input gradient) of this sample, phase-split */
    const float* x = kind == BACKPROP_INPUT ? NULL : heap->data + o1 + s * xs;
    float* split = xp;
    if (kind != BACKPROP_INPUT && g->sh > 1) phase_split(x, g, xp);
    if (kind == BACKPROP_INPUT) {
      if (g->sh > 1)
        memset(xp, 0, sizeof(float) * (size_t)xs);
      else
        split = out + s * xs;
    }
    const float* xin = g->sh > 1 ? xp : x;
    for (int64_t i = 0; i < g->kh; i++) {
      int64_t p, q, lo, hi;
      tap_range(g, i, &p, &q, &lo, &hi);
      if (hi <= lo) continue;
      const int64_t first = (phase_start(g, p) + lo + q) * row; /* first input float of the tap's block */
      const int m = (int)((hi - lo) * w);
      switch (kind) {
        case FORWARD: /* y[lo:hi] += x_tap · W_i */
          sgemm(CblasNoTrans, CblasNoTrans, m, (int)co, (int)ci, 1.0f, xin + first, (int)ci, heap->data + o2 + i * ci * co, (int)co, 1.0f,
                      out + s * ys + lo * w * co, (int)co);
          break;
        case BACKPROP_INPUT: /* dx_tap += dy[lo:hi] · W_iᵀ */
          sgemm(CblasNoTrans, CblasTrans, m, (int)ci, (int)co, 1.0f, heap->data + o1 + s * ys + lo * w * co, (int)co, heap->data + o2 + i * ci * co,
                      (int)co, 1.0f, split + first, (int)ci);
          break;
        case BACKPROP_FILTER: /* dW_i += x_tapᵀ · dy[lo:hi] */
          sgemm(CblasTrans, CblasNoTrans, (int)ci, (int)co, m, 1.0f, xin + first, (int)ci, heap->data + o2 + s * ys + lo * w * co, (int)co, 1.0f,
                      out + i * ci * co, (int)co);
          break;
      }
    }
    if (kind == BACKPROP_INPUT && g->sh > 1) phase_merge(xp, g, out + s * xs);
  }
  free(xp);
  return 1;
}


static napi_value conv(napi_env env, napi_callback_info cb, enum ConvKind kind) {
  size_t argc = 5;
  napi_value argv[5];
  Heap heap;
  int64_t o1, o2, o3;
  Geometry g;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 5 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &o1) || !get_int(env, argv[2], &o2) || !get_int(env, argv[3], &o3) || !get_geometry(env, argv[4], &g))
    FAIL("conv2d*(heap, offset, offset, offset, geometry: Int32Array(15))");
  const int64_t xs = g.h * g.w * g.ci, ys = g.ho * g.wo * g.co, k = g.kh * g.kw * g.ci, m = g.ho * g.wo;
  /* Operand sizes per kind: forward (x, w, y), input gradient (dy, w, dx), filter gradient (x, dy, dw). */
  const int64_t sizes[3][3] = {{g.n * xs, k * g.co, g.n * ys}, {g.n * ys, k * g.co, g.n * xs}, {g.n * xs, g.n * ys, k * g.co}};
  if (!inside(&heap, o1, sizes[kind][0]) || !inside(&heap, o2, sizes[kind][1]) || !inside(&heap, o3, sizes[kind][2])) FAIL("conv2d: an operand lies outside the heap");
  if (!pointwise(&g) && frames_only(&g)) {
    if (!frame_conv(&heap, &g, kind, o1, o2, o3)) FAIL("conv2d: out of memory for the phase-split input");
    return NULL;
  }
  float* out = heap.data + o3;
  const int direct = pointwise(&g);
  float* cols = NULL;
  if (!direct && m * k > 0) {
    cols = (float*)malloc(sizeof(float) * (size_t)(m * k));
    if (!cols) FAIL("conv2d: out of memory for the im2col buffer");
  }
  switch (kind) {
    case FORWARD:
      if (g.co == 0 || m == 0) break;
      if (k == 0) {
        memset(out, 0, sizeof(float) * (size_t)(g.n * ys));
        break;
      }
      if (direct) {
        sgemm(CblasNoTrans, CblasNoTrans, (int)(g.n * m), (int)g.co, (int)k, 1.0f, heap.data + o1, (int)k, heap.data + o2, (int)g.co, 0.0f, out, (int)g.co);
        break;
      }
      for (int64_t s = 0; s < g.n; s++) {
        im2col(heap.data + o1 + s * xs, &g, cols);
        sgemm(CblasNoTrans, CblasNoTrans, (int)m, (int)g.co, (int)k, 1.0f, cols, (int)k, heap.data + o2, (int)g.co, 0.0f, out + s * ys, (int)g.co);
      }
      break;
    case BACKPROP_INPUT:
      if (direct) {
        if (g.n * m * k == 0) break;
        if (g.co == 0) {
          memset(out, 0, sizeof(float) * (size_t)(g.n * xs));
          break;
        }
        sgemm(CblasNoTrans, CblasTrans, (int)(g.n * m), (int)k, (int)g.co, 1.0f, heap.data + o1, (int)g.co, heap.data + o2, (int)g.co, 0.0f, out, (int)k);
        break;
      }
      memset(out, 0, sizeof(float) * (size_t)(g.n * xs));
      if (m == 0 || k == 0 || g.co == 0) break;
      for (int64_t s = 0; s < g.n; s++) {
        sgemm(CblasNoTrans, CblasTrans, (int)m, (int)k, (int)g.co, 1.0f, heap.data + o1 + s * ys, (int)g.co, heap.data + o2, (int)g.co, 0.0f, cols, (int)k);
        col2im(cols, &g, out + s * xs);
      }
      break;
    case BACKPROP_FILTER:
      if (k * g.co == 0) break;
      if (direct) {
        if (g.n * m == 0) {
          memset(out, 0, sizeof(float) * (size_t)(k * g.co));
          break;
        }
        sgemm(CblasTrans, CblasNoTrans, (int)k, (int)g.co, (int)(g.n * m), 1.0f, heap.data + o1, (int)k, heap.data + o2, (int)g.co, 0.0f, out, (int)g.co);
        break;
      }
      memset(out, 0, sizeof(float) * (size_t)(k * g.co));
      if (m == 0) break;
      for (int64_t s = 0; s < g.n; s++) {
        im2col(heap.data + o1 + s * xs, &g, cols);
        sgemm(CblasTrans, CblasNoTrans, (int)k, (int)g.co, (int)m, 1.0f, cols, (int)k, heap.data + o2 + s * ys, (int)g.co, 1.0f, out, (int)g.co);
      }
      break;
  }
  free(cols);
  return NULL;
}

static napi_value conv2d(napi_env env, napi_callback_info cb) { return conv(env, cb, FORWARD); }
static napi_value conv2d_backprop_input(napi_env env, napi_callback_info cb) { return conv(env, cb, BACKPROP_INPUT); }
static napi_value conv2d_backprop_filter(napi_env env, napi_callback_info cb) { return conv(env, cb, BACKPROP_FILTER); }

/*
 * GELU. exp and erf are written out (no libm calls) so that the loops vectorise; the builds
 * for AVX-512 and AVX2 are picked at load time by the CPU (GCC's target_clones).
 */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/*
 * One AdamW step (torch.optim.AdamW) of one parameter, in one pass instead of about 13 tfjs
 * kernels and as many tape-free engine calls per parameter (src/train/optimizer.ts):
 *   p0 = p · decay;  m1 = b1·m + (1 − b1)·g;  v1 = b2·v + (1 − b2)·g²
 *   p1 = p0 − step · m1 / (√v1 / bc2 + eps)
 * with decay = 1 − lr·wd (1 without decay), step = lr / (1 − b1ᵗ), bc2 = √(1 − b2ᵗ). float32
 * throughout, in the composed path's order; 1 − b1 and 1 − b2 come in as computed in double
 * (1 − 0.999 in float32 is 1.3e-5 off, which the second moment would carry). Writes new
 * buffers: the variables' tensors may be shared (tf.clone is zero-copy on wasm), so nothing is
 * updated in place.
 */
VECTOR_CLONES static void adamw_rows(const float* restrict p, const float* restrict m, const float* restrict v, const float* restrict g, float* restrict p1,
                                     float* restrict m1, float* restrict v1, int64_t n, float decay, float b1, float c1, float b2, float c2, float eps, float step,
                                     float bc2) {
  for (int64_t i = 0; i < n; i++) {
    const float mi = m[i] * b1 + g[i] * c1;
    const float vi = v[i] * b2 + (g[i] * g[i]) * c2;
    const float denom = sqrtf(vi) / bc2 + eps;
    m1[i] = mi;
    v1[i] = vi;
    p1[i] = p[i] * decay - (mi / denom) * step;
  }
}

/* params: Float64Array [decay, b1, 1 − b1, b2, 1 − b2, eps, step, bc2] */
static napi_value adamw(napi_env env, napi_callback_info cb) {
  size_t argc = 10;
  napi_value argv[10];
  Heap heap;
  int64_t off[7], n;
  napi_typedarray_type type;
  size_t count;
  void* data;
  napi_value ab;
  size_t bo;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  int ok = argc >= 10 && get_heap(env, argv[0], &heap);
  for (int i = 0; ok && i < 7; i++) ok = get_int(env, argv[1 + i], &off[i]);
  ok = ok && get_int(env, argv[8], &n) && napi_get_typedarray_info(env, argv[9], &type, &count, &data, &ab, &bo) == napi_ok && type == napi_float64_array && count == 8;
  if (!ok) FAIL("adamw(heap, pOffset, mOffset, vOffset, gOffset, p1Offset, m1Offset, v1Offset, n, params: Float64Array(8))");
  if (n < 0) FAIL("adamw: n must be ≥ 0");
  for (int i = 0; i < 7; i++)
    if (!inside(&heap, off[i], n)) FAIL("adamw: an operand lies outside the heap");
  const double* q = (const double*)data;
  float* h = heap.data;
  adamw_rows(h + off[0], h + off[1], h + off[2], h + off[3], h + off[4], h + off[5], h + off[6], n, (float)q[0], (float)q[1], (float)q[2], (float)q[3], (float)q[4],
             (float)q[5], (float)q[6], (float)q[7]);
  return NULL;
}

/* e^x for x ≤ 0 (relative error about 2e-7; 0 below −87): 2^n · p(r), n = round(x·log2 e). */
static inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float shift = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer in the low bits */
  float t = x * 1.44269504f + shift;
  uint32_t tb;
  memcpy(&tb, &t, 4);
  t -= shift;
  const float r = (x - t * 0.693145752f) - t * 1.42860677e-6f;
  float p = 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t n = (int32_t)(tb - 0x4B400000u);
  const uint32_t sb = (uint32_t)(n + 127) << 23;
  float scale;
  memcpy(&scale, &sb, 4);
  return p * scale;
}

/* 1 + erf(z) given e = exp(−z²): Abramowitz–Stegun 7.1.26, as tfjs's Erf kernels compute it. */
static inline float one_plus_erf(float z, float e) {
  const float az = z < 0.0f ? -z : z;
  const float t = 1.0f / (1.0f + 0.3275911f * az);
  const float poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  const float erf_abs = 1.0f - poly * e;
  return z < 0.0f ? 1.0f - erf_abs : 1.0f + erf_abs;
}

VECTOR_CLONES static void gelu_loop(const float* restrict x, float* restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float z = x[i] * 0.707106781f;
    y[i] = 0.5f * x[i] * one_plus_erf(z, exp_nonpositive(-z * z));
  }
}

/* GELU'(x) = ½(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π). */
VECTOR_CLONES static void gelu_grad_loop(const float* restrict x, const float* restrict dy, float* restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float z = x[i] * 0.707106781f;
    const float e = exp_nonpositive(-z * z);
    dx[i] = dy[i] * (0.5f * one_plus_erf(z, e) + x[i] * e * 0.398942280f);
  }
}

static napi_value gelu(napi_env env, napi_callback_info cb) {
  size_t argc = 4;
  napi_value argv[4];
  Heap heap;
  int64_t x_off, y_off, n;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 4 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &x_off) || !get_int(env, argv[2], &y_off) || !get_int(env, argv[3], &n)) FAIL("gelu(heap, xOffset, yOffset, n)");
  if (!inside(&heap, x_off, n) || !inside(&heap, y_off, n)) FAIL("gelu: an operand lies outside the heap");
  gelu_loop(heap.data + x_off, heap.data + y_off, n);
  return NULL;
}

static napi_value gelu_grad(napi_env env, napi_callback_info cb) {
  size_t argc = 5;
  napi_value argv[5];
  Heap heap;
  int64_t x_off, dy_off, dx_off, n;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 5 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &x_off) || !get_int(env, argv[2], &dy_off) || !get_int(env, argv[3], &dx_off) || !get_int(env, argv[4], &n))
    FAIL("geluGrad(heap, xOffset, dyOffset, dxOffset, n)");
  if (!inside(&heap, x_off, n) || !inside(&heap, dy_off, n) || !inside(&heap, dx_off, n)) FAIL("geluGrad: an operand lies outside the heap");
  gelu_grad_loop(heap.data + x_off, heap.data + dy_off, heap.data + dx_off, n);
  return NULL;
}

/*
 * One softmax row: out = e^(x + b − max) / Σ. b may be NULL. The max and the sum keep 16
 * partial results (one vector register) so that they vectorise without -ffast-math; the
 * exp pass has no reduction in it for the same reason.
 */
#define LANES 16
VECTOR_CLONES static void softmax_row(const float* restrict x, const float* restrict b, float* restrict out, int64_t n) {
  if (b) {
    for (int64_t j = 0; j < n; j++) out[j] = x[j] + b[j];
  } else {
    memcpy(out, x, sizeof(float) * (size_t)n);
  }
  float lane[LANES];
  for (int l = 0; l < LANES; l++) lane[l] = -INFINITY;
  int64_t j = 0;
  for (; j + LANES <= n; j += LANES)
    for (int l = 0; l < LANES; l++) lane[l] = out[j + l] > lane[l] ? out[j + l] : lane[l];
  float top = -INFINITY;
  for (int l = 0; l < LANES; l++) top = lane[l] > top ? lane[l] : top;
  for (; j < n; j++) top = out[j] > top ? out[j] : top;
  if (top == -INFINITY) top = 0.0f; /* a row of −∞ (tfjs: NaN) gives 1/n: exp clamps at −87 */
  for (j = 0; j < n; j++) out[j] = exp_nonpositive(out[j] - top);
  for (int l = 0; l < LANES; l++) lane[l] = 0.0f;
  for (j = 0; j + LANES <= n; j += LANES)
    for (int l = 0; l < LANES; l++) lane[l] += out[j + l];
  float sum = 0.0f;
  for (int l = 0; l < LANES; l++) sum += lane[l];
  for (; j < n; j++) sum += out[j];
  const float inv = 1.0f / sum;
  for (j = 0; j < n; j++) out[j] *= inv;
}

static napi_value softmax(napi_env env, napi_callback_info cb) {
  size_t argc = 6;
  napi_value argv[6];
  Heap heap;
  uint32_t *xo, *bo, *oo;
  size_t nx, nb, no;
  int64_t rows, cols;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 6 || !get_heap(env, argv[0], &heap) || !get_u32_array(env, argv[1], &xo, &nx) || !get_u32_array(env, argv[2], &bo, &nb) || !get_u32_array(env, argv[3], &oo, &no) ||
      !get_int(env, argv[4], &rows) || !get_int(env, argv[5], &cols))
    FAIL("softmax(heap, xOffsets, biasOffsets, outOffsets: Uint32Array, rows, cols)");
  if (rows < 0 || cols < 0 || nx != no || (nb != 0 && nb != nx)) FAIL("softmax: negative size or offset arrays of different lengths");
  for (size_t i = 0; i < nx; i++) {
    if (!inside(&heap, xo[i], rows * cols) || !inside(&heap, oo[i], rows * cols) || (nb && !inside(&heap, bo[i], rows * cols))) FAIL("softmax: an operand lies outside the heap");
  }
  if (cols == 0) return NULL;
  for (size_t i = 0; i < nx; i++) {
    for (int64_t r = 0; r < rows; r++) {
      softmax_row(heap.data + xo[i] + r * cols, nb ? heap.data + bo[i] + r * cols : NULL, heap.data + oo[i] + r * cols, cols);
    }
  }
  return NULL;
}

VECTOR_CLONES static void softmax_grad_rows(const float* restrict p, const float* restrict dp, const float* restrict r, float* restrict ds, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; i++) {
    const float ri = r[i];
    const float* pi = p + i * cols;
    const float* dpi = dp + i * cols;
    float* dsi = ds + i * cols;
    for (int64_t j = 0; j < cols; j++) dsi[j] = pi[j] * (dpi[j] - ri);
  }
}

static napi_value softmax_grad(napi_env env, napi_callback_info cb) {
  size_t argc = 7;
  napi_value argv[7];
  Heap heap;
  int64_t p_off, dp_off, r_off, ds_off, rows, cols;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 7 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &p_off) || !get_int(env, argv[2], &dp_off) || !get_int(env, argv[3], &r_off) || !get_int(env, argv[4], &ds_off) ||
      !get_int(env, argv[5], &rows) || !get_int(env, argv[6], &cols))
    FAIL("softmaxGrad(heap, pOffset, dpOffset, rowOffset, dsOffset, rows, cols)");
  if (rows < 0 || cols < 0 || !inside(&heap, p_off, rows * cols) || !inside(&heap, dp_off, rows * cols) || !inside(&heap, r_off, rows) || !inside(&heap, ds_off, rows * cols))
    FAIL("softmaxGrad: an operand lies outside the heap");
  softmax_grad_rows(heap.data + p_off, heap.data + dp_off, heap.data + r_off, heap.data + ds_off, rows, cols);
  return NULL;
}

static napi_value gather(napi_env env, napi_callback_info cb) {
  size_t argc = 8;
  napi_value argv[8];
  Heap heap;
  int64_t x_off, i_off, o_off, outer, n, inner, count;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 8 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &x_off) || !get_int(env, argv[2], &i_off) || !get_int(env, argv[3], &o_off) || !get_int(env, argv[4], &outer) ||
      !get_int(env, argv[5], &n) || !get_int(env, argv[6], &inner) || !get_int(env, argv[7], &count))
    FAIL("gather(heap, xOffset, indicesOffset, outOffset, outer, n, inner, count)");
  if (outer < 0 || n < 0 || inner < 0 || count < 0 || !inside(&heap, x_off, outer * n * inner) || !inside(&heap, i_off, count) || !inside(&heap, o_off, outer * count * inner))
    FAIL("gather: an operand lies outside the heap");
  const int32_t* idx = (const int32_t*)(heap.data + i_off);
  for (int64_t j = 0; j < count; j++) {
    if (idx[j] < 0 || idx[j] >= n) {
      char msg[160];
      snprintf(msg, sizeof msg, "GatherV2: the index value %d is not in [0, %lld]", idx[j], (long long)(n - 1));
      FAIL(msg);
    }
  }
  const float* x = heap.data + x_off;
  float* out = heap.data + o_off;
  for (int64_t o = 0; o < outer; o++) {
    const float* xo = x + o * n * inner;
    float* dst = out + o * count * inner;
    if (inner == 1) {
      for (int64_t j = 0; j < count; j++) dst[j] = xo[idx[j]];
    } else if (inner <= 8) {
      for (int64_t j = 0; j < count; j++) {
        const float* src = xo + (int64_t)idx[j] * inner;
        for (int64_t c = 0; c < inner; c++) dst[j * inner + c] = src[c];
      }
    } else {
      for (int64_t j = 0; j < count; j++) memcpy(dst + j * inner, xo + (int64_t)idx[j] * inner, sizeof(float) * (size_t)inner);
    }
  }
  return NULL;
}

/*
 * One Skate-MSA branch, fused: partition gather → q·kᵀ·scale + relative bias → softmax →
 * attention dropout → ·v → un-partition, forward in one call and backward (d chunk, d bias
 * table) in one call, instead of the dozens of tfjs kernels and tape entries of the composed
 * path. The windows are small (n tokens, n ≤ ~100) and the head dims tiny (1–12), so the loops
 * are written out here: OpenBLAS calls would cost more than they compute.
 *
 * Layouts (row-major, as the wasm backend stores tensors):
 *   chunk  [B, P, 3, H, d]   P = T·V tokens; q | k | v, each head-major
 *   out    [B, P, H, d]      the branch output, heads merged, tokens back in grid order
 *   table  [rows, H]         the relative-bias table (row r, head h at r·H + h)
 *   partition [W·n]          flat token of window w, position j (a permutation of 0…P−1:
 *                            src/models/ops.ts checks it once per table)
 *   biasIndex [n·n]          table row of each (query, key) pair of a window
 * Dropout: the mask of the composed path exactly: multipliers over [B·W, H, n, n] in
 * row-major order drawn by sfc32 as src/core/random.ts's Rng(seed).fillDropoutMask does
 * (rate 0: none). params [scale, rate, seed, mask byte offset or −1]: with an offset, the
 * forward pass writes the mask there as one byte per entry and the backward pass reads it
 * back instead of drawing it again (without one, each pass draws it). The backward pass
 * recomputes the attention map, so no n×n floats are kept between the passes.
 * Work is split over windows·heads on up to `threads` threads (pthreads; setThreads sets it).
 */
typedef struct {
  uint32_t a, b, c, d;
} Sfc32;

static uint32_t sfc32_next(Sfc32* r) {
  const uint32_t t = r->a + r->b + r->d;
  r->d += 1;
  r->a = r->b ^ (r->b >> 9);
  r->b = r->c + (r->c << 3);
  r->c = (r->c << 21) | (r->c >> 11);
  r->c += t;
  return t;
}

/* Rng's constructor: four splitmix32 outputs, then 12 draws discarded. */
static void sfc32_seed(Sfc32* r, uint32_t seed) {
  uint32_t s = seed, v[4];
  for (int i = 0; i < 4; i++) {
    s += 0x9e3779b9u;
    uint32_t z = s;
    z = (z ^ (z >> 16)) * 0x21f0aaadu;
    z = (z ^ (z >> 15)) * 0x735a2d97u;
    v[i] = z ^ (z >> 15);
  }
  r->a = v[0], r->b = v[1], r->c = v[2], r->d = v[3];
  for (int i = 0; i < 12; i++) sfc32_next(r);
}

/* keep[i] = 1 where Rng(seed).fillDropoutMask(…, rate) keeps element i (u·2³² ≥ rate·2³²). */
static void dropout_keep(uint8_t* keep, int64_t count, double rate, uint32_t seed) {
  Sfc32 r;
  sfc32_seed(&r, seed);
  const double threshold = rate * 4294967296.0;
  for (int64_t i = 0; i < count; i++) keep[i] = (double)sfc32_next(&r) >= threshold;
}

static int worker_count(void) {
  const int n = native_threads > 0 ? native_threads : openblas_get_num_threads();
  return n < 1 ? 1 : (n > 64 ? 64 : n);
}

typedef struct {
  const float* chunk;
  const float* bias_map; /* [H, n (key), NI (query)]: the table gathered once per call, transposed, queries padded with 0 */
  const float* dy;       /* backward only */
  float* out;            /* forward: out; backward: d chunk */
  double* dbias;         /* backward: this worker's Σ dS, laid out as bias_map */
  const int32_t* partition;
  const uint8_t* keep; /* NULL: no dropout */
  int64_t B, P, W, n, H, d;
  int64_t in_stride, in_col, out_stride, out_col; /* floats per token and first channel of chunk / out */
  float scale, keep_scale;
  int64_t first, last; /* the (b·W + w)·H + h items of this worker */
  int failed;
} SkateWork;

/*
 * The Skate-MSA branch kernels work on 16 queries at a time, one per SIMD lane (LANES): every
 * loop of the forward pass runs down the lanes, so the scores, the softmax (max, exp, sum) and
 * P·V need no horizontal sums, and the windows' n (32 or 40 tokens with 3- to 6-wide heads) no
 * scalar tails; the earlier row-wise kernels spent most of their time in both. Queries are
 * padded to NI = n rounded up to 16 (zero q and bias; those lanes are computed and dropped).
 * Backward, dK and dV sum over the queries, so they are kept as lane vectors per (key,
 * channel) and summed across the lanes once per item.
 */
/* Queries rounded up to whole lane vectors. */
static inline int64_t lanes_of(int64_t n) { return (n + LANES - 1) / LANES * LANES; }
/* Scratch of one worker: qᵀ (scaled) [d][NI], the dropout multipliers [n][NI] (key-major), the map
   of one lane block [n][LANES], its output [d][LANES], k and v [n][d]. */
typedef struct {
  float *qt, *kk, *vv, *s, *mt, *o;
} SkateLanes;

/* The floats a SkateLanes takes. */
static size_t skate_lanes_floats(int64_t n, int64_t d) {
  const int64_t NI = lanes_of(n);
  return (size_t)(d * NI + 2 * n * d + n * LANES + n * NI + d * LANES);
}

/* Points s into `all` (skate_lanes_floats(n, d) floats). */
static void skate_lanes_layout(SkateLanes* s, float* all, int64_t n, int64_t d) {
  const int64_t NI = lanes_of(n);
  s->qt = all, s->mt = s->qt + d * NI, s->s = s->mt + n * NI, s->o = s->s + n * LANES, s->kk = s->o + d * LANES, s->vv = s->kk + n * d;
}

/* Zeroed scratch of `floats` floats, 64-byte aligned (the lane vectors); NULL when out of memory. */
static float* lanes_scratch(size_t floats) {
  const size_t bytes = ((floats + 16) * sizeof(float) + 63) / 64 * 64;
  float* all = (float*)aligned_alloc(64, bytes);
  if (all) memset(all, 0, bytes);
  return all;
}

static float* skate_lanes_alloc(SkateLanes* s, int64_t n, int64_t d) {
  float* all = lanes_scratch(skate_lanes_floats(n, d));
  if (all) skate_lanes_layout(s, all, n, d);
  return all;
}

/*
 * One (sample, window, head) item into the scratch: qᵀ (scaled) and k, v of its tokens, and with
 * dropout its multipliers turned key-major (the mask itself stays query-major, as the composed
 * path draws it).
 */
static inline void lanes_load(const SkateWork* w, const SkateLanes* s, int64_t item, const int32_t* tokens, int64_t b, int64_t h) {
  const int64_t n = w->n, d = w->d, H = w->H, NI = lanes_of(n);
  for (int64_t i = 0; i < n; i++) {
    const float* row = w->chunk + (b * w->P + tokens[i]) * w->in_stride + w->in_col + h * d;
    for (int64_t c = 0; c < d; c++) {
      s->qt[c * NI + i] = row[c] * w->scale;
      s->kk[i * d + c] = row[H * d + c];
      s->vv[i * d + c] = row[2 * H * d + c];
    }
  }
  if (w->keep) {
    const uint8_t* keep = w->keep + item * n * n;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) s->mt[j * NI + i] = (float)keep[i * n + j] * w->keep_scale;
  }
}

/*
 * The attention map of queries i0 … i0 + 15 (one per lane) in lane vectors: s->s[j] = e^(S − max)
 * for every key j, with S = bias + q·kᵀ (q scaled), and inv = 1 / Σⱼ e^(S − max) per lane.
 */
static inline void lanes_map(const SkateLanes* s, const float* restrict biasT, int64_t n, int64_t d, int64_t NI, int64_t i0, float* restrict inv) {
  float mx[LANES], sum[LANES];
  for (int l = 0; l < LANES; l++) mx[l] = -INFINITY, sum[l] = 0.0f;
  for (int64_t j = 0; j < n; j++) {
    float acc[LANES];
    const float* bj = biasT + j * NI + i0;
#pragma omp simd
    for (int l = 0; l < LANES; l++) acc[l] = bj[l];
    for (int64_t c = 0; c < d; c++) {
      const float kc = s->kk[j * d + c];
      const float* q = s->qt + c * NI + i0;
#pragma omp simd
      for (int l = 0; l < LANES; l++) acc[l] += kc * q[l];
    }
    float* sj = s->s + j * LANES;
#pragma omp simd
    for (int l = 0; l < LANES; l++) {
      sj[l] = acc[l];
      mx[l] = acc[l] > mx[l] ? acc[l] : mx[l];
    }
  }
  for (int64_t j = 0; j < n; j++) {
    float* sj = s->s + j * LANES;
#pragma omp simd
    for (int l = 0; l < LANES; l++) {
      const float e = exp_nonpositive(sj[l] - mx[l]);
      sj[l] = e;
      sum[l] += e;
    }
  }
  for (int l = 0; l < LANES; l++) inv[l] = 1.0f / sum[l];
}

VECTOR_CLONES static void* skate_forward_lanes(void* arg) {
  SkateWork* w = (SkateWork*)arg;
  const int64_t n = w->n, d = w->d, H = w->H, NI = lanes_of(n);
  SkateLanes s;
  float* all = skate_lanes_alloc(&s, n, d);
  if (!all) {
    w->failed = 1;
    return NULL;
  }
  for (int64_t item = w->first; item < w->last; item++) {
    const int64_t h = item % H, bw = item / H, win = bw % w->W, b = bw / w->W;
    const int32_t* tokens = w->partition + win * n;
    lanes_load(w, &s, item, tokens, b, h);
    const float* biasT = w->bias_map + h * n * NI; /* [j][i], i padded to NI */
    for (int64_t i0 = 0; i0 < NI; i0 += LANES) {
      float sum[LANES]; /* 1 / Σⱼ per query */
      lanes_map(&s, biasT, n, d, NI, i0, sum);
      for (int64_t e = 0; e < d * LANES; e++) s.o[e] = 0.0f;
      for (int64_t j = 0; j < n; j++) {
        float p[LANES];
        const float* sj = s.s + j * LANES;
        if (w->keep) {
          const float* mj = s.mt + j * NI + i0;
#pragma omp simd
          for (int l = 0; l < LANES; l++) p[l] = sj[l] * sum[l] * mj[l];
        } else {
#pragma omp simd
          for (int l = 0; l < LANES; l++) p[l] = sj[l] * sum[l];
        }
        for (int64_t c = 0; c < d; c++) {
          const float vc = s.vv[j * d + c];
          float* oc = s.o + c * LANES;
#pragma omp simd
          for (int l = 0; l < LANES; l++) oc[l] += p[l] * vc;
        }
      }
      const int64_t last = n - i0 < LANES ? n - i0 : LANES;
      for (int64_t l = 0; l < last; l++) {
        float* o = w->out + (b * w->P + tokens[i0 + l]) * w->out_stride + w->out_col + h * d;
        for (int64_t c = 0; c < d; c++) o[c] = s.o[c * LANES + l];
      }
    }
  }
  free(all);
  return NULL;
}

/* Backward scratch: the forward's plus dOᵀ [d][NI], dP [n][LANES], dQ [d][LANES], dK and dV as lane vectors [n][d][LANES]. */
typedef struct {
  SkateLanes f;
  float *dot, *dp, *dq, *dkv, *dvv;
} SkateLanesGrad;

static float* skate_lanes_grad_alloc(SkateLanesGrad* s, int64_t n, int64_t d) {
  const int64_t NI = lanes_of(n);
  const size_t fwd = skate_lanes_floats(n, d);
  float* all = lanes_scratch(fwd + (size_t)(d * NI + n * LANES + d * LANES + 2 * n * d * LANES));
  if (!all) return NULL;
  skate_lanes_layout(&s->f, all, n, d);
  s->dot = all + fwd, s->dp = s->dot + d * NI, s->dq = s->dp + n * LANES, s->dkv = s->dq + d * LANES, s->dvv = s->dkv + n * d * LANES;
  return all;
}

VECTOR_CLONES static void* skate_backward_lanes(void* arg) {
  SkateWork* w = (SkateWork*)arg;
  const int64_t n = w->n, d = w->d, H = w->H, NI = lanes_of(n);
  SkateLanesGrad g;
  float* all = skate_lanes_grad_alloc(&g, n, d);
  if (!all) {
    w->failed = 1;
    return NULL;
  }
  SkateLanes s = g.f;
  const float scale = w->scale;
  for (int64_t item = w->first; item < w->last; item++) {
    const int64_t h = item % H, bw = item / H, win = bw % w->W, b = bw / w->W;
    const int32_t* tokens = w->partition + win * n;
    lanes_load(w, &s, item, tokens, b, h);
    for (int64_t i = 0; i < n; i++) {
      const float* go = w->dy + (b * w->P + tokens[i]) * w->out_stride + w->out_col + h * d; /* dO of token i */
      for (int64_t c = 0; c < d; c++) g.dot[c * NI + i] = go[c];
    }
    memset(g.dkv, 0, sizeof(float) * (size_t)(2 * n * d * LANES));
    const float* biasT = w->bias_map + h * n * NI;
    double* dbiasT = w->dbias + h * n * NI;
    for (int64_t i0 = 0; i0 < NI; i0 += LANES) {
      float sum[LANES], r[LANES];
      for (int l = 0; l < LANES; l++) r[l] = 0.0f;
      lanes_map(&s, biasT, n, d, NI, i0, sum);
      /* P, dP = (dO · vᵀ) ⊙ mask, r = Σⱼ dP ⊙ P, dV += (P ⊙ mask)ᵀ · dO */
      for (int64_t j = 0; j < n; j++) {
        float* sj = s.s + j * LANES;
        float* dpj = g.dp + j * LANES;
        float p[LANES], dp[LANES], pd[LANES];
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
          p[l] = sj[l] * sum[l];
          sj[l] = p[l];
          dp[l] = 0.0f;
        }
        for (int64_t c = 0; c < d; c++) {
          const float vc = s.vv[j * d + c];
          const float* oc = g.dot + c * NI + i0;
#pragma omp simd
          for (int l = 0; l < LANES; l++) dp[l] += vc * oc[l];
        }
        if (w->keep) {
          const float* mj = s.mt + j * NI + i0;
#pragma omp simd
          for (int l = 0; l < LANES; l++) {
            pd[l] = p[l] * mj[l];
            dp[l] *= mj[l];
          }
        } else {
#pragma omp simd
          for (int l = 0; l < LANES; l++) pd[l] = p[l];
        }
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
          dpj[l] = dp[l];
          r[l] += dp[l] * p[l];
        }
        for (int64_t c = 0; c < d; c++) {
          const float* oc = g.dot + c * NI + i0;
          float* dv = g.dvv + (j * d + c) * LANES;
#pragma omp simd
          for (int l = 0; l < LANES; l++) dv[l] += pd[l] * oc[l];
        }
      }
      /* dS = P ⊙ (dP − r); d bias += dS; dQ = scale · dS · k; dK += dSᵀ · (scale · q) */
      for (int64_t e = 0; e < d * LANES; e++) g.dq[e] = 0.0f;
      for (int64_t j = 0; j < n; j++) {
        const float* pj = s.s + j * LANES;
        const float* dpj = g.dp + j * LANES;
        float ds[LANES];
        double* dbj = dbiasT + j * NI + i0;
#pragma omp simd
        for (int l = 0; l < LANES; l++) {
          ds[l] = pj[l] * (dpj[l] - r[l]);
          dbj[l] += ds[l];
        }
        for (int64_t c = 0; c < d; c++) {
          const float kc = s.kk[j * d + c];
          const float* q = s.qt + c * NI + i0;
          float* dq = g.dq + c * LANES;
          float* dk = g.dkv + (j * d + c) * LANES;
#pragma omp simd
          for (int l = 0; l < LANES; l++) {
            dq[l] += ds[l] * kc;
            dk[l] += ds[l] * q[l];
          }
        }
      }
      const int64_t last = n - i0 < LANES ? n - i0 : LANES;
      for (int64_t l = 0; l < last; l++) {
        float* row = w->out + (b * w->P + tokens[i0 + l]) * w->in_stride + w->in_col + h * d;
        for (int64_t c = 0; c < d; c++) row[c] = g.dq[c * LANES + l] * scale;
      }
    }
    for (int64_t j = 0; j < n; j++) {
      float* row = w->out + (b * w->P + tokens[j]) * w->in_stride + w->in_col + h * d;
      for (int64_t c = 0; c < d; c++) {
        const float* dk = g.dkv + (j * d + c) * LANES;
        const float* dv = g.dvv + (j * d + c) * LANES;
        float sk = 0.0f, sv = 0.0f;
#pragma omp simd reduction(+ : sk, sv)
        for (int l = 0; l < LANES; l++) {
          sk += dk[l];
          sv += dv[l];
        }
        row[H * d + c] = sk;
        row[2 * H * d + c] = sv;
      }
    }
  }
  free(all);
  return NULL;
}

typedef struct {
  SkateWork* works;
  void* (*fn)(void*);
} SkateJob;

static void skate_part(void* ctx, int part, int parts) {
  (void)parts;
  const SkateJob* job = (const SkateJob*)ctx;
  job->fn(&job->works[part]);
}

/* Runs `fn` over items [0, count) split into contiguous ranges, one per worker of the pool. */
static int run_workers(SkateWork* base, int64_t count, int workers, void* (*fn)(void*), SkateWork* works) {
  for (int t = 0; t < workers; t++) {
    works[t] = *base;
    works[t].first = count * t / workers;
    works[t].last = count * (t + 1) / workers;
    if (base->dbias) works[t].dbias = base->dbias + (int64_t)t * base->H * base->n * lanes_of(base->n);
  }
  SkateJob job = {works, fn};
  pool_run(skate_part, &job, workers);
  int failed = 0;
  for (int t = 0; t < workers; t++) failed |= works[t].failed;
  return !failed;
}

/* dims: Int32Array [B, P, W, n, H, d, rows]; params: Float64Array [scale, rate, seed]. */
static napi_value skate_attention_impl(napi_env env, napi_callback_info cb, int backward) {
  size_t argc = 10;
  napi_value argv[10];
  Heap heap;
  int64_t chunk_off, table_off, dy_off = -1, out_off, dtable_off = -1;
  int32_t *partition, *bias_index, *dims;
  size_t np, nb, nd;
  napi_typedarray_type type;
  size_t nparams;
  void* params_data;
  napi_value ab;
  size_t bo;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  const size_t want = backward ? 10 : 8;
  int k = 1;
  int ok = argc >= want && get_heap(env, argv[0], &heap) && get_int(env, argv[k++], &chunk_off) && get_int(env, argv[k++], &table_off);
  if (ok && backward) ok = get_int(env, argv[k++], &dy_off);
  ok = ok && get_int(env, argv[k++], &out_off);
  if (ok && backward) ok = get_int(env, argv[k++], &dtable_off);
  ok = ok && get_i32_array(env, argv[k++], &partition, &np) && get_i32_array(env, argv[k++], &bias_index, &nb) && get_i32_array(env, argv[k++], &dims, &nd) &&
       napi_get_typedarray_info(env, argv[k++], &type, &nparams, &params_data, &ab, &bo) == napi_ok && type == napi_float64_array && nparams == 4 && (nd == 7 || nd == 11);
  if (!ok)
    FAIL(backward ? "skateAttentionGrad(heap, chunkOffset, tableOffset, dyOffset, dChunkOffset, dTableOffset, partition, biasIndex, dims: Int32Array(7), params: Float64Array(4))"
                  : "skateAttention(heap, chunkOffset, tableOffset, outOffset, partition, biasIndex, dims: Int32Array(7), params: Float64Array(4))");
  const double* params = (const double*)params_data;
  const int64_t B = dims[0], P = dims[1], W = dims[2], n = dims[3], H = dims[4], d = dims[5], rows = dims[6];
  /* Optional [in stride, in column, out stride, out column]: the chunk (and d chunk) as channels
     in_col… of rows of in_stride floats, the output (and dy) as channels out_col… of rows of
     out_stride floats, so a branch reads the mapping output and writes the block's buffer in place. */
  const int64_t in_stride = nd == 11 ? dims[7] : 3 * H * d, in_col = nd == 11 ? dims[8] : 0;
  const int64_t out_stride = nd == 11 ? dims[9] : H * d, out_col = nd == 11 ? dims[10] : 0;
  const double rate = params[1];
  if (B < 0 || P < 0 || W < 0 || n < 0 || H < 0 || d < 0 || rows < 0 || W * n != P || (int64_t)np != W * n || (int64_t)nb != n * n || !(rate >= 0.0 && rate < 1.0))
    FAIL("skateAttention: dims [B, P, W, n, H, d, rows] must be non-negative with W·n = P = partition length, n·n = biasIndex length, and rate in [0, 1)");
  if (in_col < 0 || in_col + 3 * H * d > in_stride || out_col < 0 || out_col + H * d > out_stride)
    FAIL("skateAttention: the chunk's (or output's) channels must lie inside its rows");
  const int64_t chunk_size = B * P * in_stride, out_size = B * P * out_stride;
  if (!inside(&heap, chunk_off, chunk_size) || !inside(&heap, table_off, rows * H) || !inside(&heap, out_off, backward ? chunk_size : out_size) ||
      (backward && (!inside(&heap, dy_off, out_size) || !inside(&heap, dtable_off, rows * H))))
    FAIL("skateAttention: an operand lies outside the heap");
  for (size_t i = 0; i < np; i++)
    if (partition[i] < 0 || partition[i] >= P) FAIL("skateAttention: a partition entry is not a token of the grid");
  for (size_t i = 0; i < nb; i++)
    if (bias_index[i] < 0 || bias_index[i] >= rows) FAIL("skateAttention: a bias index is not a row of the table");
  if (backward) memset(heap.data + dtable_off, 0, sizeof(float) * (size_t)(rows * H));
  const int64_t items = B * W * H;
  if (items == 0 || d == 0) {
    if (backward)
      for (int64_t r = 0; r < B * P; r++) memset(heap.data + out_off + r * in_stride + in_col, 0, sizeof(float) * (size_t)(3 * H * d));
    return NULL;
  }
  /* The mask: in the heap where the caller gave a byte offset (the forward pass draws it there and
     the backward pass reads it back), else drawn into a buffer of our own. */
  const double mask_at = params[3];
  const int64_t mask_size = items * n * n;
  uint8_t* heap_mask = NULL;
  if (rate > 0.0 && mask_at >= 0.0) {
    if ((uint64_t)mask_at + (uint64_t)mask_size > (uint64_t)heap.length * 4u) FAIL("skateAttention: the mask lies outside the heap");
    heap_mask = (uint8_t*)heap.data + (int64_t)mask_at;
  }
  uint8_t* keep = NULL;
  if (rate > 0.0) {
    if (heap_mask && backward) {
      keep = heap_mask;
    } else {
      keep = heap_mask ? heap_mask : (uint8_t*)malloc((size_t)mask_size);
      if (!keep) FAIL("skateAttention: out of memory for the dropout mask");
      dropout_keep(keep, mask_size, rate, (uint32_t)params[2]);
    }
  }
  uint8_t* own_keep = keep == heap_mask ? NULL : keep;
  /* The pool's threads only where there is enough work to pay for handing it over. */
  int workers = worker_count();
  const int64_t work = items * n * n * (d + 4);
  if (work < 50000) workers = 1;
  if (workers > items) workers = (int)items;
  double* dbias = NULL;
  if (backward) {
    dbias = (double*)calloc((size_t)(workers * H * n * lanes_of(n)), sizeof(double));
    if (!dbias) {
      free(own_keep);
      FAIL("skateAttention: out of memory");
    }
  }
  /* The bias of every (head, key, query), gathered once: lane vectors of queries for the loops. */
  const int64_t NI = lanes_of(n);
  float* bias_map = (float*)calloc((size_t)(H * n * NI), sizeof(float));
  if (!bias_map) {
    free(own_keep);
    free(dbias);
    FAIL("skateAttention: out of memory");
  }
  const float* table = heap.data + table_off;
  for (int64_t h = 0; h < H; h++)
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) bias_map[(h * n + j) * NI + i] = table[(int64_t)bias_index[i * n + j] * H + h];
  SkateWork base = {heap.data + chunk_off, bias_map, backward ? heap.data + dy_off : NULL, heap.data + out_off, dbias, partition, keep,
                    B, P, W, n, H, d, in_stride, in_col, out_stride, out_col, (float)params[0], (float)(1.0 / (1.0 - rate)), 0, 0, 0};
  SkateWork works[64];
  const int done = run_workers(&base, items, workers, backward ? skate_backward_lanes : skate_forward_lanes, works);
  if (done && backward) {
    /* d table[r, h] = Σ over workers and the (query, key) pairs that read row r */
    double* acc = (double*)calloc((size_t)(rows * H), sizeof(double));
    if (acc) {
      for (int t = 0; t < workers; t++) {
        const double* part = dbias + (int64_t)t * H * n * NI;
        for (int64_t h = 0; h < H; h++)
          for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) acc[(int64_t)bias_index[i * n + j] * H + h] += part[(h * n + j) * NI + i];
      }
      float* dtable = heap.data + dtable_off;
      for (int64_t e = 0; e < rows * H; e++) dtable[e] = (float)acc[e];
      free(acc);
    }
    if (!acc) {
      free(own_keep);
      free(dbias);
      free(bias_map);
      FAIL("skateAttention: out of memory");
    }
  }
  free(own_keep);
  free(dbias);
  free(bias_map);
  if (!done) FAIL("skateAttention: out of memory for a worker's scratch");
  return NULL;
}

static napi_value skate_attention(napi_env env, napi_callback_info cb) { return skate_attention_impl(env, cb, 0); }
static napi_value skate_attention_grad(napi_env env, napi_callback_info cb) { return skate_attention_impl(env, cb, 1); }

/*
 * copyColumns(heap, srcOffset, srcStride, srcColumn, dstOffset, dstStride, dstColumn, rows, width):
 * dst[r·dstStride + dstColumn + j] = src[r·srcStride + srcColumn + j] for r < rows, j < width. Puts
 * G-Conv's and T-Conv's outputs (and input gradients) in their channels of the block's buffers
 * and takes their inputs out of the mapping output, instead of a split and a concat.
 */
static napi_value copy_columns(napi_env env, napi_callback_info cb) {
  size_t argc = 9;
  napi_value argv[9];
  Heap heap;
  int64_t v[8];
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  int ok = argc == 9 && get_heap(env, argv[0], &heap);
  for (int i = 0; ok && i < 8; i++) ok = get_int(env, argv[i + 1], &v[i]);
  if (!ok) FAIL("copyColumns(heap, srcOffset, srcStride, srcColumn, dstOffset, dstStride, dstColumn, rows, width)");
  const int64_t src = v[0], ss = v[1], sc = v[2], dst = v[3], ds = v[4], dc = v[5], rows = v[6], width = v[7];
  if (rows < 0 || width < 0 || sc < 0 || dc < 0 || sc + width > ss || dc + width > ds)
    FAIL("copyColumns: the columns must lie inside the rows");
  if (rows == 0 || width == 0) return NULL;
  if (!inside(&heap, src, rows * ss) || !inside(&heap, dst, rows * ds)) FAIL("copyColumns: an operand lies outside the heap");
  for (int64_t r = 0; r < rows; r++) memcpy(heap.data + dst + r * ds + dc, heap.data + src + r * ss + sc, sizeof(float) * (size_t)width);
  return NULL;
}

/*
 * Layer normalisation over the last axis, y = γ·(x − mean)·rstd + β with rstd = 1/√(var + eps)
 * (biased variance, two passes as tfjs's moments compute it), and its backward in one pass
 * over the rows: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)) with dx̂ = dy ⊙ γ, dγ = Σ dy ⊙ x̂,
 * dβ = Σ dy (sums over rows in double). The statistics are recomputed in the backward pass
 * rather than kept: two passes over a row of C floats.
 */
/* Mean and 1/std of one row (biased variance, two passes); inlined into each vector clone of its callers. */
static inline __attribute__((always_inline)) void row_stats(const float* restrict xr, int64_t cols, float inv, float eps, float* mean, float* rstd) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < cols; j++) sum += xr[j];
  const float m = sum * inv;
  float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
  for (int64_t j = 0; j < cols; j++) sq += (xr[j] - m) * (xr[j] - m);
  *mean = m;
  *rstd = 1.0f / sqrtf(sq * inv + eps);
}

VECTOR_CLONES static void layer_norm_rows(const float* restrict x, const float* restrict g, const float* restrict b, float* restrict y, int64_t rows, int64_t cols,
                                          float eps) {
  const float inv = 1.0f / (float)cols;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float mean, rstd;
    row_stats(xr, cols, inv, eps, &mean, &rstd);
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - mean) * rstd * g[j] + b[j];
  }
}

VECTOR_CLONES static void layer_norm_grad_rows(const float* restrict x, const float* restrict g, const float* restrict dy, float* restrict dx, double* restrict dg,
                                               double* restrict db, float* restrict xhat, int64_t rows, int64_t cols, float eps) {
  const float inv = 1.0f / (float)cols;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    float mean, rstd;
    row_stats(xr, cols, inv, eps, &mean, &rstd);
    float a = 0.0f, c = 0.0f;
#pragma omp simd reduction(+ : a, c)
    for (int64_t j = 0; j < cols; j++) {
      xhat[j] = (xr[j] - mean) * rstd;
      const float dxh = dyr[j] * g[j];
      a += dxh;
      c += dxh * xhat[j];
    }
    a *= inv;
    c *= inv;
    for (int64_t j = 0; j < cols; j++) {
      dxr[j] = rstd * (dyr[j] * g[j] - a - xhat[j] * c);
      dg[j] += (double)(dyr[j] * xhat[j]);
      db[j] += (double)dyr[j];
    }
  }
}

static napi_value layer_norm(napi_env env, napi_callback_info cb) {
  size_t argc = 8;
  napi_value argv[8];
  Heap heap;
  int64_t x_off, g_off, b_off, y_off, rows, cols;
  double eps;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 8 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &x_off) || !get_int(env, argv[2], &g_off) || !get_int(env, argv[3], &b_off) || !get_int(env, argv[4], &y_off) ||
      !get_int(env, argv[5], &rows) || !get_int(env, argv[6], &cols) || napi_get_value_double(env, argv[7], &eps) != napi_ok)
    FAIL("layerNorm(heap, xOffset, gammaOffset, betaOffset, yOffset, rows, cols, eps)");
  if (rows < 0 || cols < 1 || !inside(&heap, x_off, rows * cols) || !inside(&heap, y_off, rows * cols) || !inside(&heap, g_off, cols) || !inside(&heap, b_off, cols))
    FAIL("layerNorm: an operand lies outside the heap");
  layer_norm_rows(heap.data + x_off, heap.data + g_off, heap.data + b_off, heap.data + y_off, rows, cols, (float)eps);
  return NULL;
}

static napi_value layer_norm_grad(napi_env env, napi_callback_info cb) {
  size_t argc = 10;
  napi_value argv[10];
  Heap heap;
  int64_t x_off, g_off, dy_off, dx_off, dg_off, db_off, rows, cols;
  double eps;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  if (argc < 10 || !get_heap(env, argv[0], &heap) || !get_int(env, argv[1], &x_off) || !get_int(env, argv[2], &g_off) || !get_int(env, argv[3], &dy_off) ||
      !get_int(env, argv[4], &dx_off) || !get_int(env, argv[5], &dg_off) || !get_int(env, argv[6], &db_off) || !get_int(env, argv[7], &rows) || !get_int(env, argv[8], &cols) ||
      napi_get_value_double(env, argv[9], &eps) != napi_ok)
    FAIL("layerNormGrad(heap, xOffset, gammaOffset, dyOffset, dxOffset, dGammaOffset, dBetaOffset, rows, cols, eps)");
  if (rows < 0 || cols < 1 || !inside(&heap, x_off, rows * cols) || !inside(&heap, dy_off, rows * cols) || !inside(&heap, dx_off, rows * cols) || !inside(&heap, g_off, cols) ||
      !inside(&heap, dg_off, cols) || !inside(&heap, db_off, cols))
    FAIL("layerNormGrad: an operand lies outside the heap");
  double* sums = (double*)calloc((size_t)(2 * cols), sizeof(double));
  float* xhat = (float*)malloc(sizeof(float) * (size_t)cols);
  if (!sums || !xhat) {
    free(sums);
    free(xhat);
    FAIL("layerNormGrad: out of memory");
  }
  layer_norm_grad_rows(heap.data + x_off, heap.data + g_off, heap.data + dy_off, heap.data + dx_off, sums, sums + cols, xhat, rows, cols, (float)eps);
  float* dg = heap.data + dg_off;
  float* db = heap.data + db_off;
  for (int64_t j = 0; j < cols; j++) dg[j] = (float)sums[j], db[j] = (float)sums[cols + j];
  free(sums);
  free(xhat);
  return NULL;
}

/*
 * G-Conv, SkateFormer's token mixing by channel group: y[r, v, g·c + k] = Σᵤ A[g, v, u] ·
 * x[r, u, g·c + k] for rows r (batch · frames), tokens v, u < V, groups g < G of c channels.
 * A is spread once per call over the channels (a[v, u, g·c + k] = A[g, v, u]) so that each
 * (v, u) pair is one vector loop over all G·c channels, whatever the group width (c is 3 in
 * NTU's first stage); the backward pass gives dx the same way and dA as Σ over rows of
 * dy[r, v, :] ⊙ x[r, u, :], summed per group at the end.
 */
VECTOR_CLONES static void gconv_rows(const float* restrict x, const float* restrict a, float* restrict y, int64_t rows, int64_t V, int64_t C) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * V * C;
    float* yr = y + r * V * C;
    for (int64_t v = 0; v < V; v++) {
      float* yv = yr + v * C;
      for (int64_t ch = 0; ch < C; ch++) yv[ch] = 0.0f;
      for (int64_t u = 0; u < V; u++) {
        const float* xu = xr + u * C;
        const float* avu = a + (v * V + u) * C;
        for (int64_t ch = 0; ch < C; ch++) yv[ch] += avu[ch] * xu[ch];
      }
    }
  }
}

VECTOR_CLONES static void gconv_grad_rows(const float* restrict x, const float* restrict a, const float* restrict dy, float* restrict dx, float* restrict da, int64_t rows,
                                          int64_t V, int64_t C) {
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * V * C;
    const float* dyr = dy + r * V * C;
    float* dxr = dx + r * V * C;
    for (int64_t e = 0; e < V * C; e++) dxr[e] = 0.0f;
    for (int64_t v = 0; v < V; v++) {
      const float* dyv = dyr + v * C;
      for (int64_t u = 0; u < V; u++) {
        const float* avu = a + (v * V + u) * C;
        float* davu = da + (v * V + u) * C;
        const float* xu = xr + u * C;
        float* dxu = dxr + u * C;
        for (int64_t ch = 0; ch < C; ch++) {
          dxu[ch] += avu[ch] * dyv[ch];
          davu[ch] += dyv[ch] * xu[ch];
        }
      }
    }
  }
}

static napi_value gconv_impl(napi_env env, napi_callback_info cb, int backward) {
  size_t argc = 10;
  napi_value argv[10];
  Heap heap;
  int64_t x_off, a_off, dy_off = -1, out_off, da_off = -1, rows, V, G, c;
  CHECK(napi_get_cb_info(env, cb, &argc, argv, NULL, NULL));
  int k = 1;
  int ok = argc >= (size_t)(backward ? 10 : 8) && get_heap(env, argv[0], &heap) && get_int(env, argv[k++], &x_off) && get_int(env, argv[k++], &a_off);
  if (ok && backward) ok = get_int(env, argv[k++], &dy_off);
  ok = ok && get_int(env, argv[k++], &out_off);
  if (ok && backward) ok = get_int(env, argv[k++], &da_off);
  ok = ok && get_int(env, argv[k++], &rows) && get_int(env, argv[k++], &V) && get_int(env, argv[k++], &G) && get_int(env, argv[k++], &c);
  if (!ok)
    FAIL(backward ? "gconvGrad(heap, xOffset, aOffset, dyOffset, dxOffset, dAOffset, rows, V, G, c)" : "gconv(heap, xOffset, aOffset, yOffset, rows, V, G, c)");
  const int64_t C = G * c, size = rows * V * C;
  if (rows < 0 || V < 0 || G < 0 || c < 0 || !inside(&heap, x_off, size) || !inside(&heap, a_off, G * V * V) || !inside(&heap, out_off, size) ||
      (backward && (!inside(&heap, dy_off, size) || !inside(&heap, da_off, G * V * V))))
    FAIL("gconv: an operand lies outside the heap");
  if (backward) memset(heap.data + da_off, 0, sizeof(float) * (size_t)(G * V * V));
  if (size == 0) return NULL;
  float* spread = (float*)malloc(sizeof(float) * (size_t)(V * V * C) * (backward ? 2 : 1));
  if (!spread) FAIL("gconv: out of memory");
  const float* A = heap.data + a_off;
  for (int64_t v = 0; v < V; v++)
    for (int64_t u = 0; u < V; u++)
      for (int64_t g = 0; g < G; g++)
        for (int64_t j = 0; j < c; j++) spread[(v * V + u) * C + g * c + j] = A[(g * V + v) * V + u];
  if (!backward) {
    gconv_rows(heap.data + x_off, spread, heap.data + out_off, rows, V, C);
  } else {
    float* dspread = spread + V * V * C;
    memset(dspread, 0, sizeof(float) * (size_t)(V * V * C));
    gconv_grad_rows(heap.data + x_off, spread, heap.data + dy_off, heap.data + out_off, dspread, rows, V, C);
    float* dA = heap.data + da_off;
    for (int64_t v = 0; v < V; v++)
      for (int64_t u = 0; u < V; u++)
        for (int64_t g = 0; g < G; g++) {
          float sum = 0.0f;
          for (int64_t j = 0; j < c; j++) sum += dspread[(v * V + u) * C + g * c + j];
          dA[(g * V + v) * V + u] = sum;
        }
  }
  free(spread);
  return NULL;
}

static napi_value gconv(napi_env env, napi_callback_info cb) { return gconv_impl(env, cb, 0); }
static napi_value gconv_grad(napi_env env, napi_callback_info cb) { return gconv_impl(env, cb, 1); }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"info", NULL, info, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"biasActivation", NULL, bias_activation, NULL, NULL, NULL, napi_default, NULL},
      {"sumLeading", NULL, sum_leading, NULL, NULL, NULL, napi_default, NULL},
      {"conv2d", NULL, conv2d, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropInput", NULL, conv2d_backprop_input, NULL, NULL, NULL, napi_default, NULL},
      {"conv2dBackpropFilter", NULL, conv2d_backprop_filter, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, gelu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"softmax", NULL, softmax, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxGrad", NULL, softmax_grad, NULL, NULL, NULL, napi_default, NULL},
      {"gather", NULL, gather, NULL, NULL, NULL, napi_default, NULL},
      {"skateAttention", NULL, skate_attention, NULL, NULL, NULL, napi_default, NULL},
      {"skateAttentionGrad", NULL, skate_attention_grad, NULL, NULL, NULL, napi_default, NULL},
      {"copyColumns", NULL, copy_columns, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"gconv", NULL, gconv, NULL, NULL, NULL, napi_default, NULL},
      {"gconvGrad", NULL, gconv_grad, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
