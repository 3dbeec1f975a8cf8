/**
 * TLS for the port that serves the CA (and, in the control plane, ADS): one listener, client
 * certificates requested and verified *if given* (Go's tls.VerifyClientCertIfGiven, what istiod does
 * on :15012). A workload without a certificate yet can still ask the CA for its first one with a
 * token; each service then decides what it requires: the CA accepts a token or a verified
 * certificate, ADS only a verified certificate (docs/adr/0006-xds-authentication.md).
 *
 * grpc-js exposes the peer certificate of a call only when TLS verified it against `ca` (the mesh
 * trust bundle), so a certificate from another root, an expired one or none at all all look the
 * same to a service: no verified certificate.
 *
 * The secure context follows the serving certificate (rotation) and the trust bundle (root
 * rotation); a new context applies to new handshakes only, established streams keep theirs.
 */
import * as grpc from '@grpc/grpc-js';
import { type SecureContextOptions } from 'node:tls';
import { TlsFloor } from '../../../api/src/tls-floor';
import { type LiveCa } from './live-ca';
import { type RotatingServingCertificate, type ServingCertificate } from './serving-certificate';

function contextOptions(cert: ServingCertificate, trustBundlePem: string): SecureContextOptions {
  return { ...TlsFloor, key: cert.keyPem, cert: cert.chainPem, ca: trustBundlePem };
}

export class MeshServerCredentials extends grpc.ServerCredentials {
  constructor(cert: ServingCertificate, trustBundlePem: string) {
    // requestCert + rejectUnauthorized false: ask for a client certificate, verify it, never fail the
    // handshake over it (the services decide).
    super({ requestCert: true, rejectUnauthorized: false }, contextOptions(cert, trustBundlePem));
  }

  update(cert: ServingCertificate, trustBundlePem: string): void {
    this.updateSecureContextOptions(contextOptions(cert, trustBundlePem));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Credentials that follow `serving` (its rotations) and `ca` (trust bundle changes; a new signer
 * re-issues the serving certificate so the served chain is under it). Returns a function that
 * stops following.
 */
export function followingCredentials(serving: RotatingServingCertificate, ca: LiveCa, log?: (line: string) => void): { credentials: MeshServerCredentials; unfollow: () => void } {
  const credentials = new MeshServerCredentials(serving.current(), ca.trustBundlePem());
  const offServing = serving.onChange((cert) => credentials.update(cert, ca.trustBundlePem()));
  const offCa = ca.onChange((_ca, change) => {
    if (change.bundle) credentials.update(serving.current(), ca.trustBundlePem());
    if (change.signer) {
      serving.rotateNow().catch((err: Error) => log?.(`cannot re-issue the serving certificate after the CA changed: ${err.message}`));
    }
  });
  return { credentials, unfollow: () => { offServing(); offCa(); } };
}
