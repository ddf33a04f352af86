import type { ChannelName } from '@ns/contracts/wire';

// What the analyst chose, kept in localStorage so a reload restores it. The token is never stored.

/** The persisted choices. */
export interface Prefs {
  /** Per channel: ticked or not, and the filter text as typed. */
  channels: Partial<Record<ChannelName, { selected: boolean; filter: string }>>;
  tab: string;
  /** Open critical alerts older than this many minutes are highlighted. */
  staleMinutes: number;
}

const KEY = 'ns-console/v1';
const DEFAULTS: Prefs = { channels: {}, tab: 'threats', staleMinutes: 5 };

/** The stored choices, or the defaults when none are stored or they do not parse. */
export function loadPrefs(): Prefs {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw === null) return structuredClone(DEFAULTS);
    const p = JSON.parse(raw) as Partial<Prefs>;
    return {
      channels: typeof p.channels === 'object' && p.channels !== null ? p.channels : {},
      tab: typeof p.tab === 'string' ? p.tab : DEFAULTS.tab,
      staleMinutes: typeof p.staleMinutes === 'number' && p.staleMinutes > 0 ? p.staleMinutes : DEFAULTS.staleMinutes,
    };
  } catch {
    return structuredClone(DEFAULTS);
  }
}

/** Stores the choices (quietly does nothing where storage is unavailable, e.g. a locked-down profile). */
export function savePrefs(prefs: Prefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // Storage full or disabled: the console works, a reload just starts from the defaults.
  }
}
