/** A valid `threat.new` publish input of score `score` (level high from 7 up), with `extra` data fields. */
export const threat = (score: number, extra: Record<string, unknown> = {}) => ({
  type: 'threat.new' as const,
  data: { source_ip: '192.168.1.100', threat_score: score, threat_level: score >= 7 ? ('high' as const) : ('low' as const), timestamp: 1764115200.1, ...extra },
});
