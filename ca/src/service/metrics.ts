/**
 * Prometheus metrics of the CA service, fed by its events (CaServiceDeps.onEvent). The control
 * plane registers them on its /metrics registry (:15014).
 */
import { Counter, type Registry } from 'prom-client';
import { status } from '@grpc/grpc-js';
import { type CaServiceEvent } from './ca-service';

export function caMetrics(registry: Registry): (event: CaServiceEvent) => void {
  const issued = new Counter({ name: 'skein_ca_certificates_issued_total', help: 'Workload certificates issued, by authenticator.', labelNames: ['authenticator'], registers: [registry] });
  const refused = new Counter({ name: 'skein_ca_requests_refused_total', help: 'Certificate requests refused, by gRPC status code.', labelNames: ['code'], registers: [registry] });
  return (event) => {
    if (event.type === 'issued') issued.inc({ authenticator: event.authenticator });
    else refused.inc({ code: status[event.code] ?? String(event.code) });
  };
}
