/**
 * Istio's documented examples, apiVersion moved to Skein's groups: they validate unchanged and come
 * out typed.
 */
import {
  type AuthorizationPolicy,
  type DestinationRule,
  type PeerAuthentication,
  type SkeinResource,
  type VirtualService,
  validateResource,
} from './index';
import { fromIstio, istioSamples as samples } from './testdata/istio-samples';

function accepted(yamlText: string): SkeinResource {
  const result = validateResource(fromIstio(yamlText));
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.errors, null, 2)}`);
  return result.resource;
}

describe('Istio documentation samples, apiVersion changed to Skein', () => {
  it.each(Object.entries(samples))('%s validates', (_name, text) => {
    expect(() => accepted(text)).not.toThrow();
  });

  it('routes reviews to v1 (typed destination)', () => {
    const vs = accepted(samples.reviewsAllV1) as VirtualService;
    expect(vs.apiVersion).toBe('networking.skein.dev/v1alpha1');
    expect(vs.spec.http?.[0]?.route?.[0]?.destination).toEqual({ host: 'reviews', subset: 'v1' });
  });

  it('matches end-user: jason before the default route', () => {
    const vs = accepted(samples.reviewsJasonToV2) as VirtualService;
    const [jason, rest] = vs.spec.http!;
    expect(jason!.match![0]!.headers).toEqual({ 'end-user': { exact: 'jason' } });
    expect(jason!.route![0]!.destination.subset).toBe('v2');
    expect(rest!.match).toBeUndefined();
  });

  it('keeps 50/50 weights', () => {
    const vs = accepted(samples.reviewsFiftyFifty) as VirtualService;
    expect(vs.spec.http![0]!.route!.map((r) => [r.destination.subset, r.weight])).toEqual([
      ['v1', 50],
      ['v3', 50],
    ]);
  });

  it('keeps the 7s delay and the 500 abort for jason', () => {
    const delay = (accepted(samples.ratingsDelayForJason) as VirtualService).spec.http![0]!.fault!.delay!;
    expect(delay).toEqual({ fixedDelay: '7s', percentage: { value: 100 } });
    const abort = (accepted(samples.ratingsAbortForJason) as VirtualService).spec.http![0]!.fault!.abort!;
    expect(abort).toEqual({ httpStatus: 500, percentage: { value: 100 } });
  });

  it('keeps timeout, retries and mirroring', () => {
    expect((accepted(samples.reviewsTimeout) as VirtualService).spec.http![0]!.timeout).toBe('0.5s');
    expect((accepted(samples.ratingsRetries) as VirtualService).spec.http![0]!.retries).toEqual({
      attempts: 3,
      perTryTimeout: '2s',
      retryOn: 'gateway-error,connect-failure,refused-stream,503',
    });
    const mirrored = (accepted(samples.httpbinMirror) as VirtualService).spec.http![0]!;
    expect(mirrored.mirror).toEqual({ host: 'httpbin', subset: 'v2' });
    expect(mirrored.mirrorPercentage).toEqual({ value: 100 });
  });

  it('keeps tcp routes with ports and 80/20 weights', () => {
    const tcp = (accepted(samples.tcpEchoWeighted) as VirtualService).spec.tcp![0]!;
    expect(tcp.match).toEqual([{ port: 9000 }]);
    expect(tcp.route.map((r) => r.weight)).toEqual([80, 20]);
  });

  it('keeps the circuit breaker of httpbin', () => {
    const dr = accepted(samples.httpbinCircuitBreaker) as DestinationRule;
    expect(dr.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
    });
  });

  it('keeps subsets with their own traffic policies', () => {
    const dr = accepted(samples.reviewsSubsets) as DestinationRule;
    expect(dr.spec.subsets!.map((s) => s.name)).toEqual(['v1', 'v2', 'v3']);
    expect(dr.spec.subsets![2]!.trafficPolicy!.loadBalancer!.consistentHash!.httpCookie).toEqual({ name: 'user', ttl: '0s' });
    expect(dr.spec.subsets![2]!.trafficPolicy!.portLevelSettings![0]!.port.number).toBe(9080);
  });

  it('keeps PeerAuthentication modes, mesh-wide and per port', () => {
    const mesh = accepted(samples.meshWideStrict) as PeerAuthentication;
    expect(mesh.metadata.namespace).toBe('skein-system');
    expect(mesh.spec.mtls?.mode).toBe('STRICT');
    const finance = accepted(samples.financePortLevel) as PeerAuthentication;
    expect(finance.spec.portLevelMtls).toEqual({ '8080': { mode: 'DISABLE' } });
  });

  it('keeps AuthorizationPolicy rules; allow-nothing has no rules, allow-all one empty rule', () => {
    const allow = accepted(samples.httpbinAllowGetFromSleep) as AuthorizationPolicy;
    expect(allow.spec.action).toBe('ALLOW');
    expect(allow.spec.rules![0]!.from!.map((f) => f.source)).toEqual([{ principals: ['cluster.local/ns/default/sa/sleep'] }, { namespaces: ['dev'] }]);
    expect((accepted(samples.denyNonGetFromOutsideFoo) as AuthorizationPolicy).spec.action).toBe('DENY');
    expect((accepted(samples.allowNothing) as AuthorizationPolicy).spec.rules).toBeUndefined();
    expect((accepted(samples.allowAll) as AuthorizationPolicy).spec.rules).toEqual([{}]);
  });

  it('types SkeinResource as a union narrowed by kind', () => {
    const hostsOf = (r: SkeinResource): string[] => {
      switch (r.kind) {
        case 'VirtualService':
          return r.spec.hosts;
        case 'DestinationRule':
          return [r.spec.host];
        case 'PeerAuthentication':
        case 'AuthorizationPolicy':
          return Object.values(r.spec.selector?.matchLabels ?? {});
      }
    };
    expect(hostsOf(accepted(samples.reviewsFiftyFifty))).toEqual(['reviews']);
    expect(hostsOf(accepted(samples.httpbinCircuitBreaker))).toEqual(['httpbin']);
    expect(hostsOf(accepted(samples.financePortLevel))).toEqual(['finance']);
  });

  it('returns a clean copy: Kubernetes-owned metadata left out, nulls pruned', () => {
    const raw = fromIstio(samples.reviewsAllV1) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    raw.metadata.managedFields = [{ manager: 'kubectl' }];
    raw.metadata.generation = 3;
    raw.spec.gateways = null;
    const result = validateResource(raw);
    expect(result.ok && result.resource.metadata).toEqual({ name: 'reviews', generation: 3 });
    expect(result.ok && 'gateways' in result.resource.spec).toBe(false);
  });
});
