/**
 * Puts the parts of an API server together without a socket: storage, registry, authenticator,
 * admission, engine and the HTTP frontend. startSimulatedApiServer (index.ts) adds TLS, the
 * bootstrap objects and the controllers; the old FakeApiServer wraps the same parts in lenient
 * mode over plain HTTP, so both are one implementation.
 */
import { randomUUID } from 'node:crypto';
import { AdmissionChain } from './admission/chain';
import { defaultDialer, type Dialer } from './admission/webhook-client';
import { Authenticator } from './auth/authenticator';
import { TokenSigner } from './auth/tokens';
import { versionInfo } from './core/discovery';
import { Registry } from './core/registry';
import { ApiEngine } from './engine';
import { HttpFrontend, type RecordedRequest } from './http';
import { type ApiError } from './core/status';
import { Storage } from './storage';

export type Log = (line: { msg: string; [k: string]: unknown }) => void;

export interface CoreOptions {
  /** gitVersion of /version (default v1.33.1: native sidecars on). */
  version?: string;
  serviceCidr?: string;
  clusterDomain?: string;
  authorization?: 'RBAC' | 'AlwaysAllow';
  now?: () => Date;
  random?: () => number;
  /** Changes kept for watches that resume from a resourceVersion (older: 410 Expired). */
  watchHistory?: number;
  bookmarkIntervalMs?: number;
  defaultWatchSeconds?: number;
  dialer?: Dialer;
  lenient?: { statusSubresource: (group: string) => boolean };
  tokenReview?: (spec: { token: string; audiences?: string[] }) => Record<string, unknown>;
  onRequest?: (r: RecordedRequest) => ApiError | undefined;
  serverAddress?: () => string;
  log?: Log;
}

export interface Core {
  storage: Storage;
  registry: Registry;
  engine: ApiEngine;
  frontend: HttpFrontend;
  authenticator: Authenticator;
  signer: TokenSigner;
  issuer: string;
  /** Mutable hooks: what the API server dials (webhooks, pods/services proxy) and its version. */
  hooks: { dialer: Dialer; version: string };
  now: () => Date;
  random: () => number;
  log: Log;
}

export function buildCore(o: CoreOptions = {}): Core {
  const now = o.now ?? (() => new Date());
  const random = o.random ?? Math.random;
  const log: Log = o.log ?? (() => undefined);
  const clusterDomain = o.clusterDomain ?? 'cluster.local';
  const issuer = `https://kubernetes.default.svc.${clusterDomain}`;
  const hooks = { dialer: o.dialer ?? defaultDialer, version: o.version ?? 'v1.33.1' };
  const storage = new Storage(o.watchHistory ?? 10_000);
  const registry = new Registry();
  const signer = new TokenSigner(issuer);
  const authenticator = new Authenticator(signer, { get: (resource, ns, name) => storage.peek(resource, ns, name) }, now, [issuer]);
  const admission = new AdmissionChain({ storage, dialer: () => hooks.dialer, random, log });
  const engine = new ApiEngine({
    storage, registry, authenticator, admission, now, random, uid: randomUUID,
    serviceCidr: o.serviceCidr ?? '10.96.0.0/16', authorization: o.authorization ?? 'RBAC',
    ...(o.lenient ? { lenient: o.lenient } : {}), ...(o.tokenReview ? { tokenReview: o.tokenReview } : {}),
  });
  const frontend = new HttpFrontend({
    engine, storage, authenticator, version: () => versionInfo(hooks.version), serverAddress: o.serverAddress ?? (() => '127.0.0.1:6443'),
    dialer: () => hooks.dialer, issuer, jwks: () => signer.jwks(), bookmarkIntervalMs: o.bookmarkIntervalMs ?? 60_000,
    defaultWatchSeconds: o.defaultWatchSeconds ?? 1800, ...(o.onRequest ? { onRequest: o.onRequest } : {}), log,
  });
  return { storage, registry, engine, frontend, authenticator, signer, issuer, hooks, now, random, log };
}
