/**
 * The native-kernel test files' shared start: the addon loaded once per test process, and tests
 * that run only where it loaded (skipped with the loader's reason elsewhere).
 */
import test, { type ImplementationFn } from 'ava';
import { loadNativeAddon } from '../../src/engine/native.js';

export const nativeLoad = loadNativeAddon();

/** A serial test where the addon loaded; elsewhere a skipped one whose title says why. */
export function nativeTest(title: string, fn: ImplementationFn<[]>): void {
  if (nativeLoad.addon) test.serial(title, fn);
  else
    test.skip(
      `${title} [skipped: native kernels not available: ${'reason' in nativeLoad ? nativeLoad.reason : ''}]`,
      fn,
    );
}
