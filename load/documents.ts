/**
 * Generated documents and questions for the load scripts: "typical documents" (plain-text operations notes
 * of TYPICAL_DOCUMENT_BYTES) that each carry a unique code word, so a query can tell whether it finds *this*
 * document, and realistic, multi-part questions of the kind the system is used for.
 */
import { TYPICAL_DOCUMENT_BYTES } from '../core/thresholds.ts';

const PARAGRAPHS = [
  'The quarterly maintenance window for the {code} cluster opens on the first Saturday of the quarter at 02:00 UTC and lasts four hours. During the window the on-call engineer drains traffic, applies operating-system patches, rotates the TLS certificates that expire within ninety days and verifies the backups before traffic is restored.',
  'Incident response for {code}: a severity-one incident is declared when the public API answers more than five percent errors for five minutes. The incident commander opens a bridge, assigns a scribe, and posts an update to the status page every thirty minutes until the service is restored and a post-incident review is scheduled.',
  'Data retention at {code}: uploaded documents are kept for seven years, application logs for ninety days and metrics for fifteen days. Backups are taken nightly at 01:30, encrypted with the backup key held by the security team, and a restore drill is performed every month on a staging copy.',
  'Capacity planning for {code} assumes sixteen gigabytes of memory and eight processor cores per node. Memory usage above eighty percent for ten minutes raises a warning, above ninety percent a critical alert; disk usage above eighty-five percent triggers the clean-up runbook and a ticket for the storage team.',
  'Access control at {code}: administrators authenticate with a hardware key, service accounts use API keys of at least sixty-four characters that are rotated every ninety days, and every change to the production configuration needs a second reviewer and a ticket reference in the change log.',
];

/** A typical document for upload number `n` of run `runId`: ~TYPICAL_DOCUMENT_BYTES of text, code word inside. */
export function typicalDocument(runId: string, n: number): { code: string; filename: string; text: string } {
  const code = `${runId}x${n}`.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  const header = `Operations handbook ${code}\n\nThis handbook describes how the ${code} platform is operated.\n\n`;
  let text = header;
  let i = 0;
  while (text.length < TYPICAL_DOCUMENT_BYTES) {
    text += `Section ${i + 1}.\n${PARAGRAPHS[i % PARAGRAPHS.length]!.split('{code}').join(code)}\n\n`;
    i++;
  }
  return { code, filename: `raggate-load-${code}.txt`, text };
}

/** A question that only the document with this code word answers well. */
export function questionFor(code: string): string {
  return `When does the quarterly maintenance window of the ${code} cluster open and what does the on-call engineer do during it?`;
}

/** Realistic, multi-part questions for the query load ("complex queries"). */
export const QUESTIONS = [
  'What happens during the quarterly maintenance window, and which certificates are rotated?',
  'When is a severity-one incident declared, and how often must the status page be updated?',
  'How long are uploaded documents, application logs and metrics retained, and when are backups taken?',
  'At which memory and disk usage levels are warnings and critical alerts raised, and what is the clean-up runbook?',
  'How do administrators and service accounts authenticate, and how often are API keys rotated?',
] as const;

/** The seed document the query load searches (uploaded by queries.ts's setup; every correct answer cites it). */
export function seedDocument(runId: string): { code: string; filename: string; text: string } {
  const d = typicalDocument(runId, 0);
  return { code: d.code, filename: `raggate-load-seed-${d.code}.txt`, text: d.text };
}
