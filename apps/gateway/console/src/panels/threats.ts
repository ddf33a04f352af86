import type { EventEnvelope } from '@ns/contracts';
import { threatSource } from '../../../src/event-summary.js';
import { LEVELS, ThreatRateChart, type Level } from '../charts.js';
import { badge, byId, clock, coalesced, el } from '../dom.js';
import { showDetail } from '../detail.js';

type ThreatEvent = Extract<EventEnvelope, { type: 'threat.new' }>;

const MAX_ROWS = 500;
const CHART_MINUTES = 30;
const TOP_IPS = 8;

/**
 * Threats: a live table (newest first; click for the full event), counts by level, threats per minute
 * by level over the last 30 minutes, and the top source addresses.
 */
export class ThreatsPanel {
  readonly #rows = byId('threat-rows');
  readonly #counts: Record<Level, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  readonly #perMinute = new Map<number, Record<Level, number>>();
  readonly #sources = new Map<string, number>();
  #chart: ThreatRateChart | null = null;
  readonly #schedule = coalesced(() => {
    this.#renderCounts();
    this.#renderSources();
  });
  #dirty = true;

  /** Draws the chart once the panel is visible (uPlot needs a laid-out width), then on a timer. */
  show(): void {
    const target = byId('threat-chart');
    const width = Math.max(320, target.clientWidth);
    if (this.#chart === null) this.#chart = new ThreatRateChart(target, CHART_MINUTES, width);
    else this.#chart.resize(width);
    this.#dirty = true;
    this.tick();
  }

  /** Redraws what changed (called every second): the chart also moves on as minutes pass. */
  tick(): void {
    if (this.#chart === null) return;
    const minute = Math.floor(Date.now() / 60_000);
    if (!this.#dirty && minute === this.#lastMinute) return;
    this.#lastMinute = minute;
    this.#dirty = false;
    const oldest = (minute - CHART_MINUTES) * 60;
    for (const m of this.#perMinute.keys()) if (m < oldest) this.#perMinute.delete(m);
    this.#chart.update(this.#perMinute);
  }

  #lastMinute = 0;

  add(e: EventEnvelope, live: boolean): void {
    if (e.type !== 'threat.new') return;
    const t = e as ThreatEvent;
    const level = t.data.threat_level as Level;
    this.#counts[level]++;
    // Charted by when the processor saw the threat (its data timestamp), not when it was published.
    const minute = Math.floor(t.data.timestamp / 60) * 60;
    const bucket = this.#perMinute.get(minute) ?? { low: 0, medium: 0, high: 0, critical: 0 };
    bucket[level]++;
    this.#perMinute.set(minute, bucket);
    const source = threatSource(t.data);
    this.#sources.set(source, (this.#sources.get(source) ?? 0) + 1);
    this.#dirty = true;
    this.#row(t, live);
    this.#schedule();
  }

  #row(e: ThreatEvent, fresh: boolean): void {
    const d = e.data;
    const tr = el('tr', fresh ? 'fresh' : '');
    tr.dataset.type = e.type;
    tr.dataset.level = d.threat_level;
    if (d.threat_level === 'critical') tr.classList.add('row-critical');
    const level = el('td');
    level.append(badge(d.threat_level));
    const open = el('button', 'link', threatSource(d));
    open.type = 'button';
    open.title = 'show the full event';
    open.addEventListener('click', (ev) => {
      ev.stopPropagation();
      showDetail(e);
    });
    const source = el('td', 'mono');
    source.append(open);
    tr.append(
      el('td', 'dim', clock(e.ts)),
      level,
      el('td', 'num', d.threat_score),
      source,
      el('td', '', d.event_type ?? ''),
      el('td', 'num', d.dst_port ?? ''),
      el('td', 'dim mono', e.seq),
    );
    tr.addEventListener('click', () => showDetail(e));
    this.#rows.prepend(tr);
    while (this.#rows.childElementCount > MAX_ROWS) this.#rows.lastElementChild?.remove();
  }

  #renderCounts(): void {
    const box = byId('threat-counts');
    const total = LEVELS.reduce((s, l) => s + this.#counts[l], 0);
    box.replaceChildren(
      ...[...LEVELS].reverse().map((l) => {
        const chip = el('span', `chip chip-${l}`);
        chip.dataset.level = l;
        chip.append(el('span', 'chip-n', this.#counts[l]), el('span', 'chip-label', l));
        return chip;
      }),
      el('span', 'dim small', `${total} threats`),
    );
  }

  #renderSources(): void {
    const top = [...this.#sources].sort((a, b) => b[1] - a[1]).slice(0, TOP_IPS);
    const max = top[0]?.[1] ?? 1;
    byId('top-ips').replaceChildren(
      ...top.map(([ip, n]) => {
        const li = el('li');
        const bar = el('span', 'bar');
        bar.style.width = `${Math.round((n / max) * 100)}%`;
        li.append(el('span', 'mono', ip), el('span', 'num', n), bar);
        return li;
      }),
    );
  }
}
