// Set up by scripts/coverage.mjs (`npm run coverage`): every process a test spawns inherits
// NODE_V8_COVERAGE and writes its V8 coverage there when it exits, to be merged into the report.
// Setting it here, inside the test worker, leaves the worker itself to vitest's own provider.
const dir = process.env.CHILD_V8_COVERAGE;
if (dir !== undefined && dir !== '') process.env.NODE_V8_COVERAGE = dir;
