/**
 * The one backend resolver, for Node and browsers alike: each environment registers the
 * TensorFlow.js backends it can offer, with a priority, when its entry module loads (Node:
 * ./backend.ts; pages: src/browser/index.ts); `resolveBackend` tries them, best first (or in
 * the order asked), starts the first that works, and records why each one before it was
 * passed over. No Node API here, so pages bundle it as is.
 */

/** What a backend reports once it runs. */
export interface StartedBackend {
  /** tfjs's own backend name ('tensorflow', 'wasm', 'webgl', 'webgpu', 'cpu'). */
  readonly tfBackend: string;
  /** One line for people: "wasm (SIMD, 1 thread)". */
  readonly description: string;
  /** Threads it computes with, where known (wasm: XNNPACK's pool). */
  readonly threads?: number;
}

/** A backend an environment can offer. */
export interface BackendCandidate<Options = unknown> {
  /** The name users ask for ('wasm', 'webgpu', 'tensorflow-gpu', …). */
  readonly name: string;
  /** Higher is tried first. */
  readonly priority: number;
  /** Loads and starts it (tf.setBackend and whatever it needs first); throws when it cannot. */
  start(options: Options): Promise<StartedBackend>;
}

/** A backend passed over, and why. */
export interface PassedOver {
  readonly backend: string;
  readonly reason: string;
}

/** The backend that started, and those passed over before it with why. */
export interface ResolvedBackend extends StartedBackend {
  readonly name: string;
  /** Backends tried before it, with why they did not start. */
  readonly unavailable: readonly PassedOver[];
}

const candidates = new Map<string, BackendCandidate<never>>();

/** Offers a backend (a later registration of the same name replaces the earlier one). */
export function registerBackend<Options>(candidate: BackendCandidate<Options>): void {
  candidates.set(candidate.name, candidate as BackendCandidate<never>);
}

/** The names registered, best first. */
export function registeredBackends(): string[] {
  return [...candidates.values()].sort((a, b) => b.priority - a.priority).map((c) => c.name);
}

/** Why a backend did not start, in one line ('not installed' for a missing package). */
export function reasonOf(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') return 'not installed';
  return (err.message ?? String(e)).split('\n')[0];
}

/** No backend of those asked for started; `unavailable` says why for each. */
export class NoBackendError extends Error {
  constructor(
    readonly asked: readonly string[],
    readonly unavailable: readonly PassedOver[],
  ) {
    super(
      `no TensorFlow.js backend of ${asked.join(', ') || '(none registered)'} could be started (${unavailable.map((u) => `${u.backend}: ${u.reason}`).join('; ')})`,
    );
    this.name = 'NoBackendError';
  }
}

/**
 * Starts the first backend that works: of `names` in that order, or of all registered ones
 * by priority. A name nobody registered is passed over as 'not available here'.
 */
export async function resolveBackend<Options>(names?: readonly string[], options?: Options): Promise<ResolvedBackend> {
  const order = names ?? registeredBackends();
  const unavailable: PassedOver[] = [];
  for (const name of order) {
    const candidate = candidates.get(name) as BackendCandidate<Options | undefined> | undefined;
    if (!candidate) {
      unavailable.push({ backend: name, reason: 'not available here' });
      continue;
    }
    try {
      const started = await candidate.start(options);
      return { name, ...started, unavailable };
    } catch (e) {
      unavailable.push({ backend: name, reason: reasonOf(e) });
    }
  }
  throw new NoBackendError(order, unavailable);
}
