import type { EventEnvelope } from '@ns/contracts';
import { isAlarming, levelOf, summaryOf } from '../../../src/event-summary.js';
import { badge, byId, clock, el } from '../dom.js';
import { showDetail } from '../detail.js';

const MAX_ROWS = 500;

/** The raw tail: every event of every ticked channel, newest first, with search, pause and clear. */
export class TailPanel {
  #paused = false;
  #pending: EventEnvelope[] = [];
  #received = 0;
  #search = '';
  readonly #body = byId('events');

  constructor() {
    const pause = byId('pause');
    pause.addEventListener('click', () => {
      this.#paused = !this.#paused;
      pause.setAttribute('aria-pressed', String(this.#paused));
      pause.textContent = this.#paused ? 'Resume' : 'Pause';
      if (!this.#paused) for (const e of this.#pending.splice(0)) this.#row(e, false);
      this.#counts();
    });
    byId('clear').addEventListener('click', () => {
      this.#body.replaceChildren();
      this.#received = 0;
      this.#counts();
    });
    const search = byId<HTMLInputElement>('search');
    search.addEventListener('input', () => {
      this.#search = search.value.trim().toLowerCase();
      for (const tr of this.#body.children) this.#filter(tr as HTMLElement);
    });
    this.#counts();
  }

  add(e: EventEnvelope, live: boolean): void {
    this.#received++;
    if (this.#paused) {
      this.#pending.push(e);
      if (this.#pending.length > MAX_ROWS) this.#pending.shift();
    } else this.#row(e, live);
    this.#counts();
  }

  #row(e: EventEnvelope, fresh: boolean): void {
    const level = levelOf(e);
    const tr = el('tr', fresh ? 'fresh' : '');
    if (isAlarming(level)) tr.classList.add('row-critical');
    tr.dataset.channel = e.channel;
    tr.dataset.type = e.type;
    const summary = summaryOf(e);
    const lv = el('td');
    lv.append(badge(level));
    tr.append(el('td', 'dim', clock(e.ts)), el('td', '', e.channel), el('td', 'dim', e.seq), el('td', '', e.type), lv, el('td', 'summary', summary));
    tr.dataset.search = `${e.type} ${e.channel} ${level} ${summary}`.toLowerCase();
    tr.addEventListener('click', () => showDetail(e));
    this.#filter(tr);
    this.#body.prepend(tr);
    while (this.#body.childElementCount > MAX_ROWS) this.#body.lastElementChild?.remove();
  }

  #filter(tr: HTMLElement): void {
    tr.hidden = this.#search !== '' && !(tr.dataset.search ?? '').includes(this.#search);
  }

  #counts(): void {
    byId('counts').textContent = `${this.#received} received${this.#paused ? ` · paused, ${this.#pending.length} waiting` : ''}`;
  }
}
