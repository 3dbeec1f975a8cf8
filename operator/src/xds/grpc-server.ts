/**
 * The control plane's gRPC server (:15012): ADS and the CA on one TLS listener. The serving
 * certificate is issued at start by the CA itself, so proxies verify it with the trust bundle they
 * already have. An optional plaintext listener (ADS only, loopback only) exists for proxyless gRPC
 * clients, whose xDS bootstrap in @grpc/grpc-js-xds supports only `insecure` channel credentials.
 */
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneDnsNames } from '../../../api/src/names';
import { type Authenticator, FirstSuccessAuthenticator } from '../../../ca/src/auth/authenticator';
import { type CertificateIssuer } from '../../../ca/src/core/issuer';
import { exportPrivateKeyPem, generateKeyPair } from '../../../ca/src/core/keys';
import { type LeafParams } from '../../../ca/src/core/profiles';
import { x509 } from '../../../ca/src/core/x509';
import { addCaService, type CaServiceEvent } from '../../../ca/src/service/ca-service';
import { createIssuer, defaultAuthenticators } from '../../../ca/src/service/ca-server';
import { type LoadedCa } from '../../../ca/src/store/ca-dir';
import { type AdsServer } from './ads-server';

export const controlPlaneDnsNames = ControlPlaneDnsNames;

export interface XdsServerOptions {
  ads: AdsServer;
  /** Serve the CA too and use it for the serving certificate. Without it, the TLS listener is not started. */
  ca?: LoadedCa;
  host: string;
  port: number;
  /** Loopback port for plaintext ADS (tests, proxyless gRPC); undefined = none. */
  plaintextPort?: number;
  dnsNames?: readonly string[];
  /** Authenticators besides the CA's join-token one (Kubernetes: TokenReview, see operator/src/kube). */
  authenticators?: Authenticator[];
  onCaEvent?: (event: CaServiceEvent) => void;
  /** How long open streams may take to finish on close before they are cut (default 2000 ms). */
  shutdownGraceMs?: number;
}

export interface RunningXdsServer {
  port?: number;
  plaintextPort?: number;
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

function bind(server: grpc.Server, target: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(target, credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

async function servingCredentials(issuer: CertificateIssuer, host: string, dnsNames: readonly string[]): Promise<grpc.ServerCredentials> {
  const keys = await generateKeyPair('ec', true);
  const names: LeafParams['names'] = dnsNames.map((value) => ({ type: 'dns', value }));
  if (isIP(host) && host !== '0.0.0.0' && host !== '::') names.push({ type: 'ip', value: host });
  names.push({ type: 'ip', value: '127.0.0.1' });
  const serving = await issuer.issue(await x509.PublicKey.create(keys.publicKey), names, issuer.policy.maxTtlMs);
  return grpc.ServerCredentials.createSsl(null, [{
    private_key: Buffer.from(await exportPrivateKeyPem(keys.privateKey)),
    cert_chain: Buffer.from(serving.chainPem.join('\n')),
  }], false);
}

export async function startXdsServer(options: XdsServerOptions): Promise<RunningXdsServer> {
  const running: RunningXdsServer = { close: async () => undefined };
  const servers: grpc.Server[] = [];
  running.close = () => Promise.all(servers.map((s) => shutdown(s, options.shutdownGraceMs ?? 2000))).then(() => undefined);
  try {
    if (options.ca) {
      const server = new grpc.Server();
      servers.push(server);
      options.ads.register(server);
      const now = () => new Date();
      const issuer = createIssuer(options.ca, undefined, now);
      const authenticators = [...defaultAuthenticators(options.ca, now), ...(options.authenticators ?? [])];
      if (authenticators.length) {
        addCaService(server, { issuer, authenticator: new FirstSuccessAuthenticator(authenticators), ...(options.onCaEvent ? { onEvent: options.onCaEvent } : {}) });
      }
      const creds = await servingCredentials(issuer, options.host, options.dnsNames ?? controlPlaneDnsNames);
      running.port = await bind(server, hostPort(options.host, options.port), creds);
    }
    if (options.plaintextPort !== undefined) {
      const server = new grpc.Server();
      servers.push(server);
      options.ads.register(server);
      running.plaintextPort = await bind(server, hostPort('127.0.0.1', options.plaintextPort), grpc.ServerCredentials.createInsecure());
    }
  } catch (err) {
    await running.close();
    throw err;
  }
  return running;
}
