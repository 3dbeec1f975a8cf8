/**
 * One call for the proxy: a WorkloadIdentity talking to the CA over gRPC/TLS. The caller (the
 * proxy's env module) supplies where the CA is, who the workload is, the trust bundle it was
 * given, and how to read its credential (projected token file or join token).
 */
import { formatSpiffeId, spiffeId } from '../../../api/src/spiffe';
import { type KeyType } from '../core/keys';
import { CaClient } from './ca-client';
import { WorkloadIdentity, type WorkloadIdentityOptions } from './workload-identity';

export interface ConnectOptions {
  /** `host:port` of the CA (the control plane's :15012). */
  caAddress: string;
  /** Name in the CA's serving certificate, if not the host of caAddress. */
  caServerName?: string;
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
  trustBundlePem: string;
  credential: () => string | Promise<string>;
  keyType?: KeyType;
  validitySeconds?: number;
  onError?: WorkloadIdentityOptions['onError'];
}

export interface ConnectedIdentity {
  identity: WorkloadIdentity;
  /** Stops renewing and closes the gRPC channel. */
  close(): void;
}

export function connectWorkloadIdentity(o: ConnectOptions): ConnectedIdentity {
  const id = formatSpiffeId(spiffeId(o.trustDomain, o.namespace, o.serviceAccount));
  const client = new CaClient({ address: o.caAddress, trustBundlePem: o.trustBundlePem, credential: o.credential, ...(o.caServerName ? { serverName: o.caServerName } : {}) });
  const identity = new WorkloadIdentity({
    spiffeId: id,
    requester: client,
    trustBundlePem: o.trustBundlePem,
    ...(o.keyType ? { keyType: o.keyType } : {}),
    ...(o.validitySeconds !== undefined ? { validitySeconds: o.validitySeconds } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
  });
  return {
    identity,
    close: () => {
      identity.stop();
      client.close();
    },
  };
}
