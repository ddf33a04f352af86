import type { EventEnvelope } from '@ns/contracts';
import { age, badge, byId, coalesced, el } from '../dom.js';

type StatusData = Extract<EventEnvelope, { type: 'status.update' }>['data'];

/** The status board: one tile per component (its latest update), coloured by health, with its age. */
export class StatusPanel {
  readonly #latest = new Map<string, { data: StatusData; seen: number }>();
  readonly #schedule = coalesced(() => this.render());

  add(e: EventEnvelope): void {
    if (e.type !== 'status.update') return;
    this.#latest.set(e.data.component, { data: e.data, seen: e.ts });
    this.#schedule();
  }

  /** Called every second: last-seen ages move on. */
  tick(): void {
    for (const tile of byId('status-tiles').querySelectorAll<HTMLElement>('[data-seen]')) {
      const age_ = tile.querySelector('.seen');
      if (age_ !== null) age_.textContent = `seen ${age(Number(tile.dataset.seen))} ago`;
    }
  }

  render(): void {
    const tiles = [...this.#latest].sort(([a], [b]) => (a < b ? -1 : 1));
    byId('status-tiles').replaceChildren(
      ...tiles.map(([component, { data, seen }]) => {
        const tile = el('article', `tile health-${data.status}`);
        tile.dataset.component = component;
        tile.dataset.status = data.status;
        tile.dataset.seen = String(seen);
        const head = el('div', 'tile-head');
        head.append(el('h3', '', component), badge(data.status));
        tile.append(head, el('p', 'tile-msg', data.message ?? ''), el('p', 'seen dim small', `seen ${age(seen)} ago`));
        return tile;
      }),
    );
    byId('status-empty').hidden = tiles.length > 0;
  }
}
