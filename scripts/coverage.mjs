// `npm run coverage`: vitest's v8 coverage of the test workers, merged with the V8 coverage that the
// processes the end-to-end tests spawn (the gateway, its cluster workers, the CLI) write through
// NODE_V8_COVERAGE. Those run the built dist/ bundles; their coverage is mapped back to src/ through
// the bundles' source maps, so gateway.ts, shutdown.ts and cli/* count what the spawned gateways ran.
//
// Usage: npm run coverage [-- <vitest filters>]. Reports land in coverage/ (text on stdout,
// coverage-summary.json, coverage-final.json, html/); the children's raw data in coverage/.v8-children.
//
// It fails (exit 1, saying why) when tests spawned gateway processes but no child coverage could be
// merged, or when a child ran a workspace bundle without a source map: then gateway.ts, shutdown.ts
// and cli/* would quietly read 0 % again. @ns/testkit logs each process it spawned and how its
// teardown ended it (testkit-processes.log); the closing lines account for every one of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
// @ns/testkit appends `spawn <pid> <kind>` and `end <pid> <ending> [ms]` here (packages/testkit/src/teardown.ts).
const processLog = join(out, 'testkit-processes.log');
rmSync(out, { recursive: true, force: true });
mkdirSync(children, { recursive: true });

// 1. The tests, with vitest's own coverage as JSON. test-support/child-coverage.ts hands `children`
//    to every process a test spawns as NODE_V8_COVERAGE (the test workers themselves are measured by
//    vitest's inspector-based provider).
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  // reportOnFailure: one failing test must not throw away the coverage of everything else that ran.
  [vitest, 'run', '--coverage', '--coverage.reporter=json', '--coverage.reportOnFailure', `--coverage.reportsDirectory=${fromVitest}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, CHILD_V8_COVERAGE: children, TESTKIT_PROCESS_LOG: processLog } },
);

// 2. The children's coverage of the workspace's own bundles, merged per script, then mapped to src/.
const bundle = /^file:\/\/.*\/(?:apps|packages)\/[^/]+\/dist\/[^/]+\.m?js$/;
const files = readdirSync(children).filter((f) => f.endsWith('.json'));
const profiles = files.map((f) => {
  const { result } = JSON.parse(readFileSync(join(children, f), 'utf8'));
  return { result: result.filter((s) => bundle.test(s.url) && s.url.startsWith(pathToFileURL(root).href)) };
});
const merged = mergeProcessCovs(profiles);
const processes = readProcessLog(processLog, files);

// Same files as vitest.config.ts's coverage include/exclude.
const counted = (file) => /\/(?:apps|packages)\/[^/]+\/src\/.+\.ts$/.test(file) && !file.endsWith('.test.ts') && !file.endsWith('/index.ts');
const vitestJson = join(fromVitest, 'coverage-final.json');
if (!existsSync(vitestJson)) {
  console.error(`coverage: FAILED: vitest wrote no ${relative(root, vitestJson)} (see its output above)`);
  process.exit(run.status || 1);
}
const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(vitestJson, 'utf8')));
let scripts = 0;
const unmapped = [];
/** src/ files the children's coverage reached. */
const sources = new Set();
for (const script of merged.result) {
  const file = fileURLToPath(script.url);
  if (!existsSync(`${file}.map`)) {
    unmapped.push(relative(root, file));
    continue;
  }
  const code = readFileSync(file, 'utf8');
  const data = await convert({
    code,
    ast: parseAstAsync(code),
    sourceMap: JSON.parse(readFileSync(`${file}.map`, 'utf8')),
    coverage: { url: script.url, functions: script.functions },
  });
  for (const [source, fileCoverage] of Object.entries(data)) {
    if (!counted(source)) continue;
    sources.add(source);
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

// 3. One report over both.
const context = libReport.createContext({ dir: out, coverageMap: map, defaultSummarizer: 'nested' });
for (const name of ['text', 'text-summary', 'json-summary', 'json', 'html']) reports.create(name, name === 'html' ? { subdir: 'html' } : {}).execute(context);

// 4. What the children contributed, and whether it can be trusted.
const ran = profiles.filter((p) => p.result.length > 0).length;
console.log(`\ncoverage: merged ${scripts} bundle(s) run by ${ran} spawned process(es) into vitest's report: ${sources.size} src/ file(s) (${files.length} child coverage file(s))`);
console.log(`coverage: ${processes.summary}`);
const problems = [];
if (unmapped.length > 0) problems.push(`spawned processes ran ${unmapped.join(', ')} but no source map sits beside it: build with sourcemap: true (tsup), or its src/ files read 0 %`);
if ((processes.spawned > 0 || ran > 0) && sources.size === 0) {
  problems.push(`tests spawned ${Math.max(processes.spawned, ran)} process(es) of the workspace's bundles but no child coverage could be merged (were they SIGKILLed, or is NODE_V8_COVERAGE not reaching them? see test-support/child-coverage.ts)`);
}
if (processes.spawned > 0 && processes.wrote === 0) problems.push(`none of the ${processes.spawned} process(es) @ns/testkit spawned wrote coverage (a teardown by SIGKILL writes none)`);
for (const p of problems) console.error(`coverage: FAILED: ${p}`);
process.exit(problems.length > 0 ? 1 : (run.status ?? 1));

/**
 * Reads @ns/testkit's log against the coverage files, named `coverage-<pid>-…`, that were written: how
 * many processes it spawned, how many wrote coverage, and how their teardown ended.
 */
function readProcessLog(path, coverageFiles) {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  const wrote = new Set(coverageFiles.map((f) => /^coverage-(\d+)-/.exec(f)?.[1]));
  const kinds = new Map();
  const endings = new Map();
  for (const line of lines) {
    const [what, pid, detail, ms] = line.split(' ');
    if (what === 'spawn') kinds.set(pid, detail);
    else if (what === 'end') endings.set(pid, { ending: detail, ms: Number(ms) });
  }
  const count = (pred) => [...kinds.keys()].filter(pred).length;
  const drained = [...endings.values()].filter((e) => e.ending === 'drained').map((e) => e.ms).sort((a, b) => a - b);
  const of = (ending) => [...endings.values()].filter((e) => e.ending === ending).length;
  const written = count((pid) => wrote.has(pid));
  const missing = [...kinds.keys()].filter((pid) => !wrote.has(pid));
  const crashes = missing.filter((pid) => endings.get(pid)?.ending === 'crash').length;
  const summary =
    `@ns/testkit spawned ${kinds.size} process(es) (${count((p) => kinds.get(p) === 'gateway')} gateways, ${count((p) => kinds.get(p) === 'cli')} CLI runs); ` +
    `${written} wrote coverage, ${missing.length} did not (${crashes} crashed on purpose by kill(), ${of('sigkill')} SIGKILLed by teardown, ${missing.length - crashes - of('sigkill')} otherwise: SIGKILLed by the test itself, or NODE_V8_COVERAGE never reached them). ` +
    `Teardown: ${drained.length} drained by SIGTERM (median ${drained[Math.floor(drained.length / 2)] ?? 0} ms, max ${drained.at(-1) ?? 0} ms), ${of('second-sigterm')} needed the second SIGTERM, ${of('sigkill')} SIGKILL.`;
  return { spawned: kinds.size, wrote: written, summary };
}
