/**
 * Circuit-breaker admission (pure), Envoy's default-priority thresholds: a request is admitted
 * while the cluster's active requests stay under `maxRequests`; over HTTP/1.1, where a connection
 * carries one request at a time, also under `maxConnections + maxPendingRequests` (requests beyond
 * the connections wait as pending, and beyond that they overflow). Overflow → 503 `UO`.
 */
import type { CircuitBreakers } from '../../config/model';

export function admitRequest(activeRequests: number, breakers: CircuitBreakers, http1: boolean): boolean {
  if (activeRequests >= (breakers.maxRequests ?? 1024)) return false;
  if (!http1) return true;
  return activeRequests < (breakers.maxConnections ?? 1024) + (breakers.maxPendingRequests ?? 1024);
}
