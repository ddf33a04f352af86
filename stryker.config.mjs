// Mutation testing of the core (`npm run test:mutation`). Stryker mutates the listed sources and runs
// the vitest tests related to each mutated file; a mutant that no test notices "survives". Each listed
// survivor from the audit has a test named for the behaviour it pins; the break threshold keeps it so.
//
// Profiles (STRYKER_PROFILE):
//   core (default)  the core files below, about 15 minutes at concurrency 2
//   changed         only the core files changed against STRYKER_BASE (default origin/main, else main);
//                   what .ci/run runs, so a pull request pays for the files it touches
//   nightly         every non-test source file of contracts, event-bus, ws-manager and ws-server
import { execFileSync } from 'node:child_process';

export const coreFiles = [
  'packages/contracts/src/parse.ts',
  'packages/contracts/src/json-guard.ts',
  'packages/event-bus/src/filter-compiler.ts',
  'packages/event-bus/src/cidr-matcher.ts',
  'packages/event-bus/src/idempotency-window.ts',
  'packages/ws-manager/src/backpressure.ts',
  'packages/ws-manager/src/heartbeat.ts',
  'packages/ws-server/src/rate-limits.ts',
  'packages/ws-server/src/origin-policy.ts',
];

const nightly = [
  'packages/{contracts,event-bus,ws-manager,ws-server}/src/**/*.ts',
  '!**/*.test.ts',
  '!**/index.ts',
];

/** Core files changed between STRYKER_BASE (default main) and HEAD. */
export function changedCoreFiles() {
  const base = process.env.STRYKER_BASE ?? 'main';
  const out = execFileSync('git', ['diff', '--name-only', `${base}...HEAD`, '--', ...coreFiles], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

const profile = process.env.STRYKER_PROFILE ?? 'core';
const mutate = profile === 'nightly' ? nightly : profile === 'changed' ? changedCoreFiles() : coreFiles;
// An empty list would make Stryker fall back to mutating every source file.
if (mutate.length === 0) throw new Error(`STRYKER_PROFILE=${profile}: no core file to mutate`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate,
  // Type errors are not bugs a test must catch; leave them to `npm run typecheck`.
  checkers: [],
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: process.env.STRYKER_JSON ?? 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
