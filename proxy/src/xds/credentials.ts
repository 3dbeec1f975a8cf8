/**
 * TLS to the control plane: verify the server with the mesh trust bundle (and, if configured, its
 * SPIFFE id), present the workload certificate when there is one. TLS 1.2 or newer only.
 */
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { WorkloadCertificate } from '../../../api/src/identity';

export interface ControlPlaneTls {
  /** PEM roots the control plane's certificate must chain to. */
  trustBundlePem: string;
  /** Our certificate (mTLS); absent before the first one is issued (server-only TLS then). */
  certificate?: WorkloadCertificate;
  /** Accept the server only if its certificate carries one of these URI SANs (SPIFFE ids). */
  serverSpiffeIds?: readonly string[];
}

function uriSans(cert: tls.PeerCertificate): string[] {
  return (cert.subjectaltname ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
}

export function controlPlaneCredentials(options: ControlPlaneTls): grpc.ChannelCredentials {
  const context = tls.createSecureContext({
    minVersion: 'TLSv1.2',
    ca: options.trustBundlePem,
    ...(options.certificate ? { cert: options.certificate.certChainPem, key: options.certificate.privateKeyPem } : {}),
  });
  const expected = options.serverSpiffeIds;
  return grpc.credentials.createFromSecureContext(context, {
    checkServerIdentity(hostname, cert) {
      if (expected && expected.length > 0) {
        const sans = uriSans(cert);
        return sans.some((s) => expected.includes(s)) ? undefined : new Error(`control plane certificate has URI SANs [${sans.join(', ')}], expected one of [${expected.join(', ')}]`);
      }
      return tls.checkServerIdentity(hostname, cert);
    },
  });
}
