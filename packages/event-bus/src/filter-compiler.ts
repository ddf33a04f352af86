import {
  CHANNELS,
  NsError,
  isChannelName,
  issuesFromZod,
  type AlertsFilter,
  type ChannelName,
  type ComponentsFilter,
  type CorrelationsFilter,
  type EventEnvelope,
  type EventsFilter,
  type ThreatsFilter,
} from '@ns/contracts';
import { compileCidrs } from './cidr-matcher.js';

/** A compiled subscription filter: true when the event should be delivered. */
export type EventPredicate = (event: EventEnvelope) => boolean;

type Data = Record<string, unknown>;
type Check = (data: Data, event: EventEnvelope) => boolean;

const matchAll: EventPredicate = () => true;

function combine(checks: readonly Check[]): EventPredicate {
  if (checks.length === 0) return matchAll;
  const [only] = checks;
  if (checks.length === 1 && only !== undefined) return (e) => only(e.data as Data, e);
  return (e) => {
    const data = e.data as Data;
    for (const check of checks) if (!check(data, e)) return false;
    return true;
  };
}

// Each check reads its field by name in its own function, so property loads stay monomorphic (a
// shared `data[field]` would be a megamorphic keyed load, measurably slower across 100 filters).
const scoreAtLeast = (min: number) => (v: unknown) => typeof v === 'number' && v >= min;

// `alert.acknowledged` / `alert.resolved` carry only the alert id: severity and tag filters constrain
// them only when they carry the field, so a dashboard filtering critical alerts still sees them closed.
const isStateChangeWithout = (value: unknown, e: EventEnvelope) => value === undefined && e.type !== 'alert.new';

function threatChecks(f: ThreatsFilter): Check[] {
  const checks: Check[] = [];
  if (f.min_score !== undefined) {
    const ok = scoreAtLeast(f.min_score);
    checks.push((d) => ok(d.threat_score));
  }
  if (f.levels !== undefined) {
    const levels = new Set<unknown>(f.levels);
    checks.push((d) => levels.has(d.threat_level));
  }
  if (f.event_types !== undefined) {
    const types = new Set<unknown>(f.event_types);
    checks.push((d) => types.has(d.event_type));
  }
  if (f.source_cidrs !== undefined) {
    const inNetworks = compileCidrs(f.source_cidrs);
    checks.push((d) => typeof d.source_ip === 'string' && inNetworks(d.source_ip));
  }
  return checks;
}

function alertChecks(f: AlertsFilter): Check[] {
  const checks: Check[] = [];
  if (f.severities !== undefined) {
    const severities = new Set<unknown>(f.severities);
    checks.push((d, e) => severities.has(d.severity) || isStateChangeWithout(d.severity, e));
  }
  if (f.tags !== undefined) {
    const wanted = new Set<unknown>(f.tags);
    checks.push((d, e) => (Array.isArray(d.tags) ? d.tags.some((t) => wanted.has(t)) : isStateChangeWithout(d.tags, e)));
  }
  return checks;
}

function componentChecks(f: ComponentsFilter): Check[] {
  if (f.components === undefined) return [];
  const components = new Set<unknown>(f.components);
  return [(d) => components.has(d.component)];
}

function rawEventChecks(f: EventsFilter): Check[] {
  const checks: Check[] = [];
  if (f.logtypes !== undefined) {
    const logtypes = new Set<unknown>(f.logtypes);
    checks.push((d) => logtypes.has(d.logtype));
  }
  if (f.dst_ports !== undefined) {
    const ports = new Set<unknown>(f.dst_ports);
    checks.push((d) => ports.has(d.dst_port));
  }
  return checks;
}

function correlationChecks(f: CorrelationsFilter): Check[] {
  const checks: Check[] = [];
  if (f.patterns !== undefined) {
    const patterns = new Set<unknown>(f.patterns);
    checks.push((d) => patterns.has(d.pattern));
  }
  if (f.min_score !== undefined) {
    const ok = scoreAtLeast(f.min_score);
    checks.push((d) => ok(d.correlation_score));
  }
  return checks;
}

function checksFor(channel: ChannelName, filter: unknown): Check[] {
  switch (channel) {
    case 'threats':
      return threatChecks(filter as ThreatsFilter);
    case 'alerts':
      return alertChecks(filter as AlertsFilter);
    case 'status':
    case 'metrics':
      return componentChecks(filter as ComponentsFilter);
    case 'events':
      return rawEventChecks(filter as EventsFilter);
    case 'correlations':
      return correlationChecks(filter as CorrelationsFilter);
    case 'system':
      return [];
  }
}

/**
 * Compiles a subscription filter once: the channel's typed filter (docs/protocol.md#filters) (validated by the
 * registry's schema; lists become sets, CIDRs are parsed up front; every given field must match), a
 * predicate `(envelope) => boolean` (used as is), or `undefined` (everything). Throws
 * `NsError('invalid_message')` naming the bad field (`filter.min_score`).
 */
export function compileFilter(channel: ChannelName, filter: unknown): EventPredicate {
  if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${String(channel).slice(0, 64)}"`);
  if (filter === undefined) return matchAll;
  if (typeof filter === 'function') return filter as EventPredicate;
  const parsed = CHANNELS[channel].filter.safeParse(filter);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error, ['filter']);
    const first = issues[0];
    throw new NsError('invalid_message', first === undefined ? 'invalid filter' : `${first.path}: ${first.message}`, { issues });
  }
  return combine(checksFor(channel, parsed.data));
}
