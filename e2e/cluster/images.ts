/**
 * The simulated node's image registry: every image a pod may name, mapped to the program that
 * stands in for it. An image here has what its Dockerfile would give it — ENTRYPOINT, CMD, ENV,
 * WORKDIR, USER, /etc/passwd's primary groups — and the host paths that stand in for the files it
 * carries. The node runs a container as Kubernetes would: `command` replaces ENTRYPOINT, `args`
 * replace CMD. An image that is not here fails to pull (ErrImagePull, then ImagePullBackOff).
 *
 * - the Skein image (`ghcr.io/skein-mesh/skein:<package version>`, what manifests/ and the
 *   webhook's injection template name): the built CLI, mounted at /opt/skein as in the Dockerfile
 *   (`node /opt/skein/dist/cli/src/main.js`, USER 1337:1337, NODE_ENV=production);
 * - the e2e sample apps (`skein-e2e/echo`: HTTP/h2c/WebSocket, gRPC and TCP echo; `skein-e2e/client`:
 *   the load client), compiled from e2e/apps;
 * - `busybox` and `node`: the host's own tools, for small test programs (`sh -c …`, `node -e …`).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pkg from '../../package.json';
import { AppsBuildDir } from '../harness/apps';

export const RepoRoot = join(__dirname, '..', '..');

/** The Skein image every install and injection names by default. */
export const SkeinImage = `ghcr.io/skein-mesh/skein:${pkg.version}`;
export const EchoImage = 'skein-e2e/echo:latest';
export const ClientImage = 'skein-e2e/client:latest';
export const BusyboxImage = 'busybox:1.36';
export const NodeImage = 'node:22-bookworm-slim';

export interface ImageConfig {
  /** Dockerfile ENTRYPOINT (exec form). */
  entrypoint: string[];
  /** Dockerfile CMD. */
  cmd: string[];
  /** Dockerfile ENV (PATH included). */
  env: Record<string, string>;
  /** Dockerfile WORKDIR ('/' when unset). */
  workingDir: string;
  /** Dockerfile USER ('' is root). */
  user: string;
  /** The image's /etc/passwd: UID → primary GID. */
  primaryGroups: Record<number, number>;
  /** Paths inside the image that are host files or directories elsewhere (image path → host path), mounted read-only. */
  files: Record<string, string>;
  /** Host files that must exist for the image to be usable (the "layers"); missing ones fail the pull with a hint. */
  requires: { path: string; hint: string }[];
}

export interface ImageEntry extends ImageConfig {
  /** Repository, normalized (`docker.io/library/busybox`). */
  repository: string;
  /** The tags that exist; 'any' for stand-ins of the host's own tools. */
  tags: readonly string[] | 'any';
}

export type ImageLookup = { found: true; reference: string; imageID: string; config: ImageConfig } | { found: false; reference: string; message: string };

/** Docker's normalization: `busybox` → `docker.io/library/busybox:latest`. */
export function normalizeImage(image: string): { repository: string; tag: string; reference: string } {
  const trimmed = image.trim();
  if (trimmed === '' || /\s/.test(trimmed)) throw new Error(`invalid image reference "${image}"`);
  const at = trimmed.indexOf('@');
  const withoutDigest = at >= 0 ? trimmed.slice(0, at) : trimmed;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  let repository = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : 'latest';
  const first = repository.split('/')[0]!;
  const hasRegistry = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) repository = `docker.io/${repository.includes('/') ? '' : 'library/'}${repository}`;
  return { repository, tag, reference: `${repository}:${tag}` };
}

const hostPath = [...new Set([dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'])].join(':');
const built = { path: join(RepoRoot, 'dist', 'cli', 'src', 'main.js'), hint: 'run `npm run build` first' };

function appImage(name: 'echo' | 'client'): ImageEntry {
  return {
    repository: `docker.io/skein-e2e/${name}`, tags: ['latest'],
    entrypoint: ['node', join(AppsBuildDir, `${name}.js`)], cmd: [], env: { PATH: hostPath, NODE_ENV: 'production' },
    workingDir: '/', user: '1000:1000', primaryGroups: { 0: 0, 1000: 1000 }, files: {},
    requires: [{ path: join(AppsBuildDir, `${name}.js`), hint: 'the node builds the e2e apps at start (buildApps)' }],
  };
}

/** The images the simulated node has. */
export function defaultImages(): ImageEntry[] {
  return [
    {
      repository: normalizeImage(SkeinImage).repository, tags: [pkg.version],
      entrypoint: ['node', '/opt/skein/dist/cli/src/main.js'], cmd: ['help'],
      env: { PATH: hostPath, NODE_ENV: 'production' }, workingDir: '/opt/skein', user: '1337:1337', primaryGroups: { 0: 0, 1337: 1337 },
      files: { '/opt/skein': RepoRoot }, requires: [built],
    },
    appImage('echo'),
    appImage('client'),
    { repository: 'docker.io/library/busybox', tags: 'any', entrypoint: [], cmd: ['sh'], env: { PATH: hostPath }, workingDir: '/', user: '', primaryGroups: { 0: 0 }, files: {}, requires: [] },
    { repository: 'docker.io/library/node', tags: 'any', entrypoint: [], cmd: ['node'], env: { PATH: hostPath }, workingDir: '/', user: '', primaryGroups: { 0: 0, 1000: 1000 }, files: {}, requires: [] },
  ];
}

/** Looks an image up the way a pull would find it (or not). */
export function lookupImage(image: string, table: readonly ImageEntry[] = defaultImages(), exists: (path: string) => boolean = existsSync): ImageLookup {
  let ref: ReturnType<typeof normalizeImage>;
  try {
    ref = normalizeImage(image);
  } catch (e) {
    return { found: false, reference: image, message: `Failed to apply default image tag "${image}": ${(e as Error).message}` };
  }
  const entry = table.find((e) => e.repository === ref.repository && (e.tags === 'any' || e.tags.includes(ref.tag)));
  if (!entry) {
    const known = table.map((e) => `${e.repository}:${e.tags === 'any' ? '*' : e.tags.join('|')}`).join(', ');
    return { found: false, reference: ref.reference, message: `failed to pull and unpack image "${ref.reference}": not found (the simulated node has: ${known}; see e2e/cluster/images.ts)` };
  }
  const missing = entry.requires.find((r) => !exists(r.path));
  if (missing) return { found: false, reference: ref.reference, message: `failed to pull image "${ref.reference}": ${missing.path} does not exist (${missing.hint})` };
  const { repository: _r, tags: _t, ...config } = entry;
  return { found: true, reference: ref.reference, imageID: `${ref.reference}@sha256:${createHash('sha256').update(ref.reference).digest('hex')}`, config };
}
