import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '@ns/testkit';

// The production image, checked without a Docker daemon: the Dockerfile's stages are read as text,
// and the runtime tree it copies is assembled here by the same script (deploy/docker/runtime-tree.sh)
// from the built repository, inspected, and started.

const ROOT = join(CLI, '..', '..', '..', '..');
const run = promisify(execFile);

/** Node.js versions the README claims (≥ 20) and the LTS lines the image may use. */
const SUPPORTED_NODE = ['20.0.0', '22.0.0', '24.0.0'];
const LTS_IMAGES = ['22', '24'];

interface Stage {
  from: string;
  name: string | undefined;
  lines: string[];
}

function stages(dockerfile: string): { args: Record<string, string>; stages: Stage[] } {
  // Continuation lines joined, comments dropped: one instruction per line.
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const out: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from !== null) {
      out.push({ from: from[1] as string, name: from[2], lines: [] });
      continue;
    }
    const arg = /^ARG\s+(\w+)=(\S+)/i.exec(line);
    if (arg !== null && out.length === 0) args[arg[1] as string] = arg[2] as string;
    out.at(-1)?.lines.push(line);
  }
  return { args, stages: out };
}

describe('Dockerfile', () => {
  const { args, stages: all } = stages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = all.at(-1) as Stage;

  it('runs a supported Node.js LTS (22 or 24) in every stage', () => {
    expect(LTS_IMAGES).toContain(args.NODE_VERSION);
    for (const s of all) expect(s.from).toMatch(/^node:\$\{NODE_VERSION\}-/);
  });

  it('builds the runtime tree with deploy/docker/runtime-tree.sh and copies only that tree into the image', () => {
    const build = all.find((s) => s.name === runtime.lines.map((l) => /--from=(\S+)/.exec(l)?.[1]).find(Boolean));
    expect(build?.lines.some((l) => /^RUN\s+sh\s+\S*runtime-tree\.sh\s+\/src\s+\/app$/.test(l))).toBe(true);
    const copies = runtime.lines.filter((l) => /^(COPY|ADD)\b/i.test(l));
    expect(copies).toEqual(['COPY --from=build /app ./']);
    expect(runtime.lines.find((l) => l.startsWith('USER'))).toBe('USER node');
    expect(runtime.lines.find((l) => l.startsWith('CMD'))).toBe('CMD ["node", "apps/gateway/dist/cli.js", "start"]');
  });
});

describe('runtime tree (what the image holds)', () => {
  let tree: string;

  beforeAll(async () => {
    tree = mkdtempSync(join(tmpdir(), 'ns-runtime-'));
    // npm's cache is warm after the repository's own `npm ci`; no registry round trip is needed.
    await run('sh', [join(ROOT, 'deploy/docker/runtime-tree.sh'), ROOT, tree], {
      env: { ...process.env, npm_config_prefer_offline: 'true' },
      timeout: 120_000,
    });
  }, 150_000);

  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  const installed = (): { name: string; version: string; engines?: { node?: string }; dir: string }[] => {
    const found: { name: string; version: string; engines?: { node?: string }; dir: string }[] = [];
    const walk = (modules: string): void => {
      for (const entry of readdirSync(modules)) {
        if (entry.startsWith('.')) continue;
        const dir = join(modules, entry);
        if (entry.startsWith('@')) {
          walk(dir);
          continue;
        }
        if (!statSync(dir).isDirectory()) continue; // workspace links (@ns/*) are checked separately
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; engines?: { node?: string } };
        found.push({ ...pkg, dir });
        try {
          walk(join(dir, 'node_modules'));
        } catch {
          // no nested node_modules
        }
      }
    };
    walk(join(tree, 'node_modules'));
    return found;
  };

  it('holds only the gateway production dependencies: no benchmark, test or build tools', () => {
    const names = new Set(installed().map((p) => p.name));
    expect(names.has('fastify')).toBe(true);
    expect(names.has('ioredis')).toBe(true);
    expect(names.has('jose')).toBe(true);
    for (const tool of ['socket.io', 'engine.io', 'vitest', 'vite', 'typescript', 'tsup', 'turbo', 'esbuild', 'happy-dom', 'playwright-core', 'fast-check']) {
      expect(names.has(tool), tool).toBe(false);
    }
    expect(readdirSync(join(tree, 'apps')).sort()).toEqual(['gateway']);
  });

  it('npm ls --omit=dev of @ns/gateway (what the repository declares) holds no benchmark or test tool either', async () => {
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--omit=peer', '--all', '--parseable', '-w', '@ns/gateway'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const names = stdout.split('\n').map((p) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(names).toContain('fastify');
    for (const tool of ['socket.io', 'vitest', 'typescript', 'happy-dom', 'playwright-core']) expect(names, tool).not.toContain(tool);
  });

  it('holds no sources or tests', () => {
    const offending: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        if (entry === 'node_modules') continue;
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) {
          if (['src', 'test', 'bench', 'scripts'].includes(entry)) offending.push(path);
          else walk(path);
        } else if (/\.test\.|\.ts$/.test(entry) && !entry.endsWith('.d.ts') && !entry.endsWith('.d.cts')) offending.push(path);
      }
    };
    walk(tree);
    expect(offending).toEqual([]);
  });

  it('every production dependency supports Node 20, 22 and 24 (no EBADENGINE)', () => {
    const excluding = installed()
      .filter((p) => p.engines?.node !== undefined)
      .flatMap((p) => SUPPORTED_NODE.filter((v) => !semver.satisfies(v, p.engines?.node as string)).map((v) => `${p.name}@${p.version} (node ${p.engines?.node}) excludes ${v}`));
    expect(excluding).toEqual([]);
  });

  it('starts and serves the API, the console and the schemas', async () => {
    const child = spawn(process.execPath, [join(tree, 'apps/gateway/dist/cli.js'), 'start'], {
      cwd: tree,
      env: { PATH: process.env.PATH ?? '', NS_PORT: '0', NS_LOG_LEVEL: 'warn', NS_AUTH: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(err);
          if (m !== null) resolve(m[1] as string);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect((await fetch(`${url}/console/ws-client.js`)).status).toBe(200);
      expect((await fetch(`${url}/asyncapi.json`)).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
