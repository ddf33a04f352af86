// Small DOM helpers. Every value from the network is set as text (textContent), never parsed as HTML.

/** The element with `id`; throws when the page lacks it (a bug in index.html, not a runtime state). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`console: #${id} is missing from index.html`);
  return found as T;
}

/** A new element with a class and text content. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string | number): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== undefined && cls !== '') e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

/** `12:03:04.567` in the browser's time zone. */
export function clock(tsSeconds: number): string {
  const t = new Date(tsSeconds * 1000);
  return `${t.toLocaleTimeString([], { hour12: false })}.${String(t.getMilliseconds()).padStart(3, '0')}`;
}

/** `5 s`, `3 min`, `2 h`: how long ago `tsSeconds` was. */
export function age(tsSeconds: number, nowSeconds = Date.now() / 1000): string {
  const s = Math.max(0, Math.round(nowSeconds - tsSeconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** A coloured level badge (`badge level-critical`), or an empty span when there is no level. */
export function badge(level: string): HTMLSpanElement {
  return level === '' ? el('span') : el('span', `badge level-${level}`, level);
}

/**
 * `fn` wrapped to run at most once per burst: calls made while one is pending are folded into it.
 * History on open hands on hundreds of events in one go; the panel redraws once after them.
 */
export function coalesced(fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      fn();
    });
  };
}
