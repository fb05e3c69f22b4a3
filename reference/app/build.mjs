// Bundles each service into dist/<service>.mjs: platform node, target node18, every dependency inside,
// so an image needs only `node dist/<service>.mjs`. The frontend's static files are embedded as text.
import { build } from 'esbuild';
import { rm, mkdir } from 'node:fs/promises';

const banner = [
  "import { createRequire as __rag_createRequire } from 'node:module';",
  "import { fileURLToPath as __rag_fileURLToPath } from 'node:url';",
  "import { dirname as __rag_dirname } from 'node:path';",
  'const require = __rag_createRequire(import.meta.url);',
  'const __filename = __rag_fileURLToPath(import.meta.url);',
  'const __dirname = __rag_dirname(__filename);',
].join('\n');

await rm('dist', { recursive: true, force: true });
await mkdir('dist', { recursive: true });
for (const service of ['backend', 'ollama', 'frontend', 'exporter']) {
  await build({
    entryPoints: [`src/${service}/main.ts`],
    outfile: `dist/${service}.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'esm',
    sourcemap: false,
    legalComments: 'none',
    banner: { js: banner },
    loader: { '.html': 'text', '.css': 'text', '.txt': 'text' },
    logLevel: 'warning',
  });
  console.log(`built dist/${service}.mjs`);
}
