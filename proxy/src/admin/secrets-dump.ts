/**
 * The `secrets` section of `/config_dump`, as Envoy's SecretsConfigDump names them: `default` (the
 * proxy's certificate chain) and `ROOTCA` (the trust bundle). Public material only: the private key
 * never appears here (nor anywhere the admin API serves).
 */
import type { WorkloadCertificate } from '../../../api/src/identity';

export interface SecretDump {
  name: 'default' | 'ROOTCA';
  /** `Cert Chain` or `CA`, istioctl's words. */
  type: 'Cert Chain' | 'CA';
  /** PEM certificates: the chain (leaf first) or the roots. */
  certificatesPem: string;
  spiffeId?: string;
}

export function secretsDump(cert: WorkloadCertificate | undefined): SecretDump[] {
  if (!cert) return [];
  return [
    { name: 'default', type: 'Cert Chain', certificatesPem: cert.certChainPem, spiffeId: cert.spiffeId },
    { name: 'ROOTCA', type: 'CA', certificatesPem: cert.trustBundlePem },
  ];
}
