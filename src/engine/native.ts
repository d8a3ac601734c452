/**
 * Loading skelact's native kernels (native/: a Node-API addon over OpenBLAS, built at install
 * by scripts/build-native.mjs). Node only: the browser bundle never imports this file (only
 * src/engine/backend.ts does, and the browser entry does not import that).
 *
 * Loading never throws: an addon that was not built, was built for another Node ABI, or whose
 * libopenblas.so is missing at run time gives one line saying why, and skelact keeps the stock
 * kernels. SKELACT_NATIVE_ADDON points at another .node file (tests use it for the failure
 * paths).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions (native/src/skelact_native.c documents each). */
export interface NativeAddon {
  /** avx512: whether the CPU runs AVX-512 (absent from builds before 2026-12-06). */
  info(): { config: string; corename: string; threads: number; avx512?: boolean };
  setThreads(n: number): void;
  gemm(
    heap: Float32Array,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    aOffsets: Uint32Array,
    bOffsets: Uint32Array,
    cOffsets: Uint32Array,
  ): void;
  biasActivation(
    heap: Float32Array,
    cOffset: number,
    rows: number,
    cols: number,
    biasOffset: number,
    biasSize: number,
    activation: number,
    alpha: number,
  ): void;
  sumLeading(heap: Float32Array, xOffset: number, rows: number, cols: number, outOffset: number): void;
  conv2d(heap: Float32Array, xOffset: number, wOffset: number, yOffset: number, geometry: Int32Array): void;
  conv2dBackpropInput(
    heap: Float32Array,
    dyOffset: number,
    wOffset: number,
    dxOffset: number,
    geometry: Int32Array,
  ): void;
  conv2dBackpropFilter(
    heap: Float32Array,
    xOffset: number,
    dyOffset: number,
    dwOffset: number,
    geometry: Int32Array,
  ): void;
  adamw(
    heap: Float32Array,
    pOffset: number,
    mOffset: number,
    vOffset: number,
    gOffset: number,
    p1Offset: number,
    m1Offset: number,
    v1Offset: number,
    n: number,
    params: Float64Array,
  ): void;
  gelu(heap: Float32Array, xOffset: number, yOffset: number, n: number): void;
  geluGrad(heap: Float32Array, xOffset: number, dyOffset: number, dxOffset: number, n: number): void;
  softmax(
    heap: Float32Array,
    xOffsets: Uint32Array,
    biasOffsets: Uint32Array,
    outOffsets: Uint32Array,
    rows: number,
    cols: number,
  ): void;
  softmaxGrad(
    heap: Float32Array,
    pOffset: number,
    dpOffset: number,
    rowOffset: number,
    dsOffset: number,
    rows: number,
    cols: number,
  ): void;
  gather(
    heap: Float32Array,
    xOffset: number,
    indicesOffset: number,
    outOffset: number,
    outer: number,
    n: number,
    inner: number,
    count: number,
  ): void;
  /**
   * dims [B, P, W, n, H, d, rows] or with [in stride, in column, out stride, out column] added (the
   * chunk and output as channel blocks of wider rows); params [scale, rate, seed, mask byte offset].
   */
  skateAttention(
    heap: Float32Array,
    chunkOffset: number,
    tableOffset: number,
    outOffset: number,
    partition: Int32Array,
    biasIndex: Int32Array,
    dims: Int32Array,
    params: Float64Array,
  ): void;
  skateAttentionGrad(
    heap: Float32Array,
    chunkOffset: number,
    tableOffset: number,
    dyOffset: number,
    dChunkOffset: number,
    dTableOffset: number,
    partition: Int32Array,
    biasIndex: Int32Array,
    dims: Int32Array,
    params: Float64Array,
  ): void;
  /** dst[r·dstStride + dstColumn + j] = src[r·srcStride + srcColumn + j], r < rows, j < width. */
  copyColumns(
    heap: Float32Array,
    srcOffset: number,
    srcStride: number,
    srcColumn: number,
    dstOffset: number,
    dstStride: number,
    dstColumn: number,
    rows: number,
    width: number,
  ): void;
  layerNorm(
    heap: Float32Array,
    xOffset: number,
    gammaOffset: number,
    betaOffset: number,
    yOffset: number,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  layerNormGrad(
    heap: Float32Array,
    xOffset: number,
    gammaOffset: number,
    dyOffset: number,
    dxOffset: number,
    dGammaOffset: number,
    dBetaOffset: number,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  gconv(
    heap: Float32Array,
    xOffset: number,
    aOffset: number,
    yOffset: number,
    rows: number,
    v: number,
    g: number,
    c: number,
  ): void;
  gconvGrad(
    heap: Float32Array,
    xOffset: number,
    aOffset: number,
    dyOffset: number,
    dxOffset: number,
    dAOffset: number,
    rows: number,
    v: number,
    g: number,
    c: number,
  ): void;
}

export type NativeLoad =
  { readonly addon: NativeAddon; readonly file: string } | { readonly addon?: undefined; readonly reason: string };

const require = createRequire(import.meta.url);

/** The package root: the nearest folder above this file with native/binding.gyp. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) return dirname(fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Where the addon is looked for: SKELACT_NATIVE_ADDON, else native/build/Release/skelact_native.node. */
export function nativeAddonPath(): string {
  return process.env.SKELACT_NATIVE_ADDON || join(packageRoot(), 'native', 'build', 'Release', 'skelact_native.node');
}

/** Why a load failed, in one line. */
function reasonOf(e: unknown, file: string): string {
  const message = ((e as Error).message ?? String(e)).split('\n')[0];
  if (
    /NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|wrong ELF class/.test(
      message,
    )
  ) {
    return `the addon was built for another Node.js or machine (${message.slice(0, 160)}); rebuild it with 'npm run setup:native'`;
  }
  const lib = /(lib[\w.+-]*\.so[\w.]*): cannot open shared object file/.exec(message);
  if (lib) return `${lib[1]} is missing at run time (install libopenblas0, or run 'npm run setup:native')`;
  if (/undefined symbol/.test(message))
    return `the addon does not match the installed OpenBLAS (${message.slice(0, 160)}); rebuild it with 'npm run setup:native'`;
  return `the addon at ${file} did not load: ${message.slice(0, 200)}`;
}

/**
 * Loads the addon with OpenBLAS's idle threads told to sleep at once (OPENBLAS_THREAD_TIMEOUT=4,
 * its minimum, read once when the library loads; a value the user set is kept). It matters until
 * the engine calls setThreads: from then on OpenBLAS runs on one thread and the addon's own pool
 * splits the products. By default they spin for about 2^28 cycles after each product, and
 * products come every few
 * milliseconds, so the second thread spun all the time: over 9 NTU forward passes it used
 * 0.4–1.2 s of CPU against 0.28 s with the timeout at 4, time taken from the main thread (and
 * from the other processes) on a 2-core machine. The variable is removed again so that child
 * processes (PyTorch in bench:model) do not inherit it.
 */
function requireQuietThreads(file: string): NativeAddon {
  const own = process.env.OPENBLAS_THREAD_TIMEOUT === undefined;
  if (own) process.env.OPENBLAS_THREAD_TIMEOUT = '4';
  try {
    return require(file) as NativeAddon;
  } finally {
    if (own) delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
}

let loaded: NativeLoad | undefined;

/** Loads the addon once per process (a failed load is remembered too). */
export function loadNativeAddon(): NativeLoad {
  if (loaded) return loaded;
  const file = nativeAddonPath();
  if (!existsSync(file)) {
    loaded = {
      reason: process.env.SKELACT_NATIVE_ADDON
        ? `no addon at SKELACT_NATIVE_ADDON=${file}`
        : "not built (run 'npm run setup:native')",
    };
    return loaded;
  }
  try {
    const addon = requireQuietThreads(file);
    for (const name of [
      'info',
      'setThreads',
      'gemm',
      'biasActivation',
      'sumLeading',
      'conv2d',
      'conv2dBackpropInput',
      'conv2dBackpropFilter',
      'gelu',
      'geluGrad',
      'softmax',
      'softmaxGrad',
      'gather',
      'skateAttention',
      'skateAttentionGrad',
      'copyColumns',
      'layerNorm',
      'layerNormGrad',
      'gconv',
      'gconvGrad',
      'adamw',
    ] as const) {
      if (typeof addon[name] !== 'function')
        throw new Error(`it has no '${name}' function (an older build: rebuild it with 'npm run setup:native')`);
    }
    addon.info();
    loaded = { addon, file };
  } catch (e) {
    loaded = { reason: reasonOf(e, file) };
  }
  return loaded;
}

/** OpenBLAS's kernel sets that use AVX-512 (its names for them, as openblas_get_corename gives them). */
const AVX512_CORES = /skylakex|cooperlake|sapphirerapids|zen4|zen5/i;

/**
 * "OpenBLAS 0.3.21" and the kernel set ("Haswell") from the library's own configuration. The
 * core says when OPENBLAS_CORETYPE chose it, and when that choice leaves the CPU's AVX-512
 * unused: the products then run at about half the speed they could (README, "Native kernels
 * against PyTorch"). OpenBLAS reads the variable once, when the addon loads.
 */
export function describeOpenBlas(
  addon: NativeAddon,
  env: NodeJS.ProcessEnv = process.env,
): { version: string; core: string } {
  const { config, corename, avx512 } = addon.info();
  const version = /OpenBLAS\s+([\d.]+)/.exec(config)?.[1];
  let core = corename.trim() || 'unknown core';
  if (env.OPENBLAS_CORETYPE) {
    core += ' by OPENBLAS_CORETYPE';
    if (avx512 && !AVX512_CORES.test(corename)) core += ' though the CPU has AVX-512';
  }
  return { version: version ? `OpenBLAS ${version}` : 'OpenBLAS', core };
}
