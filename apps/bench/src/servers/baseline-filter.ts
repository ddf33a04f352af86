
/** The threats filter fields the bench's subscribers send (docs/protocol.md#filters). */
export interface BenchFilter {
  event_types?: string[];
  levels?: string[];
  min_score?: number;
}

/**
 * What a user of a plain library writes to honour a subscriber's filter: a check per filter field,
 * evaluated per subscriber per event (the baselines have no filter language of their own).
 */
export function compileBenchFilter(filter: BenchFilter | undefined): ((event: { data: unknown }) => boolean) | undefined {
  if (filter === undefined) return undefined;
  const types = filter.event_types === undefined ? undefined : new Set(filter.event_types);
  const levels = filter.levels === undefined ? undefined : new Set(filter.levels);
  const min = filter.min_score;
  return (event) => {
    const d = event.data as { event_type?: string; threat_level?: string; threat_score?: number };
    if (types !== undefined && !types.has(d.event_type ?? '')) return false;
    if (levels !== undefined && !levels.has(d.threat_level ?? '')) return false;
    return min === undefined || (typeof d.threat_score === 'number' && d.threat_score >= min);
  };
}
