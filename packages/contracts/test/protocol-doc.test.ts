import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, CHANNELS, CLOSE_CODE_TABLE, ERROR_CODE_NAMES, ERROR_CODES, EVENT_TYPE_NAMES, channelForType } from '../src/index.js';

// docs/protocol.md is prose for people; its tables must still say what the contracts' tables say.
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const rows = doc.split('\n').filter((l) => l.startsWith('| '));

describe('docs/protocol.md agrees with the contracts', () => {
  it('lists every error code with its HTTP status and close code', () => {
    for (const code of ERROR_CODE_NAMES) {
      const { http, close } = ERROR_CODES[code];
      expect(rows, code).toContain(`| \`${code}\` | ${http} | ${close ?? '—'} | ${ERROR_CODES[code].description} |`);
    }
  });

  it('lists every close code, and only those', () => {
    const listed = rows.map((r) => /^\| (\d{4}) \|/.exec(r)?.[1]).filter((c) => c !== undefined).map(Number);
    expect(listed).toEqual(Object.values(CLOSE_CODE_TABLE).map((c) => c.code));
  });

  it('lists every event type on its channel, and every channel', () => {
    for (const type of EVENT_TYPE_NAMES) expect(rows.some((r) => r.includes(`\`${type}\``) && r.includes(`| ${channelForType(type)} |`)), type).toBe(true);
    for (const name of CHANNEL_NAMES) {
      const row = rows.find((r) => r.startsWith(`| \`${name}\` | \`${CHANNELS[name].domain}.*\` |`));
      expect(row, name).toBeDefined();
      expect(row).toContain(CHANNELS[name].readPermission === null ? 'none' : `\`${CHANNELS[name].readPermission}\``);
      expect(row).toContain(`| ${CHANNELS[name].delivery} |`);
    }
  });
});
