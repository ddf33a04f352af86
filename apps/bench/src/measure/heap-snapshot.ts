import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Heap bytes and object count of one object type. */
export interface HeapTypeTotal {
  /** `Connection`, `closure onClose`, `(string)`, `system / Context`, … */
  type: string;
  bytes: number;
  count: number;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

// Strings and numbers are many small nodes whose name is their value: one row each kind.
const LUMPED: Record<string, string> = {
  string: '(string)',
  'concatenated string': '(string)',
  'sliced string': '(string)',
  number: '(heap number)',
  bigint: '(bigint)',
  code: '(compiled code)',
  regexp: '(regexp)',
};

/**
 * Self size and count per object type of a V8 heap snapshot (the `.heapsnapshot` JSON written by
 * `--heapsnapshot-signal`, which collects garbage first): objects by constructor name, closures by
 * function name, V8 internals (`system / Context`, arrays of properties or elements) by their label.
 */
export function heapTotalsByType(file: string): Map<string, HeapTypeTotal> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, HeapTypeTotal>();
  const nodes = raw.nodes;
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType] as number] as string;
    const name = raw.strings[nodes[i + iName] as number] as string;
    const key = LUMPED[type] ?? (type === 'object' ? name : type === 'closure' ? `closure ${name || '(anonymous)'}` : `(${type}) ${name}`);
    const row = out.get(key) ?? { type: key, bytes: 0, count: 0 };
    row.bytes += nodes[i + iSize] as number;
    row.count++;
    out.set(key, row);
  }
  return out;
}

/**
 * Per-connection growth between two snapshots: (after − before) / connections for every type, largest
 * first, types that grew less than `minBytes` per connection folded into one "(other)" row.
 */
export function perConnection(before: Map<string, HeapTypeTotal>, after: Map<string, HeapTypeTotal>, connections: number, minBytes = 16): HeapTypeTotal[] {
  const rows: HeapTypeTotal[] = [];
  const other: HeapTypeTotal = { type: '(other)', bytes: 0, count: 0 };
  for (const [key, a] of after) {
    const b = before.get(key);
    const bytes = (a.bytes - (b?.bytes ?? 0)) / connections;
    const count = (a.count - (b?.count ?? 0)) / connections;
    if (Math.abs(bytes) < minBytes) {
      other.bytes += bytes;
      other.count += count;
    } else {
      rows.push({ type: key, bytes, count });
    }
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  rows.push(other);
  return rows.map((r) => ({ type: r.type, bytes: Math.round(r.bytes), count: Math.round(r.count * 100) / 100 }));
}

/** Snapshot files in `dir`, oldest first. */
export function snapshotFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.heapsnapshot'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/** The last bytes of a file. */
function tail(file: string, size: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(16, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * Sends `signal` to `pid` (started with `--heapsnapshot-signal=<signal> --diagnostic-dir=<dir>`) and
 * waits until the new snapshot in `dir` is complete: it ends the JSON document (`]}`) and its size
 * has not changed for a second. Bounded by `timeoutMs`.
 */
export async function takeSnapshot(pid: number, dir: string, signal: NodeJS.Signals = 'SIGUSR2', timeoutMs = 120_000): Promise<string> {
  const known = new Set(snapshotFiles(dir));
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const file = snapshotFiles(dir).find((f) => !known.has(f));
    if (file === undefined) continue;
    const size = statSync(file).size;
    if (size > 0 && size === last) {
      if (Date.now() - stableSince >= 1000 && tail(file, size).trimEnd().endsWith(']}')) return file;
    } else {
      last = size;
      stableSince = Date.now();
    }
  }
  throw new Error(`no heap snapshot from pid ${pid} within ${timeoutMs} ms`);
}
