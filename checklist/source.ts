/**
 * Reads CHECKLIST.md (the customer's checklist, kept verbatim) and turns every checkbox into a raw item
 * with its ID, phase, section, parent and line. Kind and modes come from overlay.yaml (see
 * scripts/checklist-build.ts); this module knows only the document's structure and the fixed ID scheme.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChecklistItem, OutlineLine, Phase } from './model.ts';
import { CHECKLIST_SOURCE, REPO_ROOT } from '../core/paths.ts';
import { checklistOverride } from '../core/config.ts';

export { REPO_ROOT };
export const CHECKLIST_DIR = resolve(REPO_ROOT, 'checklist');

/**
 * The checklist the product ships (checklist/source/CHECKLIST.md, the customer's text verbatim); CHECKLIST_MD
 * points at another copy for a customer whose checklist has moved on (its sha256 must then match
 * checklist.yaml, or the build reports the drift).
 */
export function checklistMdPath(): string {
  const fromEnv = checklistOverride();
  if (fromEnv !== undefined) {
    if (!existsSync(fromEnv)) throw new Error(`CHECKLIST_MD: ${fromEnv} does not exist. Point it at the customer's CHECKLIST.md or unset it to use the shipped copy.`);
    return fromEnv;
  }
  if (!existsSync(CHECKLIST_SOURCE)) throw new Error(`${CHECKLIST_SOURCE} is missing from the repository; restore it (git checkout -- checklist/source/CHECKLIST.md) or set CHECKLIST_MD.`);
  return CHECKLIST_SOURCE;
}

/** Group codes of the bold top-level boxes, per phase (the fixed ID scheme other code relies on). */
export const GROUP_CODES: Record<Phase, Record<string, string>> = {
  PRE: {
    'Server Specifications': 'SERVER',
    'Software Dependencies': 'SOFTWARE',
    'Network Configuration': 'NETWORK',
    'SSL/TLS Certificates': 'TLS',
    'Security Configuration': 'SECCONF',
    'Source Code': 'SOURCE',
    'Directory Structure': 'DIRS',
    'Environment Configuration': 'ENV',
    'Service Configuration': 'SVCCONF',
    'Ollama Setup': 'OLLAMA',
    'Monitoring Stack': 'MONSTACK',
  },
  P1: { 'Resource Availability': 'RES', 'Service Dependencies': 'DEPS', 'Data Backup': 'BACKUP' },
  P2: { 'Monitoring Services': 'MONSVC', 'Application Services': 'APPSVC', 'Individual Service Health': 'HEALTH' },
  P3: {
    'Document Upload Flow': 'UPLOAD',
    'Query Processing': 'QUERY',
    'System Integration': 'INTEG',
    'Load Testing': 'LOAD',
    'Performance Benchmarks': 'BENCH',
  },
  P4: { 'Network Security': 'NETSEC', 'Access Control': 'ACCESS', 'Data Protection': 'DATA' },
  MON: {
    'Grafana Dashboard Configuration': 'GRAFANA',
    'Alert Configuration': 'ALERTS',
    'System Metrics': 'SYSMET',
    'Application Metrics': 'APPMET',
  },
  STAB: { 'Daily Health Verification': 'DAILY', 'User Experience Validation': 'UX', 'Problem Resolution': 'ISSUES' },
  RB: { 'Immediate Actions': 'IMMEDIATE', 'Data Restoration': 'RESTORE', 'Service Restoration': 'SERVICE', 'Post-Rollback': 'POST' },
  DOC: { 'Deployment Records': 'RECORDS', 'Operational Documentation': 'OPS', 'Team Handover': 'TEAM', 'User Communication': 'USERS' },
  SIGN: { 'Technical Sign-off': 'TECH', 'Business Sign-off': 'BIZ', 'Final Status': 'FINAL' },
};

/** Group code for the un-bolded top-level boxes of a phase (only the rollback criteria have them). */
const UNBOLDED_GROUP: Partial<Record<Phase, string>> = { RB: 'CRIT' };

/**
 * `##` headings, the `### Phase N:` headings under Deployment Execution and `### Stability Assessment`
 * under Post-Deployment Monitoring open a phase.
 */
function phaseOf(level: number, heading: string): Phase | undefined {
  if (level === 2) {
    if (heading.includes('Pre-Deployment Requirements')) return 'PRE';
    if (heading.includes('Post-Deployment Monitoring')) return 'MON';
    if (heading.includes('Rollback Procedures')) return 'RB';
    if (heading.includes('Documentation and Handover')) return 'DOC';
    if (heading.includes('Final Sign-off')) return 'SIGN';
    return undefined;
  }
  if (level !== 3) return undefined;
  if (heading.startsWith('Stability Assessment')) return 'STAB';
  const m = /^Phase ([1-4]):/.exec(heading);
  return m ? (`P${m[1]}` as Phase) : undefined;
}

/** An item as the document gives it, before the overlay adds kind, modes and the rest. */
export type RawItem = Pick<ChecklistItem, 'id' | 'phase' | 'phase_title' | 'section' | 'group' | 'parent' | 'depth' | 'text' | 'line'>;

export interface ParsedChecklist {
  file: string;
  title: string;
  sha256: string;
  lines: number;
  items: RawItem[];
  outline: OutlineLine[];
}

const CHECKBOX = /^( *)- \[ \] (.*)$/;

export function parseChecklist(markdown: string, file = 'CHECKLIST.md'): ParsedChecklist {
  const lines = markdown.split('\n');
  const items: RawItem[] = [];
  const outline: OutlineLine[] = [];
  let title = '';
  let phase: Phase | undefined;
  let phaseTitle = '';
  let section = '';
  let inCode = false;
  // Current top-level item and counters for its descendants.
  let top: { id: string; childCount: number } | undefined;
  let child: { id: string; childCount: number } | undefined;
  const unboldedCount: Partial<Record<Phase, number>> = {};
  const seenGroups = new Set<string>();

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (/^```/.test(raw)) inCode = !inCode;
    const box = inCode ? null : CHECKBOX.exec(raw);
    if (!box) {
      if (raw.trim() !== '') outline.push({ line: lineNo, text: raw });
      const h = inCode ? null : /^(#{1,6}) (.*)$/.exec(raw);
      if (!h) return;
      const level = h[1]!.length;
      const heading = h[2]!;
      if (level === 1) title = heading;
      if (level === 2) {
        phase = undefined;
        top = undefined;
      }
      const p = phaseOf(level, heading);
      if (p) {
        phase = p;
        phaseTitle = heading;
      }
      if (level === 3 || level === 4) section = heading;
      if (level <= 4) {
        top = undefined;
        child = undefined;
      }
      return;
    }
    const indent = box[1]!.length;
    const text = box[2]!;
    const where = `${file}:${lineNo}`;
    if (indent % 2 !== 0 || indent > 4) throw new Error(`${where}: unexpected checkbox indentation (${indent} spaces)`);
    if (!phase) throw new Error(`${where}: checkbox outside any known phase heading`);
    const depth = indent / 2;
    const common = { phase, phase_title: phaseTitle, section, text, line: lineNo };
    if (depth === 0) {
      const bold = /^\*\*(.+?)\*\*/.exec(text);
      let id: string;
      let group: string | null;
      if (bold) {
        group = bold[1]!;
        const code = GROUP_CODES[phase][group];
        if (!code) throw new Error(`${where}: no group code for bold item "${group}" in phase ${phase}; add it to GROUP_CODES`);
        id = `${phase}-${code}`;
        if (seenGroups.has(id)) throw new Error(`${where}: group ${id} appears twice`);
        seenGroups.add(id);
        items.push({ id, ...common, group, parent: null, depth });
        top = { id, childCount: 0 };
      } else {
        const code = UNBOLDED_GROUP[phase];
        if (!code) throw new Error(`${where}: un-bolded top-level box in phase ${phase} has no group code`);
        const n = (unboldedCount[phase] ?? 0) + 1;
        unboldedCount[phase] = n;
        id = `${phase}-${code}-${n}`;
        items.push({ id, ...common, group: null, parent: null, depth });
        top = undefined;
      }
      child = undefined;
      return;
    }
    if (depth === 1) {
      if (!top) throw new Error(`${where}: nested checkbox without a bold parent`);
      top.childCount += 1;
      const id = `${top.id}-${top.childCount}`;
      const parentItem = items.find((i) => i.id === top!.id)!;
      items.push({ id, ...common, group: parentItem.group, parent: top.id, depth });
      child = { id, childCount: 0 };
      return;
    }
    if (!child) throw new Error(`${where}: doubly nested checkbox without a parent`);
    child.childCount += 1;
    const id = `${child.id}.${child.childCount}`;
    const parentItem = items.find((i) => i.id === child!.id)!;
    items.push({ id, ...common, group: parentItem.group, parent: child.id, depth });
  });

  return {
    file,
    title,
    sha256: createHash('sha256').update(markdown).digest('hex'),
    lines: lines.length,
    items,
    outline,
  };
}

export function readChecklistMd(path = checklistMdPath()): { path: string; text: string } {
  return { path, text: readFileSync(path, 'utf8') };
}
