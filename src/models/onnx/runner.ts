/**
 * Running an exported skelact ONNX model with ONNX Runtime, in Node (onnxruntime-node, see
 * ./node.ts) or a browser (onnxruntime-web, passed in by the page so that the default bundle
 * does not carry it). The model's metadata (./metadata.ts) gives the input spec and the test-time
 * data settings, so the rest of skelact (evaluation's loader, the stream classifier) treats an
 * OnnxClassifier like a tfjs model: it has `persons`, `jointOrder`, `inChannels`, `frames`, and
 * `logits(x, indexT, batch)` instead of a synchronous `forward`.
 */
import type { ModelManifest } from '../manifest.js';
import { METADATA_KEYS, OnnxModelError, readOnnxMetadata, type OnnxInputSpec } from './metadata.js';

/** The part of onnxruntime-node / onnxruntime-web that skelact uses. */
export interface OrtModule {
  readonly InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

/** A saved model's manifest as the ONNX file carries it (no weights manifest). */
export type OnnxManifest = Omit<ModelManifest, 'weightsManifest'>;

export class OnnxClassifier {
  readonly engine = 'onnx' as const;
  readonly kind: string;
  readonly persons: number;
  readonly jointOrder: Int32Array;
  readonly inChannels: number;
  readonly frames: number;
  readonly classNames: readonly string[];
  /** A fixed batch size the graph was exported for, or undefined for a dynamic batch. */
  readonly fixedBatch: number | undefined;
  readonly quantization: string;

  private constructor(
    readonly session: OrtSession,
    private readonly ort: OrtModule,
    readonly manifest: OnnxManifest,
    readonly inputs: readonly OnnxInputSpec[],
    meta: Record<string, string>,
  ) {
    this.kind = manifest.kind;
    this.persons = manifest.persons;
    this.jointOrder = Int32Array.from(manifest.jointOrder);
    this.inChannels = manifest.inChannels;
    this.frames = manifest.frames;
    this.classNames = manifest.classNames;
    const batch = inputs[0].shape[0];
    this.fixedBatch = typeof batch === 'number' ? batch : undefined;
    this.quantization = meta[METADATA_KEYS.quantization] ?? 'none';
  }

  /**
   * Reads the file's skelact metadata (a clear error for a file of another format version or
   * without it) and starts an ONNX Runtime session on it.
   */
  static async create(
    bytes: Uint8Array,
    ort: OrtModule,
    where: string,
    sessionOptions: Record<string, unknown> = {},
  ): Promise<OnnxClassifier> {
    const meta = readOnnxMetadata(bytes, where);
    const manifest = JSON.parse(meta[METADATA_KEYS.manifest]) as OnnxManifest;
    const inputs = JSON.parse(meta[METADATA_KEYS.inputs]) as OnnxInputSpec[];
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', ...sessionOptions });
    } catch (e) {
      throw new OnnxModelError(where, `ONNX Runtime cannot load it: ${(e as Error).message}`);
    }
    const expected = inputs.map((i) => i.name).join(',');
    if (session.inputNames.join(',') !== expected)
      throw new OnnxModelError(
        where,
        `graph inputs are ${session.inputNames.join(', ')}, the metadata says ${expected}`,
      );
    return new OnnxClassifier(session, ort, manifest, inputs, meta);
  }

  /**
   * Class logits [batch, classes] for `batch` clips in the model layout: x [batch, frames,
   * persons·joints, channels], indexT [batch, frames] (used by SkateFormer; ignored otherwise).
   * A graph exported for a fixed batch runs in chunks of that size, the last one zero-padded.
   */
  async logits(x: Float32Array, indexT: Float32Array | undefined, batch: number): Promise<Float32Array> {
    const T = this.frames;
    const V = this.persons * this.jointOrder.length;
    const perX = T * V * this.inChannels;
    if (x.length !== batch * perX)
      throw new Error(`ONNX model: x holds ${x.length} values, expected ${batch} × ${T} × ${V} × ${this.inChannels}`);
    const K = this.classNames.length;
    const out = new Float32Array(batch * K);
    const chunk = this.fixedBatch ?? batch;
    for (let start = 0; start < batch; start += chunk) {
      const n = Math.min(chunk, batch - start);
      const xs = new Float32Array(chunk * perX);
      xs.set(x.subarray(start * perX, (start + n) * perX));
      const feeds: Record<string, unknown> = { x: new this.ort.Tensor('float32', xs, [chunk, T, V, this.inChannels]) };
      if (this.inputs.some((i) => i.name === 'index_t')) {
        const it = new Float32Array(chunk * T);
        if (indexT) it.set(indexT.subarray(start * T, (start + n) * T));
        else throw new Error("ONNX model: this model takes index_t (each frame's source position)");
        feeds.index_t = new this.ort.Tensor('float32', it, [chunk, T]);
      }
      const result = await this.session.run(feeds);
      const logits = result.logits.data as Float32Array;
      out.set(logits.subarray(0, n * K), start * K);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
