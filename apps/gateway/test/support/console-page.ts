import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { HeadlessChromium } from './chromium.js';

// What the console's browser tests share: opening the page with every script error, CSP violation and
// failed request collected, publishing, tokens, screenshots and the axe-core pass.

// The page's globals used by callbacks that run inside Chromium, typed just enough: the gateway's
// tests compile without the DOM lib.
declare const document: { getAnimations(): { finished: Promise<unknown> }[] };

/** Where screenshots go (gitignored). */
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test-artifacts');

/** A console page and what went wrong in it (CSP violations and script errors land in `problems`). */
export interface ConsolePage {
  page: Page;
  problems: string[];
}

/** Opens the console served at `url` in a new page of `browser`. */
export async function openConsole(browser: HeadlessChromium, url: string, path = '/'): Promise<ConsolePage> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on('requestfailed', (req) => {
    // A WebSocket or fetch cut by a gateway restart is expected in the restart test; the caller filters.
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  await page.goto(`${url}${path}`);
  return { page, problems };
}

/** Publishes events over HTTP (the gateways under test run with `NS_AUTH=none` or from loopback). */
export async function publish(url: string, events: object[]): Promise<void> {
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status, await res.clone().text()).toBe(202);
}

/** An HS256 JWT for the gateway's `NS_JWT_SECRET`. */
export function token(secret: string, sub: string, username: string, roles: string[]): Promise<string> {
  return new SignJWT({ username, roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
}

/** Pastes `jwt` into the Token field and presses Connect. */
export async function connectWith(page: Page, jwt: string): Promise<void> {
  await page.fill('#token', jwt);
  await page.click('#auth button[type="submit"]');
}

/** Waits until the channel's subscription is confirmed by the gateway. */
export async function live(page: Page, channel: string): Promise<void> {
  await page.locator(`li[data-channel="${channel}"][data-live="true"]`).waitFor();
}

/** Shows a panel by its tab. */
export async function tab(page: Page, name: 'threats' | 'alerts' | 'status' | 'metrics' | 'tail'): Promise<void> {
  await page.click(`#tab-${name}`);
  await page.locator(`#panel-${name}:not([hidden])`).waitFor();
}

/** A full-page screenshot in test-artifacts/, once the fresh-row highlights have faded. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules).
 * axe runs through the DevTools protocol (page.evaluate), which the page's CSP does not govern: the
 * page itself still loads no inline script.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(() =>
    (globalThis as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}
