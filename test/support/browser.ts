/**
 * Debian's Chromium driven by playwright-core (installed by .ci/install-chromium), with a fresh
 * profile in a temp folder that is removed on close. Every page records its console errors and
 * uncaught exceptions, which tests assert are none.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab whose console errors and page errors are collected in `errors`. */
  open(opts?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pv-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async open(o = {}) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setViewportSize({ width: o.width ?? 1280, height: o.height ?? 900 });
      await page.emulateMedia({ colorScheme: o.colorScheme ?? 'light' });
      return { page, errors };
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where a test run keeps its screenshots: TEST_ARTIFACTS_DIR when set (CI collects it), else a
 * temp folder that `cleanup` removes, so a local run leaves nothing behind.
 */
export function artifactsDir(name: string): { dir: string; cleanup(): void } {
  const keep = process.env.TEST_ARTIFACTS_DIR;
  if (keep) {
    const dir = join(keep, name);
    mkdirSync(dir, { recursive: true });
    return { dir, cleanup() {} };
  }
  const dir = mkdtempSync(join(tmpdir(), `pv-artifacts-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
