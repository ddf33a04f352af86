// `npm run coverage`: vitest's v8 coverage of the test workers, merged with the V8 coverage that the
// processes the end-to-end tests spawn (the gateway, its cluster workers, the CLI) write through
// NODE_V8_COVERAGE. Those run the built dist/ bundles; their coverage is mapped back to src/ through
// the bundles' source maps, so gateway.ts, shutdown.ts and cli/* count what the spawned gateways ran.
//
// Usage: npm run coverage [-- <vitest filters>]. Reports land in coverage/ (text on stdout,
// coverage-summary.json, coverage-final.json, html/); the children's raw data in coverage/.v8-children.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mergeProcessCovs } from '@bcoe/v8-coverage';
import convert from 'ast-v8-to-istanbul';
import libCoverage from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';
import { parseAstAsync } from 'vitest/node';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'coverage');
const children = join(out, '.v8-children');
const fromVitest = join(out, 'vitest');
rmSync(out, { recursive: true, force: true });
mkdirSync(children, { recursive: true });

// 1. The tests, with vitest's own coverage as JSON. test-support/child-coverage.ts hands `children`
//    to every process a test spawns as NODE_V8_COVERAGE (the test workers themselves are measured by
//    vitest's inspector-based provider).
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--coverage', '--coverage.reporter=json', `--coverage.reportsDirectory=${fromVitest}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, CHILD_V8_COVERAGE: children } },
);

// 2. The children's coverage of the workspace's own bundles, merged per script, then mapped to src/.
const bundle = /^file:\/\/.*\/(?:apps|packages)\/[^/]+\/dist\/[^/]+\.m?js$/;
const profiles = readdirSync(children)
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const { result } = JSON.parse(readFileSync(join(children, f), 'utf8'));
    return { result: result.filter((s) => bundle.test(s.url) && s.url.startsWith(pathToFileURL(root).href)) };
  });
const merged = mergeProcessCovs(profiles);

// Same files as vitest.config.ts's coverage include/exclude.
const counted = (file) => /\/(?:apps|packages)\/[^/]+\/src\/.+\.ts$/.test(file) && !file.endsWith('.test.ts') && !file.endsWith('/index.ts');
const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(join(fromVitest, 'coverage-final.json'), 'utf8')));
let scripts = 0;
for (const script of merged.result) {
  const file = fileURLToPath(script.url);
  if (!existsSync(`${file}.map`)) continue;
  const code = readFileSync(file, 'utf8');
  const data = await convert({
    code,
    ast: parseAstAsync(code),
    sourceMap: JSON.parse(readFileSync(`${file}.map`, 'utf8')),
    coverage: { url: script.url, functions: script.functions },
  });
  for (const [source, fileCoverage] of Object.entries(data)) {
    if (!counted(source)) continue;
    // A file no test worker loaded is in vitest's report with zero hits on its own statement map;
    // the bundle's map replaces it rather than doubling every statement.
    if (map.files().includes(source) && map.fileCoverageFor(source).toSummary().lines.covered === 0) {
      map.data[source] = libCoverage.createFileCoverage(fileCoverage);
    } else {
      map.merge({ [source]: fileCoverage });
    }
  }
  scripts++;
}
console.log(`\ncoverage: merged ${scripts} bundle(s) run by ${profiles.length} spawned process(es) into vitest's report`);

// 3. One report over both.
const context = libReport.createContext({ dir: out, coverageMap: map, defaultSummarizer: 'nested' });
for (const name of ['text', 'text-summary', 'json-summary', 'json', 'html']) reports.create(name, name === 'html' ? { subdir: 'html' } : {}).execute(context);
process.exit(run.status ?? 1);
