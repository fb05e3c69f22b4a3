/**
 * The reference deployment's images: names, parents and build inputs, in one place. How they are named and
 * tagged (`rag-system/<name>:1.0.0`) is core/contract.ts's IMAGE_REPO, REFERENCE_VERSION and imageRef.
 */

export interface ImageSpec {
  name: string;
  /** Parent image name (built first); its reference is passed as build-arg PARENT. */
  parent: string;
  /** Directory holding the Dockerfile and its files, relative to the repository root. */
  dir: string;
  /** Extra inputs copied into the build context: [source relative to root, destination in context]. */
  extra?: Array<[string, string]>;
  /** Shell command run from the repository root before hashing, to produce `extra` inputs. */
  prepare?: string;
  extraHint?: string;
}

const APP_BUILD = 'npm --prefix reference/app ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm --prefix reference/app run build --silent';

export const IMAGES: ImageSpec[] = [
  { name: 'node', parent: 'base', dir: 'reference/images/node' },
  { name: 'nginx', parent: 'base', dir: 'reference/images/nginx' },
  { name: 'redis', parent: 'base', dir: 'reference/images/redis' },
  { name: 'prometheus', parent: 'base', dir: 'reference/images/prometheus' },
  { name: 'alertmanager', parent: 'base', dir: 'reference/images/alertmanager' },
  { name: 'node-exporter', parent: 'base', dir: 'reference/images/node-exporter' },
  { name: 'blackbox-exporter', parent: 'base', dir: 'reference/images/blackbox-exporter' },
  {
    name: 'chroma',
    parent: 'node',
    dir: 'reference/images/chroma',
    prepare: 'npm --prefix reference/chroma ci --ignore-scripts --no-audit --no-fund --loglevel=error',
    extra: [['reference/chroma', 'chroma']],
  },
  {
    name: 'rag-backend',
    parent: 'node',
    dir: 'reference/images/rag-backend',
    prepare: APP_BUILD,
    extra: [['reference/app/dist', 'dist']],
  },
  { name: 'frontend', parent: 'node', dir: 'reference/images/frontend', prepare: APP_BUILD, extra: [['reference/app/dist', 'dist']] },
  { name: 'ollama', parent: 'node', dir: 'reference/images/ollama', prepare: APP_BUILD, extra: [['reference/app/dist', 'dist']] },
  { name: 'container-exporter', parent: 'node', dir: 'reference/images/container-exporter', prepare: APP_BUILD, extra: [['reference/app/dist', 'dist']] },
];
