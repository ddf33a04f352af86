import { MAX_JSON_DEPTH } from './limits.js';

/** What {@link inspectJson} found wrong with a decoded JSON value, and where. */
export interface JsonProblem {
  /** `too_deep`: objects/arrays nested deeper than allowed; `forbidden_key`: a prototype-pollution key. */
  code: 'too_deep' | 'forbidden_key';
  /** Path from the inspected value to the offending container or key. */
  path: PropertyKey[];
  message: string;
}

interface Node {
  value: object;
  depth: number;
  key: PropertyKey | undefined;
  parent: Node | undefined;
}

const pathOf = (node: Node | undefined, last?: PropertyKey): PropertyKey[] => {
  const path: PropertyKey[] = last === undefined ? [] : [last];
  for (let n = node; n?.key !== undefined; n = n.parent) path.push(n.key);
  return path.reverse();
};

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/**
 * Walks a decoded JSON value (iteratively, so hostile nesting cannot exhaust the stack) and reports the
 * first problem: nesting deeper than `maxDepth` objects/arrays (every later `JSON.stringify`, which
 * recurses, would throw), or a key that pollutes prototypes once merged into another object —
 * `__proto__`, or `constructor` holding a `prototype` (what secure-json-parse refuses for HTTP bodies).
 * Shared references are visited once, so cyclic or diamond-shaped in-process values terminate.
 */
export function inspectJson(value: unknown, maxDepth: number = MAX_JSON_DEPTH): JsonProblem | undefined {
  if (!isContainer(value)) return undefined;
  const seen = new Set<object>();
  const stack: Node[] = [{ value, depth: 1, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (node.depth > maxDepth) {
      return { code: 'too_deep', path: pathOf(node), message: `nested deeper than ${maxDepth} levels of objects and arrays` };
    }
    if (seen.has(node.value)) continue;
    seen.add(node.value);
    if (Array.isArray(node.value)) {
      const list: unknown[] = node.value;
      for (let i = list.length - 1; i >= 0; i--) {
        const child = list[i];
        if (isContainer(child)) stack.push({ value: child, depth: node.depth + 1, key: i, parent: node });
      }
      continue;
    }
    const record = node.value as Record<string, unknown>;
    if (Object.hasOwn(record, '__proto__')) return { code: 'forbidden_key', path: pathOf(node, '__proto__'), message: 'forbidden key "__proto__"' };
    const ctor = Object.hasOwn(record, 'constructor') ? record.constructor : undefined;
    if (isContainer(ctor) && Object.hasOwn(ctor, 'prototype')) {
      return { code: 'forbidden_key', path: pathOf(node, 'constructor'), message: 'forbidden key "constructor.prototype"' };
    }
    const keys = Object.keys(record);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const child = record[key];
      if (isContainer(child)) stack.push({ value: child, depth: node.depth + 1, key, parent: node });
    }
  }
  return undefined;
}
