/** Where things are: the repository root and the folders a run writes. Nothing here reads the environment. */
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(new URL('..', import.meta.url).pathname);
/** Where the run keeps its state between the setup project, the test workers and teardown. */
export const STATE_DIR = resolve(REPO_ROOT, '.cache', 'state');
export const REPORTS_DIR = resolve(REPO_ROOT, 'reports');
/** The customer's checklist, verbatim, as shipped with the product. */
export const CHECKLIST_SOURCE = resolve(REPO_ROOT, 'checklist', 'source', 'CHECKLIST.md');
