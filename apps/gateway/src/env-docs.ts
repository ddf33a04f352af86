import { ENV_VARS } from './env-vars.js';

/** Markers around the generated variable table in README.md. */
export const ENV_TABLE_BEGIN = '<!-- env-vars:begin (generated from src/env-vars.ts by `npm run docs:env`; do not edit) -->';
export const ENV_TABLE_END = '<!-- env-vars:end -->';

/** The command that regenerates the README table, named in the test that compares them. */
export const ENV_TABLE_COMMAND = 'npm run docs:env';

const escapeMarkdown = (text: string): string => text.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');

/** The README's variable table (Markdown), one row per entry of `ENV_VARS`, in table order. */
export function envMarkdownTable(): string {
  const rows = ENV_VARS.map((v) => `| \`${v.name}\` | ${v.default === undefined ? '*(unset)*' : `\`${v.default}\``} | ${escapeMarkdown(v.description)} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `text` with the block between the markers replaced by the current table; throws when a marker is missing. */
export function withEnvTable(text: string): string {
  const begin = text.indexOf(ENV_TABLE_BEGIN);
  const end = text.indexOf(ENV_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${ENV_TABLE_BEGIN} … ${ENV_TABLE_END}`);
  return `${text.slice(0, begin + ENV_TABLE_BEGIN.length)}\n${envMarkdownTable()}\n${text.slice(end)}`;
}

const wrap = (text: string, width: number, indent: string): string => {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${indent}`);
};

/** The `--help` section listing every variable: name, `[default]`, description wrapped to 62 columns. */
export function envHelpSection(): string {
  return ENV_VARS.map((v) => {
    const head = `  ${v.name.padEnd(24)} ${`[${v.default ?? 'unset'}]`.padEnd(26)}`;
    return `${head}${wrap(v.description, 62, ' '.repeat(52))}`;
  }).join('\n');
}
