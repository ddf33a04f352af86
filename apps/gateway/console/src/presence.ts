import type { PresenceResponse } from '@ns/contracts';
import { CHANNEL_NAMES, type ChannelName } from '@ns/contracts/wire';
import { age, el } from './dom.js';
import { fetchPresence } from './gateway.js';

// Who watches each channel. Everyone sees the counts in the channel list (from GET /v1/channels);
// admins also get a "users" button per channel that opens the list of users subscribed to it on every
// gateway instance (GET /v1/presence/{channel}), refreshed with every poll while open.

/** The admins' user lists of the channel list. */
export class PresenceView {
  #admin = false;
  readonly #open = new Set<ChannelName>();
  readonly #ui = new Map<ChannelName, { button: HTMLButtonElement; list: HTMLUListElement }>();

  /** `slot(channel)` is the channel's entry in the list; the button joins its first row. */
  constructor(slot: (channel: ChannelName) => { row: HTMLElement; li: HTMLElement }) {
    for (const name of CHANNEL_NAMES) {
      const button = el('button', 'who', 'users');
      button.type = 'button';
      button.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-label', `users subscribed to ${name}`);
      const list = el('ul', 'presence');
      list.hidden = true;
      list.setAttribute('aria-label', `users subscribed to ${name}`);
      button.addEventListener('click', () => {
        if (this.#open.delete(name)) this.#render(name, undefined);
        else {
          this.#open.add(name);
          void this.refresh();
        }
      });
      const { row, li } = slot(name);
      row.append(button);
      li.append(list);
      this.#ui.set(name, { button, list });
    }
  }

  /** Shows the buttons for a principal with `admin`; hides them and their lists otherwise. */
  setAdmin(admin: boolean): void {
    this.#admin = admin;
    for (const [name, ui] of this.#ui) {
      ui.button.hidden = !admin;
      if (!admin) {
        this.#open.delete(name);
        this.#render(name, undefined);
      }
    }
  }

  /** Fetches the open lists again. */
  async refresh(): Promise<void> {
    if (!this.#admin) return;
    await Promise.all(
      [...this.#open].map(async (name) => {
        try {
          this.#render(name, await fetchPresence(name));
        } catch (err) {
          this.#render(name, (err as Error).message);
        }
      }),
    );
  }

  #render(name: ChannelName, presence: PresenceResponse | string | undefined): void {
    const ui = this.#ui.get(name);
    if (ui === undefined) return;
    const open = this.#open.has(name);
    ui.button.setAttribute('aria-expanded', String(open));
    ui.list.hidden = !open;
    if (!open || presence === undefined) return ui.list.replaceChildren();
    if (typeof presence === 'string') return ui.list.replaceChildren(el('li', 'err', presence));
    const items = presence.members.map((m) => {
      const li = el('li', '', `${m.user === null ? 'anonymous' : (m.username ?? m.user)} · ${m.connections} conn · ${age(m.since)}`);
      li.dataset.user = m.user ?? '';
      li.title = `${m.user ?? 'anonymous connections'}: ${m.connections} connection(s) since ${new Date(m.since * 1000).toLocaleString()}`;
      return li;
    });
    if (items.length === 0) items.push(el('li', '', 'nobody'));
    if (presence.truncated) items.push(el('li', '', `… ${presence.users - presence.members.length} more`));
    ui.list.replaceChildren(...items);
  }
}
