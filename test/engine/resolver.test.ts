import test from 'ava';
import { NoBackendError, registerBackend, registeredBackends, resolveBackend } from '../../src/engine/resolver.js';

// Names of their own, so the real backends registered by other modules do not interfere.
const started: string[] = [];
const candidate = (name: string, priority: number, fails?: string) => ({
  name,
  priority,
  async start(options: { threads?: number } | undefined) {
    started.push(name);
    if (fails) throw new Error(`${fails}\nsecond line`);
    return { tfBackend: `${name}-tf`, description: `${name} with ${options?.threads ?? 1} thread(s)` };
  },
});

test.serial(
  'resolveBackend tries the names asked for in order, starts the first that works, and says why the others were passed over',
  async (t) => {
    registerBackend(candidate('test-fast', 900, 'no adapter'));
    registerBackend(candidate('test-middle', 800));
    registerBackend(candidate('test-slow', 700));
    started.length = 0;
    const resolved = await resolveBackend(['test-fast', 'test-missing', 'test-middle', 'test-slow'], { threads: 3 });
    t.is(resolved.name, 'test-middle');
    t.is(resolved.tfBackend, 'test-middle-tf');
    t.is(resolved.description, 'test-middle with 3 thread(s)');
    t.deepEqual(resolved.unavailable, [
      { backend: 'test-fast', reason: 'no adapter' },
      { backend: 'test-missing', reason: 'not available here' },
    ]);
    t.deepEqual(started, ['test-fast', 'test-middle'], 'nothing after the first that starts is tried');
    // Without names: by priority, the highest first.
    const order = registeredBackends();
    t.true(
      order.indexOf('test-fast') < order.indexOf('test-middle') &&
        order.indexOf('test-middle') < order.indexOf('test-slow'),
    );
  },
);

test.serial(
  'when none starts, NoBackendError lists every backend and its reason; a re-registration replaces the candidate',
  async (t) => {
    registerBackend(candidate('test-broken', 1, 'missing library'));
    const error = await t.throwsAsync(resolveBackend(['test-broken', 'test-nowhere']), { instanceOf: NoBackendError });
    t.deepEqual(error!.unavailable, [
      { backend: 'test-broken', reason: 'missing library' },
      { backend: 'test-nowhere', reason: 'not available here' },
    ]);
    t.regex(error!.message, /test-broken: missing library; test-nowhere: not available here/);
    registerBackend(candidate('test-broken', 1));
    t.is((await resolveBackend(['test-broken'])).name, 'test-broken');
  },
);
