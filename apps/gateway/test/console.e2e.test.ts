import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, stopAllGateways } from '@ns/testkit';

// The console's files as the real gateway process serves them: the page, and the bundle built from
// console/src with everything it imports inside, under the console's CSP. Behaviour is tested in
// Chromium (console.browser.test.ts, console-actions.browser.test.ts).

afterEach(async () => {
  await stopAllGateways();
});

describe('console files (GET /, /console/*)', () => {
  it('serves the page and one self-contained bundle (JS and CSS with source maps) under the strict console CSP', async () => {
    const gw = await startGateway();
    const page = await fetch(`${gw.url}/`);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/console/app.css">');
    // Nothing inline for the CSP to refuse.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    const js = await fetch(`${gw.url}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe(csp);
    const code = await js.text();
    // Self-contained: a browser resolves no bare specifier, so the bundle imports nothing (no static
    // or dynamic import statement; the word may appear inside strings).
    expect(code).not.toMatch(/(?:^|[;}\n])\s*import\s*[\w{*"'(]/);
    // uPlot's licence travels with it; the close-code meanings come from the contracts' wire table.
    expect(code).toContain('Copyright (c) 2022 Leon Sorokin');
    expect(code).toContain('The gateway is shutting down; reconnect');
    expect(code.trimEnd().endsWith('//# sourceMappingURL=app.js.map')).toBe(true);
    const map = (await (await fetch(`${gw.url}/console/app.js.map`)).json()) as { sources: string[] };
    expect(map.sources.some((s) => s.endsWith('console/src/main.ts'))).toBe(true);
    expect(map.sources.some((s) => s.endsWith('src/event-summary.ts'))).toBe(true);

    const css = await fetch(`${gw.url}/console/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.uplot');
    // Sizes, for the record (the README quotes them): printed, not asserted.
    console.info(`console bundle: app.js ${code.length} B (${gzipSync(code).length} B gzip)`);
  });

  it('still serves @ns/ws-client\'s browser build on its own, for pages that import it directly', async () => {
    const gw = await startGateway();
    const bundle = await fetch(`${gw.url}/console/ws-client.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('text/javascript');
    const code = await bundle.text();
    expect(code).toContain('function createClient');
    expect(code).not.toMatch(/^(import|export .* from)\b/m);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=ws-client.js.map')).toBe(true);
  });
});
