import { sampleConfig } from '../testing/sample-config';
import { ConfigError, validateConfig } from './validate';

type Mutate = (c: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('validateConfig', () => {
  it('accepts a complete snapshot and fills Envoy defaults', () => {
    const cfg = validateConfig(sampleConfig());
    const cluster = cfg.clusters[0]!;
    expect(cluster.lbPolicy).toBe('round-robin');
    expect(cluster.connectTimeoutMs).toBe(10_000);
    expect(cluster.transport).toMatchObject({ kind: 'mtls', certificateSecret: 'default', validationSecret: 'ROOTCA' });
    const hcm = cfg.listeners[0]!.filterChains[0]!.filter;
    expect(hcm).toMatchObject({ codec: 'auto', httpFilters: [{ type: 'router' }], forwardClientCert: 'sanitize-set', maxRequestHeadersBytes: 61440 });
    expect(hcm).toMatchObject({ maxRequestHeadersCount: 100, upgradeTypes: ['websocket'], pathNormalization: { rfc3986: true, mergeSlashes: true, escapedSlashes: 'keep' } });
    expect(hcm).toHaveProperty('streamIdleTimeoutMs', undefined); // the proxy's default applies
    expect(cfg.listeners[1]!.filterChains[0]!.tls).toMatchObject({ requireClientCertificate: true, alpnProtocols: ['h2', 'http/1.1'] });
    expect(cfg.endpoints[0]!.endpoints[0]).toMatchObject({ weight: 1, health: 'healthy' });
  });

  it.each<[string, Mutate, RegExp]>([
    ['an empty object', (c) => Object.keys(c).forEach((k) => delete c[k]), /node: expected an object/],
    ['unknown rds', (c) => (c.listeners[0].filterChains[0].filter.rds = 'nope'), /listeners\[0\]\.filterChains\[0\]\.filter\.rds: unknown route configuration "nope"/],
    ['unknown route cluster', (c) => (c.routeConfigs[0].virtualHosts[0].routes[0].action.cluster = 'x'), /routes\[0\]\.action\.cluster: unknown cluster "x"/],
    ['both cluster and weightedClusters', (c) => (c.routeConfigs[0].virtualHosts[0].routes[0].action.weightedClusters = [{ name: 'x', weight: 1 }]), /exactly one of cluster, weightedClusters/],
    ['zero weights', (c) => { const a = c.routeConfigs[0].virtualHosts[0].routes[0].action; delete a.cluster; a.weightedClusters = [{ name: 'inbound|9080||', weight: 0 }]; }, /weights sum to 0/],
    ['bad regex', (c) => (c.routeConfigs[0].virtualHosts[0].routes[0].match.path = { regex: '(' }), /invalid regular expression/],
    ['path without slash', (c) => (c.routeConfigs[0].virtualHosts[0].routes[0].match.path = { prefix: 'api' }), /must start with "\/"/],
    ['mtls without SANs', (c) => (c.clusters[0].transport.expectedSans = []), /at least one expected SPIFFE id/],
    ['unknown secret', (c) => (c.clusters[0].transport.certificateSecret = 'other'), /certificateSecret: expected one of default/],
    ['bad port', (c) => (c.clusters[1].endpoints[0].port = 70000), /endpoints\[0\]\.port: expected an integer in \[1, 65535\]/],
    ['duplicate cluster', (c) => c.clusters.push({ ...c.clusters[1] }), /duplicate cluster "inbound\|9080\|\|"/],
    ['duplicate listener address', (c) => c.listeners.push({ ...c.listeners[0], name: 'other' }), /duplicate address:port "127\.0\.0\.1:9080"/],
    ['router not last', (c) => (c.listeners[0].filterChains[0].filter.httpFilters = [{ type: 'router' }, { type: 'rbac', rbac: { policies: [] } }]), /router filter must be present exactly once, last/],
    ['unknown RBAC field', (c) => (c.listeners[1].filterChains[0].filter.rbac = { policies: [{ name: 'p', action: 'ALLOW', rules: [{ hosts: ['x'] }] }] }), /unknown RBAC field/],
    ['inbound tls chain without tls', (c) => delete c.listeners[1].filterChains[0].tls, /tls is required/],
    ['tls on a plaintext chain', (c) => (c.listeners[0].filterChains[0].tls = {}), /needs match.transport "tls"/],
    ['explicit listener without port', (c) => delete c.listeners[0].destinationPort, /must say which service port/],
    ['endpoints for a static cluster', (c) => c.endpoints.push({ clusterName: 'inbound|9080||', endpoints: [] }), /is static, not eds/],
    ['wildcard in the middle of a domain', (c) => (c.routeConfigs[0].virtualHosts[0].domains = ['a.*.b']), /wildcard may only be/],
    ['prefixRewrite without prefix match', (c) => { const r = c.routeConfigs[0].virtualHosts[0].routes[0]; r.match = {}; r.action.prefixRewrite = '/'; }, /needs a prefix path match/],
    ['an upgrade type that is not a protocol', (c) => (c.listeners[0].filterChains[0].filter.upgradeTypes = ['web socket']), /upgradeTypes\[0\]: "web socket" is not an upgrade protocol/],
    ['an unknown escaped-slash action', (c) => (c.listeners[0].filterChains[0].filter.pathNormalization = { escapedSlashes: 'redirect' }), /pathNormalization\.escapedSlashes: expected one of keep, reject, unescape/],
    ['a negative stream idle timeout', (c) => (c.listeners[0].filterChains[0].filter.streamIdleTimeoutMs = -1), /streamIdleTimeoutMs: expected an integer/],
    ['no header lines allowed', (c) => (c.listeners[0].filterChains[0].filter.maxRequestHeadersCount = 0), /maxRequestHeadersCount: expected an integer in \[1, 10000\]/],
    ['an unknown retry condition', (c) => (c.routeConfigs[0].virtualHosts[0].routes[0].action.retryPolicy = { retryOn: ['5xx', 'sometimes'], numRetries: 2 }), /retryPolicy\.retryOn: unknown retry condition\(s\) sometimes/],
    ['a back-off cap below the base', (c) => (c.routeConfigs[0].virtualHosts[0].routes[0].action.retryPolicy = { retryOn: ['5xx'], numRetries: 2, backoffBaseMs: 100, backoffMaxMs: 50 }), /retryPolicy\.backoffMaxMs: expected an integer in \[100,/],
    ['a retry budget over 100 %', (c) => (c.clusters[0].circuitBreakers = { retryBudget: { budgetPercent: 150 } }), /circuitBreakers\.retryBudget\.budgetPercent: expected an integer in \[0, 100\]/],
    ['a max ejection percent over 100', (c) => (c.clusters[0].outlierDetection = { maxEjectionPercent: 101 }), /outlierDetection\.maxEjectionPercent: expected an integer in \[0, 100\]/],
    ['a health check path without slash', (c) => (c.clusters[0].healthCheck = { path: 'healthz', intervalMs: 1000, timeoutMs: 100, unhealthyThreshold: 2, healthyThreshold: 2 }), /healthCheck\.path: must start with "\/"/],
    ['a health check without interval', (c) => (c.clusters[0].healthCheck = { path: '/healthz', timeoutMs: 100, unhealthyThreshold: 2, healthyThreshold: 2 }), /healthCheck\.intervalMs: expected an integer/],
    ['a panic threshold over 100', (c) => (c.clusters[0].panicThresholdPercent = 120), /panicThresholdPercent: expected an integer in \[0, 100\]/],
  ])('rejects %s with the field named', (_name, mutate, message) => {
    const input = sampleConfig();
    mutate(input);
    expect(() => validateConfig(input)).toThrow(ConfigError);
    expect(() => validateConfig(input)).toThrow(message);
  });

  it('fills Envoy resilience defaults: back-off, retry budget, outlier detection, panic threshold', () => {
    const input = sampleConfig() as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    input.routeConfigs[0].virtualHosts[0].routes[0].action.retryPolicy = { retryOn: ['5xx'], numRetries: 2 };
    Object.assign(input.clusters[0], { outlierDetection: {}, circuitBreakers: { retryBudget: {} } });
    const cfg = validateConfig(input);
    const action = cfg.routeConfigs[0]!.virtualHosts[0]!.routes[0]!.action;
    expect(action.kind === 'route' && action.retryPolicy).toMatchObject({ backoffBaseMs: 25, backoffMaxMs: 250 });
    const cluster = cfg.clusters[0]!;
    expect(cluster.outlierDetection).toEqual({ consecutive5xx: 5, consecutiveGatewayErrors: 0, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionTimeMs: 300_000, maxEjectionPercent: 10 });
    expect(cluster.circuitBreakers?.retryBudget).toEqual({ budgetPercent: 20, minRetryConcurrency: 3 });
    expect(cluster.panicThresholdPercent).toBe(50);
  });

  it('rejects non-objects', () => {
    for (const bad of [null, 42, 'x', []]) expect(() => validateConfig(bad)).toThrow(/config: expected an object/);
  });
});
