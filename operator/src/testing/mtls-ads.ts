/**
 * Test clients of the control plane's :15012 the way a proxy is one: a workload certificate asked
 * from the CA with a join token (key made here, never sent), then an ADS client presenting it over
 * mTLS. Also raw ADS streams and a response collector for protocol-level tests.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  DeltaDiscoveryRequestSchema, DiscoveryRequestSchema, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DiscoveryRequest, type DiscoveryResponse,
} from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { type WorkloadCertificate } from '../../../api/src/identity';
import { formatSpiffeId } from '../../../api/src/spiffe';
import { AdsClient } from '../../../api/src/xds';
import { mintJoinToken } from '../../../ca/src/auth/join-token';
import { CaClient } from '../../../ca/src/client/ca-client';
import { createCsr, generateWorkloadKey } from '../../../ca/src/client/csr';
import { joinPem, parseCertificates } from '../../../ca/src/core/pem';
import { type LoadedCa } from '../../../ca/src/store/ca-dir';

export interface Workload {
  namespace: string;
  serviceAccount: string;
}

/** A certificate for `workload` from the CA at `address`, proven with a join token of `ca`. */
export async function workloadCertificate(address: string, ca: LoadedCa, workload: Workload, validitySeconds = 3600): Promise<WorkloadCertificate> {
  const token = await mintJoinToken(ca.joinTokenKey!, { ...workload, ttlMs: 600_000, now: new Date() });
  const trustBundlePem = ca.authority.roots.map((r) => r.toString('pem')).join('\n');
  const client = new CaClient({ address, serverName: 'localhost', credential: () => token, trustBundlePem });
  try {
    const key = await generateWorkloadKey();
    const spiffeId = formatSpiffeId({ trustDomain: ca.authority.trustDomain, ...workload });
    const chainPem = await client.createCertificate(await createCsr(key, spiffeId), validitySeconds);
    const chain = parseCertificates(chainPem.join('\n'), 'CA answer');
    return { spiffeId, certChainPem: joinPem(chain.slice(0, -1)), privateKeyPem: key.privateKeyPem, trustBundlePem, notBefore: chain[0]!.notBefore, notAfter: chain[0]!.notAfter };
  } finally {
    client.close();
  }
}

/** An ADS client over TLS; with `cert` it presents it (mTLS), without it it is anonymous. */
export function adsClient(address: string, trustBundlePem: string, cert?: Pick<WorkloadCertificate, 'certChainPem' | 'privateKeyPem'>): InstanceType<typeof AdsClient> {
  const credentials = cert
    ? grpc.credentials.createSsl(Buffer.from(trustBundlePem), Buffer.from(cert.privateKeyPem), Buffer.from(cert.certChainPem))
    : grpc.credentials.createSsl(Buffer.from(trustBundlePem));
  return new AdsClient(address, credentials, { 'grpc.ssl_target_name_override': 'localhost' });
}

export type AdsStreamCall = grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
export type DeltaStreamCall = grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** Collects responses; `next()` resolves with the next one or rejects after `timeoutMs`; `ended` with the final status. */
export function collect<R = DiscoveryResponse>(stream: grpc.ClientDuplexStream<never, R>, timeoutMs = 5000) {
  const queue: R[] = [];
  const waiters: ((r: R) => void)[] = [];
  stream.on('data', (r: R) => (waiters.length ? waiters.shift()!(r) : queue.push(r)));
  const ended = new Promise<{ code: grpc.status; details: string }>((resolve) => {
    stream.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details }));
    stream.on('end', () => resolve({ code: grpc.status.OK, details: '' }));
  });
  return {
    next(step: string): Promise<R> {
      if (queue.length) return Promise.resolve(queue.shift()!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${step}: no response within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    pending: () => queue.length,
    ended,
  };
}

export function discoveryRequest(nodeId: string, typeUrl: string, fields: { names?: string[]; version?: string; nonce?: string; error?: string; metadata?: Record<string, unknown> } = {}): DiscoveryRequest {
  return create(DiscoveryRequestSchema, {
    node: { id: nodeId, metadata: (fields.metadata ?? {}) as never },
    typeUrl,
    resourceNames: fields.names ?? [],
    versionInfo: fields.version ?? '',
    responseNonce: fields.nonce ?? '',
    ...(fields.error ? { errorDetail: { code: 3, message: fields.error } } : {}),
  });
}

export interface DeltaFields {
  subscribe?: string[];
  unsubscribe?: string[];
  initialVersions?: Record<string, string>;
  nonce?: string;
  error?: string;
  metadata?: Record<string, unknown>;
}

/** A DeltaDiscoveryRequest; pass `nodeId` on a stream's first request. */
export function deltaRequest(nodeId: string | undefined, typeUrl: string, fields: DeltaFields = {}): DeltaDiscoveryRequest {
  return create(DeltaDiscoveryRequestSchema, {
    ...(nodeId ? { node: { id: nodeId, metadata: (fields.metadata ?? {}) as never } } : {}),
    typeUrl,
    resourceNamesSubscribe: fields.subscribe ?? [],
    resourceNamesUnsubscribe: fields.unsubscribe ?? [],
    initialResourceVersions: fields.initialVersions ?? {},
    responseNonce: fields.nonce ?? '',
    ...(fields.error ? { errorDetail: { code: 3, message: fields.error } } : {}),
  });
}
