/**
 * repairMojibake (checklist/mojibake.ts) on the customer's own headings: CHECKLIST.md's emoji were UTF-8 read as
 * Mac Roman. The repair undoes exactly that, leaves clean text alone, and only the HTML page uses it – the data
 * (checklist.yaml, checklist.md, checklist.json) keeps the verbatim text and the file's sha256.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { JSONReport } from '@playwright/test/reporter';
import { loadChecklist } from '../checklist/load.ts';
import { mojibakeSegments, repairMojibake } from '../checklist/mojibake.ts';
import { renderHtml, renderJson, renderMarkdown } from '../checklist/render.ts';
import { evaluate } from '../checklist/results.ts';
import { CHECKLIST_SOURCE } from '../core/paths.ts';

const source = readFileSync(CHECKLIST_SOURCE, 'utf8');
const lines = source.split('\n');
const garbled = lines.filter((l) => /[^\x00-\x7f]/.test(l));
/** Mac Roman's 0xF0 (the Apple logo, U+F8FF; invisible in most fonts): the first byte of every 4-byte emoji. */
const F0 = '\uf8ff';

test('the real headings come back as the emoji they were', () => {
  const expected: Record<string, string> = {
    [`## ${F0}üìã Pre-Deployment Requirements`]: '## 📋 Pre-Deployment Requirements',
    '#### Infrastructure Requirements ‚úÖ': '#### Infrastructure Requirements ✅',
    [`## ${F0}üöÄ Deployment Execution`]: '## 🚀 Deployment Execution',
    '### Phase 4: Security Validation ‚úÖ': '### Phase 4: Security Validation ✅',
    [`## ${F0}üìä Post-Deployment Monitoring`]: '## 📊 Post-Deployment Monitoring',
    '## ‚ö†Ô∏è Rollback Procedures': '## ⚠️ Rollback Procedures',
    '## ‚úÖ Final Sign-off': '## ✅ Final Sign-off',
    [`## ${F0}üìû Emergency Contacts`]: '## 📞 Emergency Contacts',
    [`## ${F0}üìù Deployment Log`]: '## 📝 Deployment Log',
    '| [TIME] | Pre-deployment checks | ‚úÖ | All prerequisites met |': '| [TIME] | Pre-deployment checks | ✅ | All prerequisites met |',
    '**Deployment Status**: ‚è≥ Ready for Execution  ': '**Deployment Status**: ⏳ Ready for Execution  ',
  };
  for (const [verbatim, repaired] of Object.entries(expected)) {
    assert.ok(lines.includes(verbatim), `CHECKLIST.md has the line ${JSON.stringify(verbatim)}`);
    assert.equal(repairMojibake(verbatim), repaired);
  }
});

test('every garbled line of CHECKLIST.md is repaired, and the repair is exactly the accident undone', () => {
  assert.equal(garbled.length, 30);
  const macRoman = new TextDecoder('macintosh');
  for (const line of garbled) {
    const repaired = repairMojibake(line);
    assert.notEqual(repaired, line, line);
    assert.match(repaired, /\p{Extended_Pictographic}/u, line);
    assert.doesNotMatch(repaired, /[üÔ‚]/, line);
    // Reading the repaired text's UTF-8 as Mac Roman gives the verbatim line back.
    assert.equal(macRoman.decode(Buffer.from(repaired, 'utf8')), line);
  }
});

test('the repaired stretches keep their garbled original', () => {
  assert.deepEqual(mojibakeSegments(`## ${F0}üìã Pre-Deployment Requirements`), [
    { text: '## ' },
    { text: '📋', original: `${F0}üìã` },
    { text: ' Pre-Deployment Requirements' },
  ]);
  // An emoji and its variation selector are one stretch.
  assert.deepEqual(mojibakeSegments('‚ö†Ô∏è Rollback'), [{ text: '⚠️', original: '‚ö†Ô∏è' }, { text: ' Rollback' }]);
  assert.deepEqual(mojibakeSegments(''), []);
});

test('clean text is never touched', () => {
  const clean = [
    'Production Deployment Checklist - RAG System v1.0',
    'café, naïve — résumé, Größe, Ångström, Œuvre',
    '“Über” – ‘quoted’ … ≈ 20 °C, ±5 %, ≤ 2.0, ∞, π',
    '÷ ◊ ‹ › ﬁ ﬂ ‡ · ‚ „ ‰',
    'already repaired: 📋 ✅ ⚠️ 🚀',
    `a lone lead without its continuation: √ x, ‚ú and ${F0}üì`,
  ];
  for (const s of clean) assert.equal(repairMojibake(s), s);
  for (const item of loadChecklist().items) assert.equal(repairMojibake(item.text), item.text, item.id);
  for (const line of garbled) assert.equal(repairMojibake(repairMojibake(line)), repairMojibake(line), 'idempotent');
});

test('only the page shows the repair: checklist.yaml, .md and .json keep the verbatim text and its sha256', () => {
  const checklist = loadChecklist();
  assert.equal(checklist.doc.source.sha256, createHash('sha256').update(readFileSync(CHECKLIST_SOURCE)).digest('hex'));
  assert.equal(checklist.items.find((i) => i.phase === 'PRE')!.phase_title, `${F0}üìã Pre-Deployment Requirements`);
  const report = { config: { metadata: {}, version: '1.65.1' }, suites: [], errors: [], stats: { startTime: '2026-01-01T10:00:00.000Z', duration: 1000 } } as unknown as JSONReport;
  const result = evaluate(checklist, report, { attestations: [], waivers: [] }, { mode: 'hermetic', target: 'test', strict: false, resultsFile: 'r.json', now: new Date('2026-03-01T00:00:00Z') });
  const md = renderMarkdown(checklist, result, '/repo/reports');
  assert.ok(md.split('\n').includes(`## ${F0}üìã Pre-Deployment Requirements`));
  const json = JSON.parse(renderJson(checklist, result, '/repo/reports')) as { items: Array<{ id: string; section: string }> };
  assert.equal(json.items.find((i) => i.id === 'PRE-SERVER-1')!.section, 'Infrastructure Requirements ‚úÖ');
  const html = renderHtml(checklist, result, '/repo/reports');
  assert.match(html, /<h2 id="phase-PRE" class="phase-start"><span class="glyph" title="in the source file: \uf8ffüìã">📋<\/span> Pre-Deployment Requirements<\/h2>/);
  assert.doesNotMatch(html.replace(/title="[^"]*"/g, ''), /üìã|‚úÖ|‚ö†Ô∏è/);
});
