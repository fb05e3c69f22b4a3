/**
 * `npm run profile -- --discover <deployment dir> [--url <backend URL>] [--out <file>]`: drafts a deployment profile
 * (rag-gate.profile.yaml) for the operator to review – the files found by content in the deployment directory
 * (checks/discover.ts), the API's upload field and question field from the backend's OpenAPI document – each with a
 * comment saying how it was found. `npm run profile -- --check <file>` validates a profile (file:line on errors).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Document, YAMLMap } from 'yaml';
import { CONTRACT_API, CONTRACT_FILES, loadProfile, ProfileError, PROFILE_FILE, type ApiShape, type ProfileFile } from '../core/profile.ts';
import { discoverFiles } from '../checks/discover.ts';
import { discoverApiShape } from '../lib/openapi.ts';

interface Args {
  discover?: string;
  url?: string;
  out?: string;
  check?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (!['--discover', '--url', '--out', '--check'].includes(k) || v === undefined) {
      throw new Error(`unknown or incomplete argument "${k}". Usage: npm run profile -- --discover <deployment dir> [--url <backend URL>] [--out <file>] | --check <profile>`);
    }
    a[k.slice(2) as keyof Args] = v;
    i++;
  }
  if (!a.discover && !a.url && !a.check) throw new Error('nothing to do. Usage: npm run profile -- --discover <deployment dir> [--url <backend URL>] [--out <file>] | --check <profile>');
  return a;
}

async function apiFromOpenApi(base: string): Promise<{ api: Partial<ApiShape>; how: string } | { problem: string }> {
  for (const path of ['/openapi.json', '/api/openapi.json', '/docs/openapi.json']) {
    const url = new URL(path, base).href;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!r.ok) continue;
      const { how, ...api } = discoverApiShape(await r.json());
      return { api, how: `${how} (${url})` };
    } catch {
      continue;
    }
  }
  return { problem: `no OpenAPI document at ${base} (/openapi.json, /api/openapi.json, /docs/openapi.json): the API's shape stays the contract's` };
}

/** The draft profile: every found value with a comment saying how; what was not found is said in the header. */
export function draftProfile(deployDir: string | undefined, api?: { api: Partial<ApiShape>; how: string }): string {
  const doc = new Document({} as ProfileFile);
  const root = doc.contents as YAMLMap;
  const notes: string[] = [];
  if (deployDir) {
    const found = discoverFiles(deployDir);
    const files = new YAMLMap();
    for (const k of Object.keys(CONTRACT_FILES) as Array<keyof typeof CONTRACT_FILES>) {
      const f = found[k];
      const contract = CONTRACT_FILES[k];
      if (f && JSON.stringify(f.value) !== JSON.stringify(contract)) {
        const pair = doc.createPair(k, f.value);
        (pair.value as { comment?: string }).comment = ` ${f.how}`;
        files.items.push(pair);
      } else if (!f && typeof contract === 'string' && !existsSync(resolve(deployDir, contract))) notes.push(`files.${k}: not found, and the contract's ${contract} does not exist – set it if the deployment has one`);
    }
    if (files.items.length) root.set('files', files);
  }
  if (api) {
    const shape = new YAMLMap();
    for (const [k, v] of Object.entries(api.api) as Array<[keyof ApiShape, string]>) {
      if (v !== undefined && v !== CONTRACT_API[k]) {
        const pair = doc.createPair(k, v);
        (pair.value as { comment?: string }).comment = ` ${api.how}`;
        shape.items.push(pair);
      }
    }
    if (shape.items.length) root.set('api', shape);
  }
  doc.commentBefore = [
    ` Deployment profile drafted by \`npm run profile -- --discover\` – review every value before use.`,
    ' Fields: core/profile.schema.json; unset fields default to the checklist and the contract (docs/contract.md).',
    ' Not found here (auth scheme, Ollama model, expected version): the contract\'s defaults apply – state them if yours differ.',
    ...notes.map((n) => ` ${n}`),
  ].join('\n');
  return doc.toString();
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  if (a.check) {
    const p = loadProfile(a.check);
    console.log(`${p.file}: valid (${Object.keys(p.files).length} files, api ${JSON.stringify(p.api)}, auth ${p.auth.scheme})`);
    return 0;
  }
  const dir = a.discover ? resolve(a.discover) : undefined;
  if (dir && !existsSync(dir)) throw new Error(`${dir} does not exist: give the deployment directory (the one with the compose files)`);
  let api: { api: Partial<ApiShape>; how: string } | undefined;
  if (a.url) {
    const r = await apiFromOpenApi(a.url);
    if ('problem' in r) console.error(r.problem);
    else api = r;
  }
  const text = draftProfile(dir, api);
  const out = a.out ?? (dir ? resolve(dir, PROFILE_FILE) : undefined);
  if (!out || (existsSync(out) && !a.out)) {
    if (out) console.error(`${out} exists; printing the draft instead (give --out to write it elsewhere)`);
    process.stdout.write(text);
    return 0;
  }
  writeFileSync(out, text);
  console.log(`wrote ${out} – review it, then run the gate (it finds ${PROFILE_FILE} in the deployment directory, or set RAG_PROFILE)`);
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    (rc) => process.exit(rc),
    (err: unknown) => {
      console.error(err instanceof ProfileError ? err.message : `profile: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
