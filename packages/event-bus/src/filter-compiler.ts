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

const oneOf = (field: string, values: readonly unknown[]): Check => {
  const set = new Set(values);
  return (data) => set.has(data[field]);
};

const atLeast = (field: string, min: number): Check => (data) => {
  const v = data[field];
  return typeof v === 'number' && v >= min;
};

// `alert.acknowledged` / `alert.resolved` carry only the alert id: severity and tag filters constrain
// them only when they carry the field, so a dashboard filtering critical alerts still sees them closed.
const alertField = (field: string, check: Check): Check => (data, e) =>
  e.type === 'alert.new' || data[field] !== undefined ? check(data, e) : true;

function threatChecks(f: ThreatsFilter): Check[] {
  const checks: Check[] = [];
  if (f.min_score !== undefined) checks.push(atLeast('threat_score', f.min_score));
  if (f.levels !== undefined) checks.push(oneOf('threat_level', f.levels));
  if (f.event_types !== undefined) checks.push(oneOf('event_type', f.event_types));
  if (f.source_cidrs !== undefined) {
    const inNetworks = compileCidrs(f.source_cidrs);
    checks.push((data) => typeof data.source_ip === 'string' && inNetworks(data.source_ip));
  }
  return checks;
}

function alertChecks(f: AlertsFilter): Check[] {
  const checks: Check[] = [];
  if (f.severities !== undefined) checks.push(alertField('severity', oneOf('severity', f.severities)));
  if (f.tags !== undefined) {
    const wanted = new Set(f.tags);
    checks.push(alertField('tags', (data) => Array.isArray(data.tags) && data.tags.some((t) => wanted.has(t))));
  }
  return checks;
}

const componentChecks = (f: ComponentsFilter): Check[] =>
  f.components === undefined ? [] : [oneOf('component', f.components)];

function rawEventChecks(f: EventsFilter): Check[] {
  const checks: Check[] = [];
  if (f.logtypes !== undefined) checks.push(oneOf('logtype', f.logtypes));
  if (f.dst_ports !== undefined) checks.push(oneOf('dst_port', f.dst_ports));
  return checks;
}

function correlationChecks(f: CorrelationsFilter): Check[] {
  const checks: Check[] = [];
  if (f.patterns !== undefined) checks.push(oneOf('pattern', f.patterns));
  if (f.min_score !== undefined) checks.push(atLeast('correlation_score', f.min_score));
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
 * Compiles a subscription filter once: the channel's typed filter of DESIGN §5 (validated by the
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
