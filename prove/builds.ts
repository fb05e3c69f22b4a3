/**
 * Defective builds of the backend: how a bad release reaches production. A defect in the application (not
 * its configuration) is planted by patching the built bundle `reference/app/dist/backend.mjs` with exact
 * text edits and bind-mounting the patched copy read-only over `/app/dist/backend.mjs` of the rag-backend
 * service of a deployment copy. The image stays the released one; only the code it runs differs.
 *
 * Every patch must match exactly once: a patch that matches nowhere (the source changed) or several times
 * (ambiguous) throws MutationError naming it, so a defect can never silently not apply.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../core/paths.ts';
import { MutationError, replaceIn } from './mutate.ts';

export const BACKEND_BUNDLE = resolve(REPO_ROOT, 'reference', 'app', 'dist', 'backend.mjs');
/** Where the patched bundle goes inside the deployment copy (relative), and where the image runs it from. */
export const DEFECTIVE_BUNDLE = 'defective/backend.mjs';
const IMAGE_BUNDLE = '/app/dist/backend.mjs';
const PROD = 'docker-compose.production.yml';
/** The last volume line of the rag-backend service in the reference compose file; the mount goes after it. */
const BACKEND_VOLUME_ANCHOR = '      - ./logs/app:/app/logs/app\n';

export interface Patch {
  /** Short name used in error messages ("query: 3 s sleep"). */
  name: string;
  /** Exact text of the bundle to replace (esbuild output, not minified: see reference/app/dist/backend.mjs). */
  find: string;
  replace: string;
}

function count(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Applies the patches to the bundle text; throws MutationError naming the first patch that does not match exactly once. */
export function patchBundle(source: string, patches: Patch[], label = 'backend.mjs'): string {
  if (patches.length === 0) throw new MutationError(`${label}: a defective build needs at least one patch`);
  let text = source;
  for (const p of patches) {
    const n = count(text, p.find);
    if (n !== 1) {
      throw new MutationError(
        `${label}: patch "${p.name}" matches ${n} times (must match exactly once): ${JSON.stringify(p.find.slice(0, 120))}; ${n === 0 ? 'the backend source changed and this defect no longer applies – update the patch from reference/app/src/backend' : 'make the patch text longer so it is unambiguous'}`,
      );
    }
    text = text.replace(p.find, () => p.replace);
  }
  return text;
}

/** `node --check` on a file: throws MutationError with node's message when the patched bundle does not parse. */
export function checkParses(file: string, label: string): void {
  try {
    execFileSync(process.execPath, ['--check', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message);
    throw new MutationError(`${label}: the patched bundle does not parse: ${stderr.split('\n').slice(0, 6).join(' ')}`);
  }
}

/**
 * Returns `apply(dir)` for a Defect: writes the patched bundle to `<dir>/defective/backend.mjs` (checked with
 * `node --check`) and mounts it read-only over the image's bundle in the copy's rag-backend service.
 */
export function defectiveBackend(name: string, patches: Patch[]): (dir: string) => void {
  return (dir: string) => {
    if (!existsSync(BACKEND_BUNDLE)) throw new MutationError(`${BACKEND_BUNDLE} is missing: build it (cd reference/app && npm run build) before planting "${name}"`);
    const patched = patchBundle(readFileSync(BACKEND_BUNDLE, 'utf8'), patches, `${name} (backend.mjs)`);
    const out = join(dir, DEFECTIVE_BUNDLE);
    mkdirSync(join(dir, 'defective'), { recursive: true });
    writeFileSync(out, patched);
    // The container runs as an unprivileged user: the mounted file must be readable by it.
    chmodSync(out, 0o644);
    chmodSync(join(dir, 'defective'), 0o755);
    checkParses(out, name);
    const compose = readFileSync(join(dir, PROD), 'utf8');
    const anchors = count(compose, BACKEND_VOLUME_ANCHOR);
    if (anchors !== 1) throw new MutationError(`${PROD}: the rag-backend volume line ${JSON.stringify(BACKEND_VOLUME_ANCHOR.trim())} occurs ${anchors} times (must be once); cannot mount the defective build "${name}"`);
    replaceIn(dir, PROD, BACKEND_VOLUME_ANCHOR, `${BACKEND_VOLUME_ANCHOR}      - ./${DEFECTIVE_BUNDLE}:${IMAGE_BUNDLE}:ro\n`);
  };
}
