/**
 * Contract with the control plane: every resource in the operator's translation goldens
 * (operator/src/core/translate/testdata/*.golden.json, Envoy proto3 JSON) translates into the
 * proxy's model without a NACK, and the model says what the Envoy config says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AnySchema, type Any } from '@bufbuild/protobuf/wkt';
import { fromConfigJson } from '../../../api/src/xds/json';
import { TypeUrls } from '../../../api/src/xds/type-urls';
import type { JsonValue } from '@bufbuild/protobuf';
import { translateResources, type SubscribedType, type Translated } from './core/resources';

const dir = path.join(__dirname, '../../../operator/src/core/translate/testdata');
const typeOfKey: Record<string, SubscribedType> = {
  listener: TypeUrls.listener, cluster: TypeUrls.cluster, route: TypeUrls.routeConfiguration, endpoint: TypeUrls.clusterLoadAssignment,
};
// The operator's local-outbound golden is rendered for SKEIN_OUTBOUND_PORTS=15101=reviews:9080,15102=db.default:5432.
const ctx = { explicitOutboundPorts: new Map([[15101, 9080], [15102, 5432]]) };

function load(file: string): Array<[SubscribedType, Any[]]> {
  const golden = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, JsonValue[]>;
  return Object.entries(golden).map(([key, list]) => {
    const typeUrl = typeOfKey[key];
    if (!typeUrl) throw new Error(`${file}: unknown key ${key}`);
    return [typeUrl, list.map((j) => fromConfigJson(AnySchema, j))];
  });
}

function translateGolden(file: string): Translated[] {
  return load(file).flatMap(([typeUrl, anys]) => translateResources(typeUrl, anys, ctx));
}

const goldens = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.golden.json') && f !== 'proxyless.golden.json') : [];

describe('operator goldens → proxy model', () => {
  it('finds the goldens', () => {
    expect(goldens.length).toBeGreaterThan(5);
  });

  it.each(goldens)('%s translates without a NACK', (file) => {
    expect(() => translateGolden(file)).not.toThrow();
  });

  it('strict: inbound mTLS chain requires a client certificate from ROOTCA, TLS detected by the inspector', () => {
    const l = translateGolden('strict.golden.json').find((t) => t.typeUrl === TypeUrls.listener && t.name === 'virtualInbound');
    expect(l?.typeUrl).toBe(TypeUrls.listener);
    if (l?.typeUrl !== TypeUrls.listener) return;
    const chain = l.value.model.filterChains.find((c) => c.name === 'inbound_9080_mtls');
    expect(l.value.model.kind).toBe('inbound');
    expect(chain?.match).toEqual({ destinationPort: 9080, transport: 'tls' });
    expect(chain?.tls).toEqual({ certificateSecret: 'default', validationSecret: 'ROOTCA', requireClientCertificate: true, alpnProtocols: ['h2', 'http/1.1'] });
  });

  it('local-outbound: explicit listeners stand for the service port the node asked for', () => {
    const listeners = translateGolden('local-outbound.golden.json').filter((t) => t.typeUrl === TypeUrls.listener);
    expect(listeners.map((t) => t.typeUrl === TypeUrls.listener && [t.name, t.value.model.kind, t.value.model.destinationPort])).toEqual([
      ['outbound_127.0.0.1_15101', 'outbound-explicit', 9080],
      ['outbound_127.0.0.1_15102', 'outbound-explicit', 5432],
    ]);
  });

  it('rate-limit: the pod annotation becomes a local rate limit before the router on every inbound HTTP chain', () => {
    const l = translateGolden('rate-limit.golden.json').find((t) => t.typeUrl === TypeUrls.listener && t.name === 'virtualInbound');
    if (l?.typeUrl !== TypeUrls.listener) throw new Error('no virtualInbound');
    const chain = l.value.model.filterChains.find((c) => c.name === 'inbound_9080_mtls');
    const filter = chain?.filter;
    expect(filter?.type === 'http' && filter.httpFilters).toEqual([{ type: 'fault', fault: {} }, { type: 'local-rate-limit', rateLimit: { maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 1000 } }, { type: 'router' }]);
  });

  it('resilience: retries, budget, outlier detection and panic threshold reach the proxy model', () => {
    const all = translateGolden('resilience.golden.json');
    const c = all.find((t) => t.typeUrl === TypeUrls.cluster);
    if (c?.typeUrl !== TypeUrls.cluster) throw new Error('no cluster');
    expect(c.value.model).toMatchObject({
      lbPolicy: 'least-request', connectTimeoutMs: 250, panicThresholdPercent: 50,
      circuitBreakers: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1, maxRetries: 2 },
      outlierDetection: { consecutive5xx: 0, consecutiveGatewayErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 100 },
    });
    const r = all.find((t) => t.typeUrl === TypeUrls.routeConfiguration);
    if (r?.typeUrl !== TypeUrls.routeConfiguration) throw new Error('no routes');
    const actions = r.value.virtualHosts[0]!.routes.map((route) => route.action.kind === 'route' && route.action.retryPolicy);
    expect(actions).toEqual([
      { retryOn: ['gateway-error', 'retriable-status-codes'], numRetries: 3, retriableStatusCodes: [429, 503] },
      { retryOn: [], numRetries: 0 },
      { retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'], numRetries: 2, perTryTimeoutMs: 500, retriableStatusCodes: [503] },
    ]);
  });

  it('health-check: the Service annotation becomes the cluster\'s active health check', () => {
    const c = translateGolden('health-check.golden.json').find((t) => t.typeUrl === TypeUrls.cluster);
    if (c?.typeUrl !== TypeUrls.cluster) throw new Error('no cluster');
    expect(c.value.model.healthCheck).toEqual({ path: '/healthz', intervalMs: 5000, timeoutMs: 500, unhealthyThreshold: 3, healthyThreshold: 2 });
  });
});
