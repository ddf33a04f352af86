#!/usr/bin/env node
// `npm start` / `npm run demo`: build what the gateway needs (turbo, cached) without printing turbo's
// and tsup's progress above the gateway's banner. Silent on success; on failure prints the failing
// tasks' output (turbo --output-logs=errors-only) and exits with turbo's code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const turbo = spawnSync('npx', ['--no-install', 'turbo', 'run', 'build', '--filter=@ns/gateway...', '--output-logs=errors-only', '--ui=stream'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
});
if (turbo.error !== undefined) {
  process.stderr.write(`build: cannot run turbo (${turbo.error.message}); run \`npm ci\` first\n`);
  process.exit(1);
}
if (turbo.status !== 0) {
  process.stderr.write(`${turbo.stdout}${turbo.stderr}build failed (turbo exited ${turbo.status ?? turbo.signal})\n`);
  process.exit(turbo.status ?? 1);
}
