/**
 * What the kubelet writes into a pod's API-data volumes (configMap, secret, downwardAPI,
 * projected): the files, their modes and owner, with the kubelet's defaults (mode 0644) and
 * messages for what is missing. The projected service-account token follows the kubelet's rule:
 * mode 0600, owned by the pod's single runAsUser when every container runs as the same one (or
 * with an fsGroup), else the volume's defaultMode. Writing the files (atomically, with `..data`)
 * is volume-writer.ts's job.
 */
import { secretStrings } from './env';
import { type Allocatable, fieldValue, resourceValue, type RuntimeFields } from './fieldpath';
import { type ConfigMap, type Container, type Pod, type Secret, type Volume } from './types';

export interface FileProjection {
  /** Relative path inside the volume. */
  path: string;
  data: Buffer;
  mode: number;
  /** Owner UID (the pod's single runAsUser, for tokens). */
  uid?: number;
}

export type VolumeKind = 'emptyDir' | 'api' | 'unsupported';

export class VolumeError extends Error {
  override name = 'VolumeError';
}

/** A service-account token the volume needs, keyed for the token manager. */
export interface TokenSource {
  audience: string;
  expirationSeconds: number;
}

export interface ProjectionContext {
  pod: Pod;
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
  /** The current token for this source (fetched before projecting). */
  token(source: TokenSource): string;
  runtime: RuntimeFields;
  allocatable: Allocatable;
}

export const DefaultMode = 0o644;
/** The API server's default and minimum for projected token expiry. */
export const DefaultTokenExpirationSeconds = 3600;

export function volumeKind(volume: Volume): VolumeKind {
  if (volume.emptyDir) return 'emptyDir';
  if (volume.configMap || volume.secret || volume.downwardAPI || volume.projected) return 'api';
  return 'unsupported';
}

/** Names the volume types the node does not support, for the pod's waiting message. */
export function unsupportedVolumeMessage(volume: Volume): string {
  const type = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
  return `volume "${volume.name}": type ${type} is not supported by the simulated node (emptyDir, configMap, secret, downwardAPI and projected are)`;
}

/** The tokens a volume needs (projected serviceAccountToken sources). */
export function tokenSources(volume: Volume): TokenSource[] {
  return (volume.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [{ audience: s.serviceAccountToken.audience ?? '', expirationSeconds: s.serviceAccountToken.expirationSeconds ?? DefaultTokenExpirationSeconds }] : []));
}

/** The kubelet's FsUserFrom: the one runAsUser every container shares, else undefined. */
export function podFsUser(pod: Pod): number | undefined {
  const containers: Container[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let user: number | undefined;
  for (const c of containers) {
    const u = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
    if (u === undefined || (user !== undefined && user !== u)) return undefined;
    user = u;
  }
  return user;
}

function checkPath(path: string, volume: string): string {
  if (path === '' || path.startsWith('/') || path.split('/').includes('..')) throw new VolumeError(`volume "${volume}": invalid item path "${path}" (relative, without "..")`);
  return path;
}

type Items = { key: string; path: string; mode?: number }[] | undefined;

function keyFiles(volume: string, data: Record<string, Buffer>, items: Items, mode: number, what: string): FileProjection[] {
  if (!items || items.length === 0) return Object.entries(data).map(([key, value]) => ({ path: checkPath(key, volume), data: value, mode }));
  return items.map((item) => {
    const value = data[item.key];
    if (value === undefined) throw new VolumeError(`volume "${volume}": ${what} references non-existent ${what === 'configmap' ? 'config' : 'secret'} key: ${item.key}`);
    return { path: checkPath(item.path, volume), data: value, mode: item.mode ?? mode };
  });
}

function configMapData(cm: ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretData(secret: Secret): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(secretStrings(secret)).map(([k, v]) => [k, Buffer.from(v)]));
}

function downwardFiles(ctx: ProjectionContext, volume: string, items: NonNullable<NonNullable<Volume['downwardAPI']>['items']>, mode: number): FileProjection[] {
  return items.map((item) => {
    let value: string;
    try {
      if (item.fieldRef) value = fieldValue(ctx.pod, item.fieldRef.fieldPath, ctx.runtime, true);
      else if (item.resourceFieldRef) {
        const name = item.resourceFieldRef.containerName;
        const container = [...(ctx.pod.spec?.initContainers ?? []), ...(ctx.pod.spec?.containers ?? [])].find((c) => c.name === name);
        if (!container) throw new Error(`resourceFieldRef: no container "${name ?? ''}" in the pod`);
        value = resourceValue(container, item.resourceFieldRef.resource, item.resourceFieldRef.divisor, ctx.allocatable);
      } else throw new Error('item has neither fieldRef nor resourceFieldRef');
    } catch (e) {
      throw new VolumeError(`volume "${volume}": ${(e as Error).message}`);
    }
    return { path: checkPath(item.path, volume), data: Buffer.from(value), mode: item.mode ?? mode };
  });
}

/** The files of a ConfigMap or Secret (whole or chosen items); none when it is missing and optional. */
function keyedFiles(ctx: ProjectionContext, volume: string, kind: 'configmap' | 'secret', objectName: string, items: Items, optional: boolean, mode: number): FileProjection[] {
  const obj = kind === 'configmap' ? ctx.configMap(objectName) : ctx.secret(objectName);
  if (!obj) {
    if (optional) return [];
    throw new VolumeError(`${kind} "${objectName}" not found`);
  }
  const data = kind === 'configmap' ? configMapData(obj as ConfigMap) : secretData(obj as Secret);
  return keyFiles(volume, data, items, mode, kind);
}

/** The files of an API-data volume. Throws VolumeError with the kubelet's message when something required is missing. */
export function projectVolume(ctx: ProjectionContext, volume: Volume): FileProjection[] {
  const name = volume.name;
  if (volume.configMap) {
    const src = volume.configMap;
    return keyedFiles(ctx, name, 'configmap', src.name ?? '', src.items, src.optional === true, src.defaultMode ?? DefaultMode);
  }
  if (volume.secret) {
    const src = volume.secret;
    return keyedFiles(ctx, name, 'secret', src.secretName ?? '', src.items, src.optional === true, src.defaultMode ?? DefaultMode);
  }
  if (volume.downwardAPI) return downwardFiles(ctx, name, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DefaultMode);
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DefaultMode;
    const fsUser = podFsUser(ctx.pod);
    const fsGroup = ctx.pod.spec?.securityContext?.fsGroup;
    const files: FileProjection[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) {
        files.push(...keyedFiles(ctx, name, 'configmap', source.configMap.name ?? '', source.configMap.items, source.configMap.optional === true, mode));
      } else if (source.secret) {
        files.push(...keyedFiles(ctx, name, 'secret', source.secret.name ?? '', source.secret.items, source.secret.optional === true, mode));
      } else if (source.downwardAPI) {
        files.push(...downwardFiles(ctx, name, source.downwardAPI.items ?? [], mode));
      } else if (source.serviceAccountToken) {
        const t = source.serviceAccountToken;
        const token = ctx.token({ audience: t.audience ?? '', expirationSeconds: t.expirationSeconds ?? DefaultTokenExpirationSeconds });
        const restricted = fsUser !== undefined || fsGroup !== undefined;
        files.push({ path: checkPath(t.path, name), data: Buffer.from(token), mode: restricted ? 0o600 : mode, ...(fsUser !== undefined ? { uid: fsUser } : {}) });
      } else {
        throw new VolumeError(`volume "${name}": projected source ${Object.keys(source).join(',')} is not supported by the simulated node`);
      }
    }
    return files;
  }
  throw new VolumeError(unsupportedVolumeMessage(volume));
}

/**
 * When the kubelet refreshes a token (pkg/kubelet/token requiresRefresh, without its jitter):
 * 20% of the requested lifetime before expiry, and at the latest 24 h after it was issued.
 */
export function tokenRefreshAt(expiresAt: number, requestedSeconds: number): number {
  const ttl = requestedSeconds * 1000;
  const issuedAt = expiresAt - ttl;
  return Math.min(expiresAt - ttl * 0.2, issuedAt + 24 * 3600_000);
}
