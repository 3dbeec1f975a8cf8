/**
 * Hosting the CA on a gRPC server. `caServiceDeps` and `meshServerTls` are what both hosts use —
 * the control plane (:15012, next to ADS) and a standalone CA server (`skein ca serve`, tests):
 * - the service: join tokens (when the CA has a token key) and any extra authenticators for first
 *   certificates, verified client certificates for renewals, issuance rate limits;
 * - TLS: a serving certificate issued by the CA itself (names: `dnsNames`, the listen address and
 *   127.0.0.1) and renewed at half-life, client certificates verified if given, all following the
 *   live CA (root rotation).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneHost, ControlPlanePorts } from '../../../api/src/names';
import { type Authenticator, FirstSuccessAuthenticator, type ProvenCaller } from '../auth/authenticator';
import { ClientCertificateAuthenticator } from '../auth/client-certificate';
import { JoinTokenAuthenticator } from '../auth/join-token';
import { CaError } from '../core/errors';
import { CertificateIssuer } from '../core/issuer';
import { type LeafParams } from '../core/profiles';
import { defaultIssuanceLimits, type IssuanceLimits, IssuanceLimiter } from '../core/rate-limit';
import { type ValidityPolicy } from '../core/validity';
import { type LoadedCa } from '../store/ca-dir';
import { addCaService, type CaServiceDeps, type CaServiceEvent } from './ca-service';
import { LiveCa } from './live-ca';
import { followingCredentials, type MeshServerCredentials } from './server-credentials';
import { RotatingServingCertificate } from './serving-certificate';

export const defaultCaDnsNames: readonly string[] = ['localhost', ControlPlaneHost];

export function createIssuer(ca: LoadedCa, policy?: ValidityPolicy, now: () => Date = () => new Date()): CertificateIssuer {
  return new CertificateIssuer(ca.authority, { now, randomBytes: (n) => randomBytes(n), ...(policy ? { policy } : {}) });
}

/** Join tokens signed by the CA's token key as it is now (the key can change with a reload). */
class LiveJoinTokenAuthenticator implements Authenticator {
  readonly name = 'join-token';
  constructor(private readonly live: LiveCa) {}
  authenticate(credential: string): Promise<ProvenCaller> {
    const key = this.live.ca.joinTokenKey;
    if (!key) return Promise.reject(new CaError('unauthenticated', 'this CA has no join token key'));
    return new JoinTokenAuthenticator(key.verifyKey, this.live.now).authenticate(credential);
  }
}

export interface CaServiceOptions {
  /** Authenticators besides join tokens (Kubernetes: TokenReview). */
  authenticators?: Authenticator[];
  limits?: IssuanceLimits;
  onEvent?: (event: CaServiceEvent) => void;
}

/** Bearer credentials: join tokens (when the CA has a token key), then `extra`; undefined when there are none. */
export function bearerAuthenticator(live: LiveCa, extra: readonly Authenticator[] = []): Authenticator | undefined {
  const authenticators = [...(live.ca.joinTokenKey ? [new LiveJoinTokenAuthenticator(live)] : []), ...extra];
  return authenticators.length ? new FirstSuccessAuthenticator(authenticators) : undefined;
}

/** The CA service's dependencies for a live CA; throws when no bearer authenticator is available. */
export function caServiceDeps(live: LiveCa, options: CaServiceOptions = {}): CaServiceDeps {
  const authenticator = bearerAuthenticator(live, options.authenticators);
  if (!authenticator) throw new Error('no authenticator: the CA has no join token key and none was given');
  return {
    issuer: () => live.issuer(),
    authenticator,
    clientCertificates: new ClientCertificateAuthenticator(() => live.anchors(), live.now),
    limiter: new IssuanceLimiter(options.limits ?? defaultIssuanceLimits, live.now().getTime()),
    now: live.now,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  };
}

/** SANs of a serving certificate: the DNS names, the listen address when it is one, and 127.0.0.1. */
export function servingNames(dnsNames: readonly string[], host: string): LeafParams['names'] {
  const names: LeafParams['names'] = dnsNames.map((value) => ({ type: 'dns', value }));
  if (!isIP(host)) names.push({ type: 'dns', value: host });
  else if (host !== '0.0.0.0' && host !== '::' && host !== '127.0.0.1') names.push({ type: 'ip', value: host });
  names.push({ type: 'ip', value: '127.0.0.1' });
  return names;
}

export interface MeshServerTls {
  credentials: MeshServerCredentials;
  serving: RotatingServingCertificate;
  stop(): void;
}

/** Issues the serving certificate and returns TLS credentials that follow its rotation and the CA. */
export async function meshServerTls(live: LiveCa, names: LeafParams['names'], options: { ttlMs?: number; what?: string; log?: (line: string) => void } = {}): Promise<MeshServerTls> {
  const serving = new RotatingServingCertificate({
    issuer: () => live.issuer(), names, what: options.what ?? 'serving certificate', now: live.now,
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}), ...(options.log ? { log: options.log } : {}),
  });
  await serving.start();
  const { credentials, unfollow } = followingCredentials(serving, live, options.log);
  return { credentials, serving, stop: () => { unfollow(); serving.stop(); } };
}

export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

export function bindServer(server: grpc.Server, target: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(target, credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

export interface CaServerOptions extends CaServiceOptions {
  /** The CA, or a live one that may be replaced while serving. */
  ca: LoadedCa | LiveCa;
  host?: string;
  /** 0 picks a free port. Default 15012. */
  port?: number;
  dnsNames?: string[];
  policy?: ValidityPolicy;
  /** Lifetime of the serving certificate (default the CA's default TTL, 24 h); renewed at half-life. */
  servingTtlMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface RunningCaServer {
  port: number;
  live: LiveCa;
  /** Serving certificate chain PEM now (for diagnostics). */
  servingCertPem(): string;
  close(): Promise<void>;
}

export async function startCaServer(options: CaServerOptions): Promise<RunningCaServer> {
  const host = options.host ?? '127.0.0.1';
  const live = options.ca instanceof LiveCa ? options.ca : new LiveCa(options.ca, { ...(options.policy ? { policy: options.policy } : {}), ...(options.now ? { now: options.now } : {}) });
  const deps = caServiceDeps(live, options);
  const tls = await meshServerTls(live, servingNames(options.dnsNames ?? defaultCaDnsNames, host), {
    what: 'CA serving certificate', ...(options.servingTtlMs !== undefined ? { ttlMs: options.servingTtlMs } : {}), ...(options.log ? { log: options.log } : {}),
  });
  const server = new grpc.Server();
  addCaService(server, deps);
  let port: number;
  try {
    port = await bindServer(server, hostPort(host, options.port ?? ControlPlanePorts.xds), tls.credentials);
  } catch (err) {
    tls.stop();
    throw err;
  }
  return {
    port,
    live,
    servingCertPem: () => tls.serving.current().chainPem,
    close: () =>
      new Promise<void>((resolve) => {
        tls.stop();
        server.tryShutdown(() => resolve());
      }),
  };
}
