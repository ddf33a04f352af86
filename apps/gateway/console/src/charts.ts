import uPlot from 'uplot';

// Charts on uPlot (canvas; styles set through the CSSOM, so the page's strict CSP holds).

/** Colours of the threat levels, as in style.css. */
export const LEVEL_COLOURS = { low: '#4caf7a', medium: '#e2b93b', high: '#f08a3c', critical: '#ff4d5e' } as const;
export const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

const AXIS = { stroke: '#7d8b99', grid: { stroke: '#24303c', width: 1 }, ticks: { stroke: '#24303c', width: 1 } };

/**
 * Threats per minute by level, stacked bars over the last `minutes` minutes. Stacking is drawn by
 * plotting cumulative sums, the tallest (all levels) first, each lower level over it.
 */
export class ThreatRateChart {
  readonly #plot: uPlot;
  readonly #minutes: number;

  constructor(target: HTMLElement, minutes: number, width: number) {
    this.#minutes = minutes;
    const bars = uPlot.paths.bars?.({ size: [0.8, 24] });
    const top = [...LEVELS].reverse();
    this.#plot = new uPlot(
      {
        width,
        height: 170,
        legend: { show: false },
        cursor: { show: false },
        // Half a minute of room either side, so the first and the current minute's bars are whole.
        scales: { x: { time: true, range: (_u, min, max) => [min - 30, max + 30] }, y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
        axes: [AXIS, { ...AXIS, size: 36 }],
        series: [{}, ...top.map((level) => ({ label: level, fill: LEVEL_COLOURS[level], stroke: LEVEL_COLOURS[level], width: 0, ...(bars === undefined ? {} : { paths: bars }), points: { show: false } }))],
      },
      this.#data(new Map()),
      target,
    );
  }

  /** Redraws from per-minute counts (minute start in epoch seconds → counts by level). */
  update(perMinute: Map<number, Record<Level, number>>): void {
    this.#plot.setData(this.#data(perMinute));
  }

  resize(width: number): void {
    this.#plot.setSize({ width, height: 170 });
  }

  #data(perMinute: Map<number, Record<Level, number>>): uPlot.AlignedData {
    const now = Math.floor(Date.now() / 60_000) * 60;
    const xs: number[] = [];
    for (let m = now - (this.#minutes - 1) * 60; m <= now; m += 60) xs.push(m);
    // Series in drawing order: critical+high+medium+low, then high+medium+low, … then low.
    const stacks = [...LEVELS].reverse().map((_, i) => {
      const included = LEVELS.slice(0, LEVELS.length - i);
      return xs.map((x) => included.reduce((sum, level) => sum + (perMinute.get(x)?.[level] ?? 0), 0));
    });
    return [xs, ...stacks];
  }
}

/** A small line chart of one numeric series (a metric's recent values). */
export class Sparkline {
  readonly #plot: uPlot;

  constructor(target: HTMLElement, label: string, width: number) {
    this.#plot = new uPlot(
      {
        width,
        height: 64,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [{ show: false }, { ...AXIS, size: 42, font: '10px system-ui', ticks: { show: false } }],
        series: [{}, { label, stroke: '#4fa3ff', width: 1.5, fill: 'rgba(79, 163, 255, 0.12)' }],
      },
      [[], []],
      target,
    );
  }

  update(xs: number[], ys: number[]): void {
    this.#plot.setData([xs, ys]);
  }
}
