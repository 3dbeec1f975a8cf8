/**
 * A standalone CA server (`skein ca serve`, tests): one grpc.Server with TLS hosting only the CA
 * service. Its serving certificate is issued by the CA itself at start (names: `dnsNames` and the
 * listen address), so clients verify it with the same trust bundle they use for workloads.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ControlPlaneHost, ControlPlanePorts } from '../../../api/src/names';
import { type Authenticator, FirstSuccessAuthenticator } from '../auth/authenticator';
import { JoinTokenAuthenticator } from '../auth/join-token';
import { CertificateIssuer } from '../core/issuer';
import { exportPrivateKeyPem, generateKeyPair } from '../core/keys';
import { type LeafParams } from '../core/profiles';
import { type ValidityPolicy } from '../core/validity';
import { x509 } from '../core/x509';
import { type LoadedCa } from '../store/ca-dir';
import { addCaService, type CaServiceEvent } from './ca-service';

export const defaultCaDnsNames: readonly string[] = ['localhost', ControlPlaneHost];

export interface CaServerOptions {
  ca: LoadedCa;
  host?: string;
  /** 0 picks a free port. Default 15012. */
  port?: number;
  dnsNames?: string[];
  policy?: ValidityPolicy;
  /** Extra authenticators (e.g. TokenReview); the join token one is added when the CA has a token key. */
  authenticators?: Authenticator[];
  now?: () => Date;
  onEvent?: (event: CaServiceEvent) => void;
}

export interface RunningCaServer {
  port: number;
  issuer: CertificateIssuer;
  /** Serving certificate chain PEM (for diagnostics). */
  servingCertPem: string;
  close(): Promise<void>;
}

export function createIssuer(ca: LoadedCa, policy?: ValidityPolicy, now: () => Date = () => new Date()): CertificateIssuer {
  return new CertificateIssuer(ca.authority, { now, randomBytes: (n) => randomBytes(n), ...(policy ? { policy } : {}) });
}

export function defaultAuthenticators(ca: LoadedCa, now: () => Date): Authenticator[] {
  return ca.joinTokenKey ? [new JoinTokenAuthenticator(ca.joinTokenKey.verifyKey, now)] : [];
}

export async function startCaServer(options: CaServerOptions): Promise<RunningCaServer> {
  const now = options.now ?? (() => new Date());
  const host = options.host ?? '127.0.0.1';
  const issuer = createIssuer(options.ca, options.policy, now);
  const authenticators = [...defaultAuthenticators(options.ca, now), ...(options.authenticators ?? [])];
  if (authenticators.length === 0) throw new Error('no authenticator: the CA has no join token key and none was given');

  const keys = await generateKeyPair('ec', true);
  const names: LeafParams['names'] = (options.dnsNames ?? defaultCaDnsNames).map((value) => ({ type: 'dns', value }));
  if (isIP(host) && host !== '0.0.0.0' && host !== '::') names.push({ type: 'ip', value: host });
  else if (!isIP(host)) names.push({ type: 'dns', value: host });
  const serving = await issuer.issue(await x509.PublicKey.create(keys.publicKey), names, issuer.policy.maxTtlMs);
  const certChain = serving.chainPem.join('\n');

  const server = new grpc.Server();
  addCaService(server, { issuer, authenticator: new FirstSuccessAuthenticator(authenticators), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
  const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(await exportPrivateKeyPem(keys.privateKey)), cert_chain: Buffer.from(certChain) }], false);
  const target = `${isIP(host) === 6 ? `[${host}]` : host}:${options.port ?? ControlPlanePorts.xds}`;
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(target, credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    port,
    issuer,
    servingCertPem: certChain,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
