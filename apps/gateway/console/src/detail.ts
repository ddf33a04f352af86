import type { EventEnvelope } from '@ns/contracts';
import { byId } from './dom.js';

// The full event of a clicked row, as JSON in a modal dialog, with a copy button.

let shown = '';

/** Opens the detail dialog for `e`. */
export function showDetail(e: EventEnvelope): void {
  shown = JSON.stringify(e, null, 2);
  byId('detail-title').textContent = `${e.type} · ${e.channel} #${e.seq}`;
  byId('detail-json').textContent = shown;
  byId('detail-copied').textContent = '';
  byId<HTMLDialogElement>('detail').showModal();
}

/** Wires the dialog's buttons (once, at start). */
export function initDetail(): void {
  const dialog = byId<HTMLDialogElement>('detail');
  byId('detail-close').addEventListener('click', () => dialog.close());
  byId('detail-copy').addEventListener('click', () => {
    navigator.clipboard.writeText(shown).then(
      () => (byId('detail-copied').textContent = 'copied'),
      // No clipboard permission (e.g. plain http on a non-local host): select the text for Ctrl+C.
      () => {
        getSelection()?.selectAllChildren(byId('detail-json'));
        byId('detail-copied').textContent = 'selected — press Ctrl+C';
      },
    );
  });
}
