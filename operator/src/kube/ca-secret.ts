/**
 * The CA in a cluster. Every replica signs, so every replica loads the same CA from a Secret in
 * skein-system, with the file names of Istio's `cacerts` Secret (ca/src/store/ca-dir.ts CaFiles):
 * - `cacerts` (made by the user: an intermediate under the organisation's root) wins when present;
 * - else `skein-ca`, a self-signed root that only the leader creates (create is atomic: a 409 means
 *   it exists, and it is read back); other replicas wait for it.
 * The CA key stays in that Secret and in the control plane's memory; RBAC lets only the control
 * plane's service account read it (a Role in skein-system, resourceNames-scoped).
 */
import { randomBytes } from 'node:crypto';
import { DefaultTrustDomain, SystemNamespace } from '../../../api/src/names';
import { assembleAuthority, type AuthorityPem } from '../../../ca/src/core/authority';
import { createSelfSignedRoot } from '../../../ca/src/core/root';
import { type LiveCa } from '../../../ca/src/service/live-ca';
import { CaFiles, type LoadedCa } from '../../../ca/src/store/ca-dir';
import { type KubeApi, isConflict, isNotFound } from './api';
import { SecretResource, resourcePath } from './resources';

export const PluggedInCaSecret = 'cacerts';
export const SelfSignedCaSecret = 'skein-ca';

export interface Secret {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/** Reads a CA Secret; throws naming the Secret and the missing key. */
export async function caFromSecret(secret: Secret, trustDomain: string, now: Date): Promise<LoadedCa> {
  const where = `Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name}`;
  const get = (key: string, required: boolean) => {
    const v = unb64(secret.data?.[key]);
    if (v === undefined && required) throw new Error(`${where}: key ${key} is missing (expected ${CaFiles.caCert}, ${CaFiles.caKey}, ${CaFiles.rootCert}, optional ${CaFiles.certChain})`);
    return v ?? '';
  };
  const pem: AuthorityPem = {
    trustDomain,
    caCertPem: get(CaFiles.caCert, true),
    caKeyPem: get(CaFiles.caKey, true),
    certChainPem: get(CaFiles.certChain, false),
    rootBundlePem: get(CaFiles.rootCert, true),
  };
  try {
    return { dir: `secret:${secret.metadata.namespace ?? ''}/${secret.metadata.name}`, authority: await assembleAuthority(pem, now) };
  } catch (err) {
    throw new Error(`${where}: invalid CA: ${(err as Error).message}`);
  }
}

/** A new self-signed root as the `skein-ca` Secret. */
export async function newSelfSignedCaSecret(namespace: string, trustDomain: string, now: Date): Promise<Secret> {
  const root = await createSelfSignedRoot({ keyType: 'ec', trustDomain, now, randomBytes: (n) => randomBytes(n) });
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: SelfSignedCaSecret, namespace, labels: { 'app.kubernetes.io/part-of': 'skein' } },
    data: { [CaFiles.caCert]: b64(root.certPem), [CaFiles.caKey]: b64(root.keyPem), [CaFiles.certChain]: b64(root.certPem), [CaFiles.rootCert]: b64(root.certPem) },
  };
}

export interface ObtainCaOptions {
  api: KubeApi;
  namespace?: string;
  trustDomain?: string;
  isLeader: () => boolean;
  /** How often a non-leader looks again while no CA Secret exists (default 1 s); also the first retry delay after an error. */
  pollMs?: number;
  /** Cap of the retry backoff after errors (default 30 s). */
  maxBackoffMs?: number;
  /** Told why the CA is not loaded yet (undefined once it is). */
  waiting?: (reason: string | undefined) => void;
  signal?: AbortSignal;
  now?: () => Date;
  log?: (line: string) => void;
}

async function readSecret(api: KubeApi, namespace: string, name: string): Promise<Secret | undefined> {
  try {
    return await api.get<Secret>(resourcePath(SecretResource, namespace, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The cluster's CA: `cacerts`, else `skein-ca` (created by the leader when neither exists). */
export async function obtainClusterCa(options: ObtainCaOptions): Promise<LoadedCa> {
  const pollMs = options.pollMs ?? 1000;
  let failures = 0;
  let lastReason: string | undefined;
  for (;;) {
    if (options.signal?.aborted) throw new Error('stopped while waiting for the CA Secret');
    let reason: string;
    try {
      const ca = await obtainOnce(options);
      if (ca) {
        options.waiting?.(undefined);
        return ca;
      }
      failures = 0;
      reason = `waiting for the leader to create Secret ${options.namespace ?? SystemNamespace}/${SelfSignedCaSecret} (or for ${PluggedInCaSecret})`;
    } catch (err) {
      // The API server unreachable, RBAC not applied yet, a broken cacerts Secret: report and retry
      // with capped backoff; the process stays up (its /readyz says why it is not ready).
      failures++;
      reason = `cannot load the CA: ${(err as Error).message}`;
    }
    if (reason !== lastReason) options.log?.(`ca: ${reason}`);
    lastReason = reason;
    options.waiting?.(reason);
    await sleep(failures ? Math.min(pollMs * 2 ** (failures - 1), options.maxBackoffMs ?? 30_000) : pollMs, options.signal);
  }
}

/** One round: the CA when a Secret holds it (or the leader just created it), else undefined. */
async function obtainOnce(options: ObtainCaOptions): Promise<LoadedCa | undefined> {
  const namespace = options.namespace ?? SystemNamespace;
  const trustDomain = options.trustDomain ?? DefaultTrustDomain;
  const now = options.now ?? (() => new Date());
  const pluggedIn = await readSecret(options.api, namespace, PluggedInCaSecret);
  if (pluggedIn) return caFromSecret(pluggedIn, trustDomain, now());
  const own = await readSecret(options.api, namespace, SelfSignedCaSecret);
  if (own) return caFromSecret(own, trustDomain, now());
  if (!options.isLeader()) return undefined;
  try {
    const created = await options.api.create<Secret>(resourcePath(SecretResource, namespace), await newSelfSignedCaSecret(namespace, trustDomain, now()));
    options.log?.(`ca: created self-signed root in Secret ${namespace}/${SelfSignedCaSecret}`);
    return caFromSecret(created, trustDomain, now());
  } catch (err) {
    if (isConflict(err)) return obtainOnce(options); // someone created it first: read it back
    throw err;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Root rotation on Kubernetes: re-reads the CA Secret (`cacerts`, else `skein-ca`) every
 * `intervalMs` and hands a changed CA to the live one (new signer, new trust bundle). A Secret that
 * does not load is refused with the reason; the current CA keeps signing.
 */
export function watchClusterCa(options: { api: KubeApi; live: LiveCa; namespace?: string; intervalMs?: number; log?: (line: string) => void }): { stop(): void } {
  const namespace = options.namespace ?? SystemNamespace;
  let seen = '';
  let busy = false;
  const check = async () => {
    if (busy) return;
    busy = true;
    try {
      const secret = (await readSecret(options.api, namespace, PluggedInCaSecret)) ?? (await readSecret(options.api, namespace, SelfSignedCaSecret));
      if (!secret) return;
      const fingerprint = JSON.stringify([secret.metadata.name, secret.data ?? {}]);
      if (fingerprint === seen) return;
      const first = seen === '';
      seen = fingerprint;
      const change = options.live.replace(await caFromSecret(secret, options.live.trustDomain, options.live.now()));
      if (!first || change.signer || change.bundle) options.log?.(`ca: Secret ${namespace}/${secret.metadata.name} reloaded: ${change.signer ? 'new signer' : 'same signer'}, trust bundle ${options.live.ca.authority.roots.length} root(s)`);
    } catch (err) {
      options.log?.(`ca: not reloading the CA Secret, the current CA keeps signing: ${(err as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), options.intervalMs ?? 60_000);
  timer.unref();
  void check();
  return { stop: () => clearInterval(timer) };
}
