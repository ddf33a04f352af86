import type { EventEnvelope } from '@ns/contracts';
import { formatNumber } from '../../../src/event-summary.js';
import { Sparkline } from '../charts.js';
import { byId, el } from '../dom.js';

type MetricsEvent = Extract<EventEnvelope, { type: 'metrics.update' }>;

const POINTS = 120;
const FIELDS_PER_COMPONENT = 8;

interface Series {
  xs: number[];
  ys: number[];
  chart: Sparkline | null;
  value: HTMLElement;
  box: HTMLElement;
}

/** Metrics: per component, a small chart and the current value of each numeric field. */
export class MetricsPanel {
  readonly #components = new Map<string, { card: HTMLElement; grid: HTMLElement; series: Map<string, Series> }>();
  #visible = false;

  add(e: EventEnvelope): void {
    if (e.type !== 'metrics.update') return;
    const m = e as MetricsEvent;
    const comp = this.#component(m.data.component);
    for (const [name, value] of Object.entries(m.data.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      let s = comp.series.get(name);
      if (s === undefined) {
        if (comp.series.size >= FIELDS_PER_COMPONENT) continue;
        const box = el('figure', 'metric');
        box.dataset.metric = name;
        const caption = el('figcaption');
        const valueEl = el('span', 'num');
        caption.append(el('span', 'dim', name), valueEl);
        box.append(caption);
        comp.grid.append(box);
        s = { xs: [], ys: [], chart: null, value: valueEl, box };
        comp.series.set(name, s);
      }
      s.xs.push(m.ts);
      s.ys.push(value);
      if (s.xs.length > POINTS) {
        s.xs.shift();
        s.ys.shift();
      }
      s.value.textContent = formatNumber(value);
      if (this.#visible) this.#draw(name, s);
    }
  }

  /** Charts are drawn once the panel is visible (uPlot needs a laid-out width). */
  show(): void {
    this.#visible = true;
    for (const comp of this.#components.values()) for (const [name, s] of comp.series) this.#draw(name, s);
  }

  hide(): void {
    this.#visible = false;
  }

  #draw(name: string, s: Series): void {
    s.chart ??= new Sparkline(s.box, name, Math.max(160, s.box.clientWidth - 4));
    s.chart.update(s.xs, s.ys);
  }

  #component(name: string) {
    let c = this.#components.get(name);
    if (c === undefined) {
      const card = el('section', 'metrics-card');
      card.dataset.component = name;
      const grid = el('div', 'metrics-grid');
      card.append(el('h3', '', name), grid);
      const list = byId('metrics-cards');
      list.append(card);
      byId('metrics-empty').hidden = true;
      c = { card, grid, series: new Map() };
      this.#components.set(name, c);
    }
    return c;
  }
}
