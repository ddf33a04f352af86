import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The console's copy of `@ns/ws-client`: its self-contained ESM build and source map. */
export interface WsClientBundle {
  /** The module's code, its source-map comment pointing at {@link WS_CLIENT_MAP_NAME}. */
  code: string;
  map: string | null;
}

/** The names the console serves the bundle under, beside app.js. */
export const WS_CLIENT_FILE_NAME = 'ws-client.js';
export const WS_CLIENT_MAP_NAME = 'ws-client.js.map';

/**
 * Where the browser build of `@ns/ws-client` is: `dist/index.js` of the package this gateway resolves,
 * the same file an app's bundler would pick (no imports, no Node built-ins). `null` when the package
 * is not built.
 */
export function findWsClientBundle(): string | null {
  // package.json is exported, so this resolves under every condition set (sources in tests, dist in
  // production); the bundle itself is always the built one, since browsers cannot run TypeScript.
  const pkg = createRequire(import.meta.url).resolve('@ns/ws-client/package.json');
  const file = join(dirname(pkg), 'dist', 'index.js');
  return existsSync(file) ? file : null;
}

/** Reads the bundle once, at start; the console serves it from memory. */
export function loadWsClientBundle(file: string): WsClientBundle {
  const mapFile = `${file}.map`;
  const code = readFileSync(file, 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, '');
  const map = existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : null;
  return { code: map === null ? code : `${code}//# sourceMappingURL=${WS_CLIENT_MAP_NAME}\n`, map };
}
