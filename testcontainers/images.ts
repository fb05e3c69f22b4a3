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

/** An image built from reference/images/<name> on top of `parent`. */
const image = (name: string, parent: string, more: Partial<ImageSpec> = {}): ImageSpec => ({ name, parent, dir: `reference/images/${name}`, ...more });
/** One of the reference application's services: built from the bundled reference/app (its dist/ copied in). */
const appImage = (name: string): ImageSpec => image(name, 'node', { prepare: APP_BUILD, extra: [['reference/app/dist', 'dist']] });

/** In build order: Debian's servers on the base image, then the Node-based ones. */
export const IMAGES: ImageSpec[] = [
  ...['node', 'nginx', 'redis', 'prometheus', 'alertmanager', 'node-exporter', 'blackbox-exporter'].map((name) => image(name, 'base')),
  image('chroma', 'node', { prepare: 'npm --prefix reference/chroma ci --ignore-scripts --no-audit --no-fund --loglevel=error', extra: [['reference/chroma', 'chroma']] }),
  ...['rag-backend', 'frontend', 'ollama', 'container-exporter'].map(appImage),
];
