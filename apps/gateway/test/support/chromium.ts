import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium package; playwright's own browser downloads are not reachable from here. */
export const CHROMIUM_BIN = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or `null` when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_BIN) ? null : `${CHROMIUM_BIN} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)`;
}

/** A headless Chromium with a fresh, throwaway profile; `close()` removes the profile too. */
export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 760 }): Promise<HeadlessChromium> {
  const missing = chromiumMissing();
  if (missing !== null) throw new Error(missing);
  const profile = mkdtempSync(join(tmpdir(), 'ns-chromium-'));
  try {
    // Playwright owns --user-data-dir: a persistent context on a new temp directory is the fresh profile.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_BIN,
      headless: true,
      viewport,
      args: [
        '--headless',
        '--no-sandbox', // running as root in a container
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
