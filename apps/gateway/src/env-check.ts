import { ENV_VARS } from './env-vars.js';

/**
 * `NS_*` variables read by the clients (`ns-gateway tail`/`publish`/`check-token`/`demo-publish`/admin commands, the
 * Python client and its examples) rather than by the gateway: known, so never warned about.
 * `NS_GATEWAY_URL` is the one name of the gateway's URL everywhere.
 */
export const CLIENT_ENV_VARS = ['NS_GATEWAY_URL', 'NS_TOKEN', 'NS_GATEWAY_TOKEN', 'NS_PUBLISH_KEY', 'NS_GATEWAY_SPOOL'] as const;

/** Every `NS_*` name this project reads. */
export const KNOWN_ENV_NAMES: readonly string[] = [...ENV_VARS.map((v) => v.name), ...CLIENT_ENV_VARS];

/** Levenshtein distance (insertions, deletions, substitutions), for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** Names used before, or by other tools for the same thing: suggested as their replacement. */
const RENAMED: Readonly<Record<string, string>> = { NS_URL: 'NS_GATEWAY_URL', NS_GATEWAY_WS: 'NS_GATEWAY_URL' };

/** The known name closest to `name` (ties: the first in table order). */
export function closestKnownName(name: string): string {
  const renamed = RENAMED[name.toUpperCase()];
  if (renamed !== undefined) return renamed;
  let best = KNOWN_ENV_NAMES[0] as string;
  let bestDistance = Infinity;
  for (const known of KNOWN_ENV_NAMES) {
    const d = editDistance(name.toUpperCase(), known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * One warning per `NS_*` variable in `env` that nothing here reads (a typo such as `NS_PROT=1` would
 * otherwise leave the default in force silently), naming the closest known variable. Values are never
 * quoted: the variable might hold a secret.
 */
export function unknownVariableWarnings(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('NS_') && env[name] !== undefined && !KNOWN_ENV_NAMES.includes(name))
    .sort()
    .map((name) => `${name} is not a variable of ns-gateway and is ignored; did you mean ${closestKnownName(name)}? (ns-gateway --help lists them all)`);
}
