/**
 * `npm run settings:doc`: writes README.md's settings table – between `<!-- settings:begin -->` and
 * `<!-- settings:end -->` – from the declaration of every setting in core/config.ts (SETTINGS), so that the
 * table cannot drift from what the code reads.
 *
 *   npm run settings:doc [-- --check]
 *   --check  writes nothing; exits 1 when README.md's table differs from the declaration (CI, selftest)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SETTINGS, type Setting } from '../core/config.ts';
import { REPO_ROOT } from '../core/paths.ts';

export const README = resolve(REPO_ROOT, 'README.md');
export const BEGIN = '<!-- settings:begin -->';
export const END = '<!-- settings:end -->';

/** A table cell: a pipe would end it. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function typeOf(s: Setting<unknown>): string {
  return s.accepts ? `${s.type} (${s.accepts})` : s.type;
}

/** The modes a gate setting applies to, or the program that reads it. */
function appliesTo(s: Setting<unknown>): string {
  if (s.readBy) return `read by ${s.readBy.split(', ').map((p) => `\`${p}\``).join(', ')}`;
  return s.modes.length === 3 ? 'all modes' : s.modes.join(', ');
}

/** The settings table in Markdown, one row per declared variable in declaration order. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS as Record<string, Setting<unknown>>).map(
    ([name, s]) => `| \`${name}\` | ${cell(typeOf(s))} | ${cell(s.shownDefault) || '–'} | ${cell(appliesTo(s))} | ${cell(s.help)} |`,
  );
  return ['| variable | type | default | applies to | what it does |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The README with the table between the markers replaced by the generated one. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} block for the settings table`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}

function main(argv: string[]): number {
  const current = readFileSync(README, 'utf8');
  let wanted: string;
  try {
    wanted = withSettingsTable(current);
  } catch (e) {
    console.error(`settings:doc: ${(e as Error).message}`);
    return 2;
  }
  if (argv.includes('--check')) {
    if (wanted === current) return 0;
    console.error('settings:doc: README.md\'s settings table differs from the declaration in core/config.ts: run npm run settings:doc');
    return 1;
  }
  if (wanted !== current) writeFileSync(README, wanted);
  console.log(`settings:doc: README.md ${wanted === current ? 'already up to date' : 'updated'} (${Object.keys(SETTINGS).length} settings)`);
  return 0;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  process.exit(main(process.argv.slice(2)));
}
