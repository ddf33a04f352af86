import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectionsCommand, disconnectCommand, presenceCommand } from './admin-commands.js';
import { checkConfigCommand } from './check-config-command.js';
import { demoPublishCommand } from './demo-publish-command.js';
import { CliError, EXIT } from './exit-codes.js';
import { helpText } from './help.js';
import { publishCommand } from './publish-command.js';
import { revokeCommand } from './revoke-command.js';
import { startCommand } from './start-command.js';
import { tailCommand } from './tail-command.js';
import { checkTokenCommand, tokenCommand } from './token-command.js';
import { PACKAGE_DIR } from '../paths.js';
import { httpUrl } from '../urls.js';

const COMMANDS = ['start', 'tail', 'publish', 'token', 'check-token', 'check-config', 'demo-publish', 'connections', 'presence', 'disconnect', 'revoke'] as const;
type Command = (typeof COMMANDS)[number];

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  demo: { type: 'boolean' },
  filter: { type: 'string', multiple: true },
  url: { type: 'string' },
  token: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  pretty: { type: 'boolean' },
  count: { type: 'string' },
  'batch-size': { type: 'string' },
  results: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  sub: { type: 'string' },
  username: { type: 'string' },
  roles: { type: 'string', multiple: true },
  permissions: { type: 'string', multiple: true },
  ttl: { type: 'string' },
  'private-key': { type: 'string' },
  user: { type: 'string' },
  id: { type: 'string' },
  reason: { type: 'string' },
  jti: { type: 'string' },
  'expires-at': { type: 'string' },
  before: { type: 'string' },
} as const;

const ALLOWED: Record<Command, readonly string[]> = {
  start: ['demo'],
  tail: ['filter', 'url', 'token', 'json', 'pretty', 'count'],
  publish: ['url', 'key', 'batch-size', 'results', 'quiet'],
  token: ['sub', 'username', 'roles', 'permissions', 'ttl', 'private-key'],
  'check-token': ['json'],
  'check-config': [],
  'demo-publish': ['url', 'key'],
  connections: ['url', 'token', 'user', 'json'],
  presence: ['url', 'token', 'json'],
  disconnect: ['url', 'token', 'user', 'id', 'reason', 'json'],
  revoke: ['url', 'token', 'jti', 'expires-at', 'user', 'before', 'json'],
};

/** `--roles a,b --roles c` → [a, b, c]. */
const commaList = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');

function positiveInt(name: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(EXIT.USAGE, `--${name} must be a positive whole number`);
  return Number(value);
}

// Clients default to NS_GATEWAY_URL (the one name the CLI, the Python client and the examples share),
// else the gateway this environment would start, so `tail` works next to `start`.
function defaultUrl(env: NodeJS.ProcessEnv): string {
  if (env.NS_GATEWAY_URL) return env.NS_GATEWAY_URL;
  return httpUrl(env.NS_HOST?.trim() || '127.0.0.1', Number(env.NS_PORT?.trim() || 8080));
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs `ns-gateway` with `argv` (without node and script); resolves with the exit code, or 'running'. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | 'running'> {
  const first = argv[0];
  const command: Command = first !== undefined && (COMMANDS as readonly string[]).includes(first) ? (first as Command) : 'start';
  const rest = first === command ? argv.slice(1) : argv;
  if (first !== undefined && !first.startsWith('-') && first !== command) {
    throw new CliError(EXIT.USAGE, `unknown command "${first}"; commands: ${COMMANDS.join(', ')} (see --help)`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(EXIT.USAGE, `${(err as Error).message} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(helpText());
    return EXIT.OK;
  }
  if (values.version) {
    process.stdout.write(`ns-gateway ${version()}\n`);
    return EXIT.OK;
  }
  const misplaced = Object.keys(values).find((k) => !ALLOWED[command].includes(k));
  if (misplaced !== undefined) throw new CliError(EXIT.USAGE, `--${misplaced} is not an option of ${command} (see --help)`);

  switch (command) {
    case 'start':
      if (positionals.length > 0) throw new CliError(EXIT.USAGE, `start takes no arguments (got "${positionals[0]}")`);
      return startCommand({ demo: values.demo === true, env, stderr: process.stderr });
    case 'tail': {
      const interrupted = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      const pretty = values.pretty === true || (values.json !== true && process.stdout.isTTY === true);
      return tailCommand({
        channels: positionals,
        filters: values.filter ?? [],
        url: values.url ?? defaultUrl(env),
        token: values.token ?? env.NS_TOKEN,
        format: pretty ? 'pretty' : 'json',
        color: pretty && process.stdout.isTTY === true && env.NO_COLOR === undefined,
        count: positiveInt('count', values.count, undefined),
        stdout: process.stdout,
        stderr: process.stderr,
        interrupted,
      });
    }
    case 'token':
      if (positionals.length > 0) throw new CliError(EXIT.USAGE, `token takes no arguments (got "${positionals[0]}")`);
      return tokenCommand({
        sub: values.sub,
        username: values.username,
        roles: commaList(values.roles),
        permissions: commaList(values.permissions),
        ttl: values.ttl,
        privateKeyFile: values['private-key'],
        env,
        stdout: process.stdout,
      });
    case 'check-token':
      if (positionals.length > 1) throw new CliError(EXIT.USAGE, 'check-token takes one token');
      return checkTokenCommand({ token: positionals[0] ?? env.NS_TOKEN, json: values.json === true, env, stdout: process.stdout });
    case 'check-config':
      if (positionals.length > 0) throw new CliError(EXIT.USAGE, `check-config takes no arguments (got "${positionals[0]}")`);
      return checkConfigCommand({ env, stdout: process.stdout });
    case 'demo-publish':
      if (positionals.length > 0) throw new CliError(EXIT.USAGE, `demo-publish takes no arguments (got "${positionals[0]}")`);
      return demoPublishCommand({
        url: values.url ?? defaultUrl(env),
        key: values.key ?? env.NS_PUBLISH_KEY,
        logFormat: env.NS_LOG_FORMAT === 'json' || env.NS_LOG_FORMAT === 'pretty' ? env.NS_LOG_FORMAT : undefined,
      });
    case 'connections':
    case 'presence':
    case 'revoke':
    case 'disconnect': {
      const target = { url: values.url ?? defaultUrl(env), token: values.token ?? (env.NS_GATEWAY_TOKEN || env.NS_TOKEN || undefined), stdout: process.stdout, json: values.json === true };
      if (command === 'presence') {
        if (positionals.length !== 1) throw new CliError(EXIT.USAGE, 'presence takes one channel');
        return presenceCommand({ ...target, channel: positionals[0] as string });
      }
      if (positionals.length > 0) throw new CliError(EXIT.USAGE, `${command} takes no arguments (got "${positionals[0]}")`);
      if (command === 'connections') return connectionsCommand({ ...target, user: values.user });
      if (command === 'revoke') return revokeCommand({ ...target, jti: values.jti, user: values.user, expiresAt: values['expires-at'], before: values.before });
      return disconnectCommand({ ...target, user: values.user, id: values.id, reason: values.reason });
    }
    case 'publish': {
      if (positionals.length !== 1) throw new CliError(EXIT.USAGE, 'publish takes one argument: a file, or - for stdin');
      return publishCommand({
        source: positionals[0] as string,
        url: values.url ?? defaultUrl(env),
        key: values.key ?? env.NS_PUBLISH_KEY,
        batchSize: positiveInt('batch-size', values['batch-size'], 1000) as number,
        printResults: values.results === true,
        quiet: values.quiet === true,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    }
  }
}
