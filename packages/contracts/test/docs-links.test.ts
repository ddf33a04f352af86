import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The repository must stand on its own: every document or section it points to is in it. This test
// reads every tracked (and new, unignored) text file, so a dangling reference anywhere fails here.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(root, f)))
  // Generated files are checked by their generator's tests; lockfiles are not prose.
  .filter((f) => !f.startsWith('schemas/') && !f.endsWith('package-lock.json'));

const TEXT = /\.(md|ts|mts|js|mjs|cjs|py|html|css|json|ya?ml|toml|sh)$|(^|\/)(Dockerfile|run)$/;
const textFiles = files.filter((f) => TEXT.test(f));
const markdownFiles = files.filter((f) => f.endsWith('.md'));

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of stripCode(markdown).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const text = (m[1] ?? '').replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  // Explicit HTML anchors count too.
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1] ?? '');
  return anchors;
}

/** Markdown without fenced code blocks and inline code spans (links inside code are not links). */
function stripCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let a = anchorCache.get(file);
  if (a === undefined) {
    a = headingAnchors(readFileSync(file, 'utf8'));
    anchorCache.set(file, a);
  }
  return a;
}

/** Why `target#anchor` (an absolute path) does not resolve, or `undefined` when it does. */
function problem(target: string, anchor: string | undefined): string | undefined {
  if (!existsSync(target)) return 'no such file';
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(target).isDirectory() || !target.endsWith('.md')) return undefined;
  return anchorsOf(target).has(anchor) ? undefined : `no section #${anchor}`;
}

/** The nearest directory above `file` with a package.json (its package), or the root. */
function packageDir(file: string): string {
  let dir = dirname(join(root, file));
  while (dir.startsWith(root) && dir !== root) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return root;
}

/** Every relative Markdown link `[text](target)` of a Markdown file, outside code. */
function markdownLinks(text: string): string[] {
  const out: string[] = [];
  for (const m of stripCode(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) continue; // URLs and site paths
    out.push(target);
  }
  return out;
}

const CODE = /\.(ts|mts|js|mjs|cjs|py|sh)$|(^|\/)run$/;

/**
 * The prose of a file: all of it for documents, only the comments of code (string literals in code
 * are data — test fixtures name files that do not exist on purpose).
 */
function proseOf(file: string, text: string): string {
  if (!CODE.test(file)) return text;
  return text
    .split('\n')
    .map((line) => {
      const t = line.trim();
      if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*') || t.startsWith('#')) return line;
      const i = line.indexOf(' // ');
      return i >= 0 ? line.slice(i) : '';
    })
    .join('\n');
}

describe('the repository documents', () => {
  it('exist: docs/protocol.md and docs/architecture.md', () => {
    expect(existsSync(join(root, 'docs/protocol.md'))).toBe(true);
    expect(existsSync(join(root, 'docs/architecture.md'))).toBe(true);
  });

  it('never cite the original brief (a document that is not in the repository)', () => {
    const offenders: string[] = [];
    for (const f of textFiles) {
      if (f === 'packages/contracts/test/docs-links.test.ts') continue;
      const text = readFileSync(join(root, f), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (/DESIGN\s*§|DESIGN\.md|\.\.\/shared\/|\/work\/shared/.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('link only to files and sections that exist (every relative Markdown link resolves)', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const f of markdownFiles) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const link of markdownLinks(text)) {
        const [path = '', anchor] = link.split('#', 2);
        const target = path === '' ? join(root, f) : resolve(dirname(join(root, f)), decodeURIComponent(path));
        const why = problem(target, anchor);
        checked++;
        if (why !== undefined) broken.push(`${f}: (${link}) ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('name only Markdown documents and sections that exist, in code comments and prose alike', () => {
    const broken: string[] = [];
    for (const f of textFiles) {
      if (f === 'packages/contracts/test/docs-links.test.ts') continue;
      const text = proseOf(f, readFileSync(join(root, f), 'utf8'));
      // A mention like `docs/protocol.md#close-codes`, `README.md` or `../../docs/architecture.md`;
      // URLs are not mentions.
      for (const m of text.matchAll(/(?<![\w/.:-])((?:\.{1,2}\/)*(?:[\w.-]+\/)*[\w-]+\.md)(?:#([\w-]+))?/g)) {
        const [, path = '', anchor] = m;
        // A mention resolves against the file's directory, its package, or the repository root.
        const bases = [dirname(join(root, f)), packageDir(f), root];
        const candidates = bases.map((b) => resolve(b, path)).filter((p) => existsSync(p));
        if (candidates.length === 0) {
          broken.push(`${f}: ${m[0]} (no such file)`);
          continue;
        }
        if (anchor !== undefined && !candidates.some((c) => problem(c, anchor) === undefined)) {
          broken.push(`${f}: ${m[0]} (no such section in ${relative(root, candidates[0] ?? '')})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('compute anchors as GitHub does (so the checks above can fail)', () => {
    const anchors = headingAnchors("# Title\n## One event's path\n## Close codes\n## Close codes\n```\n# not a heading\n```\n");
    expect([...anchors]).toEqual(['title', 'one-events-path', 'close-codes', 'close-codes-1']);
    expect(problem(join(root, 'docs/protocol.md'), 'close-codes')).toBeUndefined();
    expect(problem(join(root, 'docs/protocol.md'), 'no-such-section')).toBe('no section #no-such-section');
    expect(problem(join(root, 'docs/no-such-file.md'), undefined)).toBe('no such file');
  });
});
