/**
 * Named model parameters with seeded initialisation, and their conversion to the
 * TensorFlow.js weights format (a weights manifest plus one binary blob), which tfjs reads
 * in Node and in browsers alike.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, streamSeed, stringKey } from '../core/random.js';

/** How a parameter starts. PyTorch defaults are spelled out so ports can match them. */
export type Init =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number }
  /** timm trunc_normal_: normal(0, std) resampled outside [−2, 2] (absolute, as timm does). */
  | { readonly kind: 'truncNormal'; readonly std: number }
  /** U(−bound, bound). PyTorch Linear/Conv weight and bias: bound = 1/sqrt(fan_in). */
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'normal'; readonly std: number };

export interface ParameterOptions {
  /** Updated by the optimiser (false for BatchNorm running statistics). Default true. */
  readonly trainable?: boolean;
  /** Subject to weight decay. Default: true for tensors of rank ≥ 2, false for vectors. */
  readonly decay?: boolean;
}

export interface ParameterInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly decay: boolean;
}

/** Initial values of a parameter; the stream depends on the store seed and the name only. */
export function initialValues(init: Init, size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  const rng = new Rng(seed);
  const random = () => rng.next();
  const normal = () => {
    // Box–Muller
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'constant':
      out.fill(init.value);
      break;
    case 'uniform':
      for (let i = 0; i < size; i++) out[i] = (2 * random() - 1) * init.bound;
      break;
    case 'normal':
      for (let i = 0; i < size; i++) out[i] = normal() * init.std;
      break;
    case 'truncNormal':
      for (let i = 0; i < size; i++) {
        let v: number;
        do v = normal() * init.std;
        while (v < -2 || v > 2);
        out[i] = v;
      }
      break;
  }
  return out;
}

export class ParameterStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly info = new Map<string, ParameterInfo>();

  constructor(readonly seed: number) {}

  /** Creates a parameter; names are unique and say where it lives (e.g. "stage1.block0.mapping.w"). */
  add(name: string, shape: readonly number[], init: Init, options: ParameterOptions = {}): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter '${name}' is defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const trainable = options.trainable ?? true;
    const decay = options.decay ?? (trainable && shape.length >= 2);
    const values = initialValues(init, size, streamSeed(this.seed, 'init', stringKey(name)));
    // Variable names must be unique per tfjs engine; a store-unique prefix keeps several models apart.
    // tf.variable copies its initial value: the temporary is disposed right away.
    const initial = tf.tensor(values, [...shape], 'float32');
    const variable = tf.variable(initial, trainable, `${name}#${storeId()}`);
    initial.dispose();
    this.vars.set(name, variable);
    this.info.set(name, { name, shape: [...shape], trainable, decay });
    return variable;
  }

  /**
   * One store over the parameters of several (a multi-stream model's members), each named
   * `<prefix>.<name>`. The variables are shared, not copied: the members keep computing with
   * them, and the union becomes their owner (dispose the union, not the parts).
   */
  static union(seed: number, parts: ReadonlyArray<readonly [prefix: string, store: ParameterStore]>): ParameterStore {
    const out = new ParameterStore(seed);
    for (const [prefix, store] of parts) {
      for (const [info, variable] of store.entries()) {
        const name = `${prefix}.${info.name}`;
        if (out.vars.has(name)) throw new Error(`parameter '${name}' is defined twice`);
        out.vars.set(name, variable);
        out.info.set(name, { ...info, name });
      }
    }
    return out;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  }

  /** Parameters in creation order. */
  entries(): Array<[ParameterInfo, tf.Variable]> {
    return [...this.vars.keys()].map((k) => [this.info.get(k)!, this.vars.get(k)!]);
  }

  trainable(): tf.Variable[] {
    return this.entries()
      .filter(([i]) => i.trainable)
      .map(([, v]) => v);
  }

  /** Number of trainable values (what papers call the parameter count). */
  countTrainable(): number {
    return this.entries()
      .filter(([i]) => i.trainable)
      .reduce((s, [i]) => s + i.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** All values in the TF.js weights format (specs use the store names). */
  async toWeights(): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
    const named = Object.fromEntries(this.entries().map(([i, v]) => [i.name, v as tf.Tensor]));
    const { data, specs } = await tf.io.encodeWeights(named);
    return { specs, data: data as ArrayBuffer };
  }

  /** Loads values written by toWeights: every parameter must be present with its shape. */
  loadWeights(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer): void {
    const decoded = tf.io.decodeWeights(data, [...specs]);
    try {
      for (const [info, variable] of this.entries()) {
        const t = decoded[info.name];
        if (!t) throw new Error(`weights have no '${info.name}' (expected shape [${info.shape.join(', ')}])`);
        if (t.shape.join(',') !== info.shape.join(','))
          throw new Error(
            `weights '${info.name}' have shape [${t.shape.join(', ')}], the model expects [${info.shape.join(', ')}]`,
          );
        variable.assign(t);
      }
      const extra = Object.keys(decoded).filter((k) => !this.vars.has(k));
      if (extra.length > 0)
        throw new Error(
          `weights hold parameters this model does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`,
        );
    } finally {
      tf.dispose(Object.values(decoded));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.info.clear();
  }
}

let storeCounter = 0;
function storeId(): number {
  return storeCounter++;
}
