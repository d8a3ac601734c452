/** Headless Debian Chromium for the browser tests, and the demo page's start-up wait. */
import type { Browser, Page } from 'playwright-core';
import { findChromium } from '../../src/pose/engines/mediapipe.js';

/** Headless Chromium without sandbox, GPU or background traffic; `extraArgs` add flags (a fake camera). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs],
  });
}

/** Opens the demo page and waits until it is ready or reports an error (returned: null when it started). */
export async function openDemoPage(page: Page, url: string): Promise<string | null> {
  await page.goto(url);
  await page.waitForFunction(
    () => (globalThis as any).skelactDemo?.ready || (globalThis as any).skelactDemo?.error,
    undefined,
    { timeout: 120_000 },
  );
  return page.evaluate(() => (globalThis as any).skelactDemo.error as string | null);
}
