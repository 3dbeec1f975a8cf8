/**
 * A real browser for the dashboard's tests: Debian's `chromium` driven by playwright-core (no
 * downloaded browser: `npx playwright install` cannot run here), headless, sandbox off (tests may
 * run as root), no network chatter of its own, a fresh profile per launch, removed on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ChromiumPath = '/usr/bin/chromium';

export const ChromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the browser tests cannot run here (for the test gate), or undefined. */
export function browserBlocker(): string | undefined {
  return fs.existsSync(ChromiumPath) ? undefined : `no ${ChromiumPath} (apt-get install chromium)`;
}

export interface Browser {
  page: Page;
  /** Console errors and uncaught exceptions (a CSP violation is a console error). */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: ChromiumPath, headless: true, args: ChromiumArgs, viewport, timeout: 60_000 });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return {
    page,
    errors,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
