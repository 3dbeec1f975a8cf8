/**
 * The control plane's gRPC server (:15012): ADS and the CA on one TLS listener (the choice and its
 * reasons: docs/adr/0006-xds-authentication.md).
 * - TLS: the serving certificate is issued by the CA itself, in memory, and renewed at half-life;
 *   proxies verify it with the trust bundle they already have. A client certificate is requested
 *   and verified when given, never required by the handshake: a workload's first certificate is
 *   asked for with a token, before it has one.
 * - ADS requires a verified workload certificate matching the node id (./stream-auth.ts); when the
 *   trust bundle changes every stream's certificate is checked again and a stream whose certificate
 *   no longer verifies (its root was retired) is closed.
 * - The CA accepts a token (first certificate) or the current certificate (renewal), rate limited.
 * An optional plaintext listener (ADS only, bound to 127.0.0.1 and nothing else) exists for
 * proxyless gRPC clients, whose xDS bootstrap in @grpc/grpc-js-xds supports only `insecure` channel
 * credentials, and for tests; its callers are trusted like the host.
 */
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneDnsNames } from '../../../api/src/names';
import { type Authenticator } from '../../../ca/src/auth/authenticator';
import { type IssuanceLimits } from '../../../ca/src/core/rate-limit';
import { addCaService, type CaServiceEvent } from '../../../ca/src/service/ca-service';
import { bindServer, caServiceDeps, hostPort, meshServerTls, servingNames } from '../../../ca/src/service/ca-server';
import { LiveCa } from '../../../ca/src/service/live-ca';
import { type ServingCertificate } from '../../../ca/src/service/serving-certificate';
import { type LoadedCa } from '../../../ca/src/store/ca-dir';
import { type AdsServer } from './ads-server';
import { localCallers, workloadCertificateCallers } from './stream-auth';

export const controlPlaneDnsNames = ControlPlaneDnsNames;

export interface XdsServerOptions {
  ads: AdsServer;
  /** Serve the CA too and use it for the serving certificate. Without it, the TLS listener is not started. */
  ca?: LoadedCa | LiveCa;
  host: string;
  port: number;
  /** Loopback port for plaintext ADS (tests, proxyless gRPC); undefined = none. */
  plaintextPort?: number;
  dnsNames?: readonly string[];
  /** Authenticators besides the CA's join-token one (Kubernetes: TokenReview, see operator/src/kube). */
  authenticators?: Authenticator[];
  /** CA issuance rate limits (default ca/src/core/rate-limit.ts defaultIssuanceLimits). */
  limits?: IssuanceLimits;
  /** Lifetime of the serving certificate (default the CA's default TTL, 24 h); renewed at half-life. */
  servingTtlMs?: number;
  onCaEvent?: (event: CaServiceEvent) => void;
  /** How long open streams may take to finish on close before they are cut (default 2000 ms). */
  shutdownGraceMs?: number;
  log?: (line: string) => void;
}

export interface RunningXdsServer {
  port?: number;
  plaintextPort?: number;
  /** The serving certificate now (TLS listener only). */
  servingCertificate?: () => ServingCertificate;
  close(): Promise<void>;
}

/** Graceful stop; ADS streams never end on their own, so after the grace period they are cut. */
function shutdown(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    // forceShutdown does not always run tryShutdown's callback (open HTTP/2 sessions), so resolve here too.
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startXdsServer(options: XdsServerOptions): Promise<RunningXdsServer> {
  const running: RunningXdsServer = { close: async () => undefined };
  const servers: grpc.Server[] = [];
  const stops: (() => unknown)[] = [];
  running.close = async () => {
    for (const stop of stops) stop();
    await Promise.all(servers.map((s) => shutdown(s, options.shutdownGraceMs ?? 2000)));
  };
  try {
    if (options.ca) {
      const live = options.ca instanceof LiveCa ? options.ca : new LiveCa(options.ca);
      const deps = caServiceDeps(live, { authenticators: options.authenticators, limits: options.limits, onEvent: options.onCaEvent });
      const tls = await meshServerTls(live, servingNames(options.dnsNames ?? controlPlaneDnsNames, options.host), {
        what: 'xDS/CA serving certificate', ttlMs: options.servingTtlMs, log: options.log,
      });
      stops.push(tls.stop);
      const server = new grpc.Server();
      servers.push(server);
      options.ads.register(server, workloadCertificateCallers(deps.clientCertificates!));
      // A root retired from the bundle authenticates nobody, not even on a stream opened before.
      stops.push(live.onChange((_ca, change) => {
        if (!change.bundle) return;
        options.ads.recheckCallers().then(
          (cut) => cut > 0 && options.log?.(`ads: ${cut} stream(s) closed: their certificates no longer verify against the new trust bundle`),
          (err: Error) => options.log?.(`ads: re-checking callers failed: ${err.message}`),
        );
      }));
      addCaService(server, deps);
      running.port = await bindServer(server, hostPort(options.host, options.port), tls.credentials);
      running.servingCertificate = () => tls.serving.current();
    }
    if (options.plaintextPort !== undefined) {
      const server = new grpc.Server();
      servers.push(server);
      options.ads.register(server, localCallers);
      running.plaintextPort = await bindServer(server, hostPort('127.0.0.1', options.plaintextPort), grpc.ServerCredentials.createInsecure());
    }
  } catch (err) {
    await running.close();
    throw err;
  }
  return running;
}
