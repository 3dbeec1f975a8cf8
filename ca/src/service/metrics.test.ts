import { status } from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { caMetrics } from './metrics';

describe('caMetrics', () => {
  it('counts issued certificates by authenticator and refusals by status code', async () => {
    const registry = new Registry();
    const record = caMetrics(registry);
    record({ type: 'issued', spiffeId: 'spiffe://td/ns/a/sa/b', authenticator: 'join-token', serialNumber: '40', notAfter: '' });
    record({ type: 'issued', spiffeId: 'spiffe://td/ns/a/sa/b', authenticator: 'join-token', serialNumber: '41', notAfter: '' });
    record({ type: 'refused', code: status.PERMISSION_DENIED, reason: 'identity mismatch' });
    const text = await registry.metrics();
    expect(text).toMatch(/skein_ca_certificates_issued_total\{authenticator="join-token"\} 2/);
    expect(text).toMatch(/skein_ca_requests_refused_total\{code="PERMISSION_DENIED"\} 1/);
  });
});
