import type { PublishEvent } from '@ns/contracts';

/** A small seeded PRNG (mulberry32): the same seed gives the same demo, which keeps tests stable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// OpenCanary log types (opencanary/logger.py).
const LOG = { FTP_LOGIN: 2000, HTTP_GET: 3000, HTTP_LOGIN: 3001, SSH_LOGIN: 4002, PORT_SYN: 5001, TELNET_LOGIN: 6001, MYSQL_LOGIN: 8001 } as const;

// Documentation address ranges (RFC 5737) for attackers, RFC 1918 for the honeypots.
const ATTACKER_NETS = ['203.0.113.', '198.51.100.', '192.0.2.'];
const CANARIES = [
  { node_id: 'canary-ssh-1', host: '10.0.0.5' },
  { node_id: 'canary-web-1', host: '10.0.0.6' },
  { node_id: 'canary-db-1', host: '10.0.0.7' },
];
const USERNAMES = ['root', 'admin', 'ubuntu', 'oracle', 'postgres', 'test', 'pi', 'git', 'deploy', 'support'];
const PASSWORDS = ['123456', 'password', 'admin', 'root', 'toor', 'qwerty', 'letmein', 'P@ssw0rd', 'changeme', 'raspberry'];
const SCAN_PORTS = [21, 22, 23, 25, 53, 80, 110, 139, 143, 443, 445, 1433, 1521, 2222, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200, 11211, 27017];
const COMPONENTS = ['event_processor', 'kafka_consumer', 'ml_scorer', 'alert_manager', 'canary-ssh-1', 'canary-web-1', 'canary-db-1'];

type Level = 'low' | 'medium' | 'high' | 'critical';
const levelFor = (score: number): Level => (score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low');

interface Campaign {
  kind: 'ssh_brute_force' | 'port_scan';
  ip: string;
  canary: (typeof CANARIES)[number];
  /** Attempts (logins or probed ports) still to come, and made so far. */
  remaining: number;
  made: number;
  /** Attempts per second. */
  rate: number;
  carry: number;
  /** Score thresholds already reported. */
  reported: Set<Level>;
  alertId?: string;
  correlated: boolean;
}

interface FollowUp {
  at: number;
  make: (now: number) => PublishEvent;
}

/**
 * Synthetic NetSentinel traffic for the demo: background honeypot noise, SSH brute-force bursts and
 * port scans that escalate into threats, correlations and alerts (later acknowledged and resolved by
 * an analyst), component status every 5 s and metrics every 2 s. `tick(now)` returns what happened
 * since the previous tick, ready for `POST /v1/publish`.
 */
export class DemoTraffic {
  readonly #rand: () => number;
  #last: number | undefined;
  #nextCampaign = 0;
  #nextStatus = 0;
  #nextMetrics = 0;
  #seq = 0;
  #campaigns: Campaign[] = [];
  #followUps: FollowUp[] = [];
  #eventsSeen = 0;

  constructor(seed = 42) {
    this.#rand = seededRandom(seed);
  }

  /** Events for the interval ending at `now` (Unix seconds). */
  tick(now: number): PublishEvent[] {
    const dt = this.#last === undefined ? 0 : Math.min(5, now - this.#last);
    const out: PublishEvent[] = [];
    if (this.#last === undefined) {
      out.push({ type: 'system.notice', data: { level: 'info', message: 'demo traffic started: synthetic honeypot events', code: 'demo', timestamp: now } });
      this.#nextCampaign = now + 1;
    }
    this.#last = now;

    this.#background(now, dt, out);
    if (now >= this.#nextCampaign) {
      this.#campaigns.push(this.#newCampaign());
      this.#nextCampaign = now + 8 + this.#rand() * 12;
    }
    for (const c of this.#campaigns) this.#advance(c, now, dt, out);
    this.#campaigns = this.#campaigns.filter((c) => c.remaining > 0);
    const due = this.#followUps.filter((f) => f.at <= now);
    this.#followUps = this.#followUps.filter((f) => f.at > now);
    for (const f of due) out.push(f.make(now));
    if (now >= this.#nextStatus) {
      this.#nextStatus = now + 5;
      for (const component of COMPONENTS) out.push(this.#status(component, now));
    }
    if (now >= this.#nextMetrics) {
      this.#nextMetrics = now + 2;
      out.push(...this.#metrics(now, dt));
    }
    this.#eventsSeen += out.length;
    return out;
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#rand() * items.length)] as T;
  }

  #ip(): string {
    return `${this.#pick(ATTACKER_NETS)}${1 + Math.floor(this.#rand() * 253)}`;
  }

  #background(now: number, dt: number, out: PublishEvent[]): void {
    // About 3 events/s of ordinary internet noise against the canaries.
    let n = Math.floor(dt * 3 + this.#rand());
    while (n-- > 0) {
      const canary = this.#pick(CANARIES);
      const kind = this.#rand();
      const [logtype, port] =
        kind < 0.5 ? [LOG.HTTP_GET, 80] : kind < 0.7 ? [LOG.HTTP_LOGIN, 443] : kind < 0.85 ? [LOG.FTP_LOGIN, 21] : kind < 0.95 ? [LOG.TELNET_LOGIN, 23] : [LOG.MYSQL_LOGIN, 3306];
      out.push({
        type: 'event.raw',
        data: {
          logtype,
          src_host: this.#ip(),
          src_port: 1024 + Math.floor(this.#rand() * 64000),
          dst_host: canary.host,
          dst_port: port,
          node_id: canary.node_id,
          timestamp: now,
          logdata: logtype === LOG.HTTP_GET ? { PATH: this.#pick(['/', '/wp-login.php', '/.env', '/admin', '/phpmyadmin/']) } : { USERNAME: this.#pick(USERNAMES) },
        },
      });
    }
  }

  #newCampaign(): Campaign {
    const ssh = this.#rand() < 0.6;
    return {
      kind: ssh ? 'ssh_brute_force' : 'port_scan',
      ip: this.#ip(),
      canary: ssh ? (CANARIES[0] as (typeof CANARIES)[number]) : this.#pick(CANARIES),
      remaining: ssh ? 20 + Math.floor(this.#rand() * 50) : SCAN_PORTS.length,
      made: 0,
      rate: ssh ? 3 + this.#rand() * 5 : 8 + this.#rand() * 10,
      carry: 0,
      reported: new Set(),
      correlated: false,
    };
  }

  #advance(c: Campaign, now: number, dt: number, out: PublishEvent[]): void {
    c.carry += dt * c.rate;
    while (c.carry >= 1 && c.remaining > 0) {
      c.carry -= 1;
      c.remaining--;
      c.made++;
      if (c.kind === 'ssh_brute_force') {
        out.push({
          type: 'event.raw',
          data: {
            logtype: LOG.SSH_LOGIN,
            src_host: c.ip,
            src_port: 30000 + Math.floor(this.#rand() * 30000),
            dst_host: c.canary.host,
            dst_port: 22,
            node_id: c.canary.node_id,
            timestamp: now,
            logdata: { USERNAME: this.#pick(USERNAMES), PASSWORD: this.#pick(PASSWORDS), LOCALVERSION: 'SSH-2.0-OpenSSH_8.9p1' },
          },
        });
      } else {
        out.push({
          type: 'event.raw',
          data: { logtype: LOG.PORT_SYN, src_host: c.ip, dst_host: c.canary.host, dst_port: SCAN_PORTS[c.made - 1] ?? 0, node_id: c.canary.node_id, timestamp: now },
        });
      }
    }
    // Score grows with the attempts, like the processor's rules + ML score would.
    const score = Math.round(Math.min(9.9, (c.kind === 'ssh_brute_force' ? 2.2 : 3) + c.made * (c.kind === 'ssh_brute_force' ? 0.2 : 0.28)) * 10) / 10;
    const level = levelFor(score);
    if (!c.reported.has(level) && c.made >= 3) {
      c.reported.add(level);
      out.push({
        type: 'threat.new',
        data: {
          source_ip: c.ip,
          threat_score: score,
          threat_level: level,
          timestamp: now,
          event_type: c.kind === 'ssh_brute_force' ? 'ssh_login_attempt' : 'port_scan',
          indicators: c.kind === 'ssh_brute_force' ? ['repeated_auth_failure', 'dictionary_usernames'] : ['sequential_ports', 'syn_only'],
          confidence: Math.round(Math.min(0.99, 0.5 + c.made / 80) * 100) / 100,
          dst_port: c.kind === 'ssh_brute_force' ? 22 : (SCAN_PORTS[c.made - 1] ?? 0),
          correlation_id: `corr-${c.ip}`,
        },
      });
      if ((level === 'high' || level === 'critical') && c.alertId === undefined) this.#raiseAlert(c, now, level, out);
    }
    if (!c.correlated && c.made >= (c.kind === 'ssh_brute_force' ? 15 : 10)) {
      c.correlated = true;
      out.push({
        type: 'correlation.new',
        data: {
          source_ip: c.ip,
          pattern: c.kind,
          correlation_score: Math.round(Math.min(0.99, 0.6 + c.made / 100) * 100) / 100,
          event_count: c.made,
          timestamp: now,
          correlation_id: `corr-${c.ip}`,
          event_types: c.kind === 'ssh_brute_force' ? ['ssh_login_attempt'] : ['port_scan'],
        },
      });
    }
  }

  #raiseAlert(c: Campaign, now: number, level: Level, out: PublishEvent[]): void {
    const id = `alert_${++this.#seq}_${c.ip.replaceAll('.', '-')}`;
    c.alertId = id;
    const what = c.kind === 'ssh_brute_force' ? 'SSH brute force' : 'Port scan';
    out.push({
      type: 'alert.new',
      id,
      data: {
        id,
        severity: level,
        title: `${what} from ${c.ip}`,
        message: `${what} against ${c.canary.node_id} (${c.canary.host}): ${c.made} attempts so far`,
        timestamp: now,
        source: 'netsentinel.rules',
        source_ip: c.ip,
        tags: c.kind === 'ssh_brute_force' ? ['ssh', 'brute-force', 'honeypot'] : ['port-scan', 'recon', 'honeypot'],
        threat_id: `corr-${c.ip}`,
      },
    });
    const analyst = this.#pick(['alice', 'bob', 'carol']);
    this.#followUps.push(
      { at: now + 6 + this.#rand() * 8, make: (t) => ({ type: 'alert.acknowledged', data: { id, by: analyst, timestamp: t, note: 'investigating' } }) },
      { at: now + 20 + this.#rand() * 20, make: (t) => ({ type: 'alert.resolved', data: { id, by: analyst, timestamp: t, note: `${c.ip} blocked at the edge firewall` } }) },
    );
  }

  #status(component: string, now: number): PublishEvent {
    const r = this.#rand();
    const status = r < 0.9 ? 'healthy' : r < 0.98 ? 'degraded' : 'unhealthy';
    const message = status === 'healthy' ? undefined : component === 'kafka_consumer' ? 'consumer lag above 5000 messages' : 'slow responses';
    return {
      type: 'status.update',
      data: {
        component,
        status,
        state: status === 'unhealthy' ? 'restarting' : 'running',
        ...(message === undefined ? {} : { message }),
        metrics: { uptime_s: Math.round(now % 86400), healthy: status === 'healthy' },
      },
    };
  }

  #metrics(now: number, dt: number): PublishEvent[] {
    const eps = dt > 0 ? this.#eventsSeen / Math.max(dt, 2) : 0;
    this.#eventsSeen = 0;
    return [
      {
        type: 'metrics.update',
        data: {
          component: 'event_processor',
          timestamp: now,
          metrics: { events_per_second: Math.round(eps * 10) / 10, queue_depth: Math.floor(this.#rand() * 40), p99_ms: Math.round((4 + this.#rand() * 6) * 10) / 10 },
        },
      },
      {
        type: 'metrics.update',
        data: {
          component: 'ml_scorer',
          timestamp: now,
          metrics: { inference_ms: Math.round((1.5 + this.#rand() * 2) * 100) / 100, batch_size: 32, active_campaigns: this.#campaigns.length },
        },
      },
    ];
  }
}
