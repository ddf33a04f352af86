import { CliError, EXIT } from './cli/exit-codes.js';
import { main } from './cli/main.js';

// A closed stdout or stderr (the reader of `ns-gateway start | tee log` died) must not crash a running
// gateway: EPIPE on these two streams is ignored (the log destination handles its own); anything else
// still surfaces.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

// The `ns-gateway` bin. A running gateway keeps the process alive until its signal handler ends it;
// the other commands end with their exit code once their work (and stdout) is done.
main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 'running') process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`ns-gateway: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`ns-gateway: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.FAILED;
  },
);
