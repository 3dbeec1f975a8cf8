import { analyzeModel } from '../analyze';
import { type KubeObject } from '../kube';
import { parseNodeId } from '../node-id';
import { indexOf, pod, policy, slice, svc } from '../test-fixtures';
import { type Json, TypeUrls } from './envoy';
import { workloadMtls } from './peer-auth';
import { Translator } from './translate';
import { validateObject } from '../validation';
import { retryPolicy } from './routes';
import { inboundCluster } from './clusters';

const node = (ip: string, podName: string, ns: string) => parseNodeId(`sidecar~${ip}~${podName}.${ns}~${ns}.svc.cluster.local`);

const base: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { 'skein.dev/inject': 'enabled' } } },
  svc('web', 'a', '10.96.0.1', [{ name: 'http', port: 80, targetPort: 8080 }]),
  svc('legacy', 'b', '10.96.0.2', [{ name: 'http', port: 80 }]),
  svc('private', 'b', '10.96.0.3', [{ name: 'tcp', port: 9000 }], { 'networking.skein.dev/exportTo': '.' }),
  pod('web-1', 'a', '10.0.0.1', { app: 'web', version: 'v1' }, 'web'),
  pod('client', 'a', '10.0.0.9', { app: 'client' }),
  slice('web-1', 'a', 'web', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.1', pod: 'web-1' }]),
  slice('legacy-1', 'b', 'legacy', [{ name: 'http', port: 80 }], [{ ip: '10.0.1.1' }]),
];

function translate(objects: KubeObject[], n = node('10.0.0.9', 'client', 'a'), metadata: Record<string, unknown> = {}) {
  return new Translator(indexOf(objects).model()).translate({ node: n, metadata });
}

function find(resources: Json[], name: string): Json | undefined {
  return resources.find((r) => (r.name ?? r.cluster_name) === name);
}

describe('translation rules', () => {
  it('mTLS only to meshed destinations, unless a DestinationRule disables it', () => {
    const t = translate(base).resources[TypeUrls.cluster];
    expect(find(t, 'outbound|80||web.a.svc.cluster.local')!.transport_socket).toBeDefined();
    expect(find(t, 'outbound|80||legacy.b.svc.cluster.local')!.transport_socket).toBeUndefined();
    const off = translate([...base, policy('DestinationRule', 'web', 'a', { host: 'web', trafficPolicy: { tls: { mode: 'DISABLE' } } })]).resources[TypeUrls.cluster];
    expect(find(off, 'outbound|80||web.a.svc.cluster.local')!.transport_socket).toBeUndefined();
  });

  it('scopes by exportTo: a service exported to "." is invisible to other namespaces', () => {
    const fromA = translate(base).resources[TypeUrls.cluster].map((c) => c.name);
    expect(fromA).not.toContain('outbound|9000||private.b.svc.cluster.local');
    const fromB = translate(base, node('10.0.1.1', 'legacy-x', 'b')).resources[TypeUrls.cluster].map((c) => c.name);
    expect(fromB).toContain('outbound|9000||private.b.svc.cluster.local');
  });

  it('a route to an undefined subset fails closed (BlackHoleCluster) and analyze names the field', () => {
    const objects = [...base, policy('VirtualService', 'web', 'a', { hosts: ['web'], http: [{ route: [{ destination: { host: 'web', subset: 'v9' } }] }] })];
    const route = find(translate(objects).resources[TypeUrls.route], '80')!;
    expect(JSON.stringify(route)).toContain('"cluster":"BlackHoleCluster"');
    expect(analyzeModel(indexOf(objects).model())).toEqual([
      { object: 'VirtualService/a/web', path: 'spec.http[0].route[0].destination', message: 'subset "v9" of web.a.svc.cluster.local is not defined by any DestinationRule' },
    ]);
  });

  it('analyze reports VS hosts without a service, DRs for unknown hosts, and conflicting VirtualServices', () => {
    const objects = [
      ...base,
      policy('VirtualService', 'first', 'a', { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' } }] }] }, '2026-01-01T00:00:00Z'),
      policy('VirtualService', 'second', 'a', { hosts: ['web', 'ghost'], http: [{ route: [{ destination: { host: 'web' } }] }] }, '2026-01-02T00:00:00Z'),
      policy('DestinationRule', 'nothing', 'a', { host: 'nothing.a.svc.cluster.local' }),
    ];
    expect(analyzeModel(indexOf(objects).model()).map((e) => `${e.object} ${e.path}: ${e.message}`)).toEqual([
      'VirtualService/a/second spec.hosts[0]: VirtualService/a/first already routes web.a.svc.cluster.local; this VirtualService is ignored for it (the oldest wins)',
      'VirtualService/a/second spec.hosts[1]: host "ghost" (ghost.a.svc.cluster.local) is not a known service',
      'DestinationRule/a/nothing spec.host: host "nothing.a.svc.cluster.local" (nothing.a.svc.cluster.local) is not a known service',
    ]);
  });

  it('wildcard hosts: a VirtualService for *.a.svc.cluster.local routes web unless an exact one exists', () => {
    const wildcard = policy('VirtualService', 'all-a', 'a', { hosts: ['*.a.svc.cluster.local'], http: [{ route: [{ destination: { host: 'web' } }], timeout: '7s' }] }, '2026-01-01T00:00:00Z');
    const timeoutOf = (objects: KubeObject[]) => JSON.stringify(find(translate(objects).resources[TypeUrls.route], '80')).match(/"timeout":"(\w+)"/)![1];
    expect(timeoutOf([...base, wildcard])).toBe('7s');
    const exact = policy('VirtualService', 'web', 'a', { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' } }], timeout: '3s' }] }, '2026-02-01T00:00:00Z');
    expect(timeoutOf([...base, wildcard, exact])).toBe('3s');
    expect(analyzeModel(indexOf([...base, policy('VirtualService', 'none', 'a', { hosts: ['*.zzz.svc.cluster.local'], http: [{ route: [{ destination: { host: 'web' } }] }] })]).model()))
      .toEqual([expect.objectContaining({ path: 'spec.hosts[0]', message: 'wildcard host "*.zzz.svc.cluster.local" matches no known service' })]);
  });

  it('inbound: the workload gets a chain and a static cluster per served port', () => {
    const t = translate(base, node('10.0.0.1', 'web-1', 'a')).resources;
    expect(find(t[TypeUrls.cluster], 'inbound|8080||')).toBeDefined();
    const inbound = find(t[TypeUrls.listener], 'virtualInbound')!;
    expect((inbound.filter_chains as Json[]).map((c) => c.name)).toEqual(['inbound_8080_mtls', 'inbound_8080_plaintext', 'inbound_passthrough_mtls', 'inbound_passthrough_plaintext']);
  });

  it('PeerAuthentication precedence: workload > namespace > mesh; UNSET inherits; port level overrides', () => {
    const model = (pas: KubeObject[]) => indexOf([...base, ...pas]).model();
    const mesh = policy('PeerAuthentication', 'mesh', 'skein-system', { mtls: { mode: 'STRICT' } });
    const ns = policy('PeerAuthentication', 'ns', 'a', { mtls: { mode: 'DISABLE' } });
    const wl = policy('PeerAuthentication', 'wl', 'a', { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } });
    expect(workloadMtls(model([]), 'a', { app: 'web' }).mode).toBe('PERMISSIVE');
    expect(workloadMtls(model([mesh]), 'a', { app: 'web' }).mode).toBe('STRICT');
    expect(workloadMtls(model([mesh, ns]), 'a', { app: 'web' }).mode).toBe('DISABLE');
    const w = workloadMtls(model([mesh, ns, wl]), 'a', { app: 'web' });
    expect([w.mode, w.ports.get(8080)]).toEqual(['DISABLE', 'PERMISSIVE']);
    expect(workloadMtls(model([mesh, ns, wl]), 'a', { app: 'other' }).ports.size).toBe(0);
  });

  it('sourceLabels: a match applies only to the workloads it names', () => {
    const objects = [...base, policy('VirtualService', 'web', 'a', {
      hosts: ['web'],
      http: [
        { match: [{ sourceLabels: { app: 'client' } }], route: [{ destination: { host: 'web' } }], timeout: '1s' },
        { route: [{ destination: { host: 'web' } }] },
      ],
    })];
    const routesOf = (n: ReturnType<typeof node>) => (find(translate(objects, n).resources[TypeUrls.route], '80')!.virtual_hosts as Json[])[0]!.routes as Json[];
    expect(routesOf(node('10.0.0.9', 'client', 'a'))).toHaveLength(2);
    expect(routesOf(node('10.0.0.1', 'web-1', 'a'))).toHaveLength(1);
  });

  it('local mode: SKEIN_OUTBOUND_PORTS makes explicit listeners; bad entries become warnings', () => {
    const t = translate(base, undefined, { SKEIN_OUTBOUND_PORTS: '15101=web:80, 15102=nope:1, junk, 70000=web:80' });
    expect(t.resources[TypeUrls.listener].map((l) => l.name)).toContain('outbound_127.0.0.1_15101');
    expect(find(t.resources[TypeUrls.route], 'outbound_127.0.0.1_15101')).toBeDefined();
    expect(t.warnings).toEqual([
      'SKEIN_OUTBOUND_PORTS: "15102=nope:1": no visible service nope with port 1',
      'SKEIN_OUTBOUND_PORTS: "junk" is not LOCAL_PORT=HOST:PORT',
      'SKEIN_OUTBOUND_PORTS: "70000=web:80": port 70000 is out of range',
    ]);
    expect(translate(base, undefined, { SKEIN_OUTBOUND_PORTS: 5 }).warnings).toEqual([expect.stringMatching(/must be a string/)]);
  });

  it('local mode: SKEIN_INBOUND_PORTS makes explicit inbound listeners with the port\'s mTLS mode', () => {
    const strict = policy('PeerAuthentication', 'ns', 'a', { mtls: { mode: 'STRICT' } });
    const t = translate([...base, strict], node('10.0.0.1', 'web-1', 'a'), { SKEIN_INBOUND_PORTS: '15106=8080,15107=9999' });
    const l = find(t.resources[TypeUrls.listener], 'inbound_10.0.0.1_15106')!;
    expect(l.address).toEqual({ socket_address: { address: '10.0.0.1', port_value: 15106 } });
    expect((l.filter_chains as Json[]).map((c) => [c.name, (c.filter_chain_match as Json).transport_protocol])).toEqual([['inbound_8080_mtls', 'tls']]);
    expect(t.warnings).toEqual(['SKEIN_INBOUND_PORTS: "15107=9999": no EndpointSlice lists this pod on port 15107 or 9999']);
  });

  it('local mode: a slice listing the proxy\'s listen port maps to the app port (no loop to the proxy)', () => {
    const objects = [...base.filter((o) => o.metadata.name !== 'web-1' || o.kind !== 'EndpointSlice'),
      slice('web-1', 'a', 'web', [{ name: 'http', port: 15106 }], [{ ip: '127.0.0.1', pod: 'web-1' }])];
    const t = translate(objects, node('127.0.0.1', 'web-1', 'a'), { SKEIN_INBOUND_PORTS: '15106=8080' });
    const clusters = t.resources[TypeUrls.cluster].map((c) => c.name).filter((n) => String(n).startsWith('inbound|'));
    expect(clusters).toEqual(['inbound|8080||']);
    expect(find(t.resources[TypeUrls.listener], 'inbound_127.0.0.1_15106')).toBeDefined();
    expect(t.warnings).toEqual([]);
  });

  it('proxies of one namespace share resource objects (translation is per namespace, not per proxy)', () => {
    const translator = new Translator(indexOf(base).model());
    const a = translator.translate({ node: node('10.0.0.9', 'client', 'a'), metadata: {} });
    const b = translator.translate({ node: node('10.0.0.1', 'web-1', 'a'), metadata: {} });
    expect(find(a.resources[TypeUrls.route], '80')).toBe(find(b.resources[TypeUrls.route], '80'));
  });
});

describe('VirtualService retries → Envoy retry_policy (Istio semantics)', () => {
  it.each<[string, object, object]>([
    ['no attempts disables retries', {}, { num_retries: 0 }],
    ['attempts 0 disables retries', { attempts: 0, retryOn: '5xx' }, { num_retries: 0 }],
    ['attempts without retryOn keep Istio’s conditions and 503', { attempts: 3 }, { retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', num_retries: 3, retriable_status_codes: [503] }],
    ['numeric codes become retriable_status_codes', { attempts: 2, retryOn: '5xx,429,409' }, { retry_on: '5xx,retriable-status-codes', num_retries: 2, retriable_status_codes: [429, 409] }],
    ['an explicit retriable-status-codes is not doubled', { attempts: 1, retryOn: 'retriable-status-codes,503' }, { retry_on: 'retriable-status-codes', num_retries: 1, retriable_status_codes: [503] }],
    ['perTryTimeout', { attempts: 2, retryOn: 'reset', perTryTimeout: '250ms' }, { retry_on: 'reset', num_retries: 2, per_try_timeout: '0.250s' }],
  ])('%s', (_name, retries, want) => expect(retryPolicy(retries)).toEqual(want));
});

describe('Service annotation traffic.skein.dev/healthCheck', () => {
  it('an invalid value is refused at admission with the annotation named (the last valid Service keeps serving)', () => {
    const bad = svc('web', 'a', '10.96.0.1', [{ name: 'http', port: 80 }], { 'traffic.skein.dev/healthCheck': 'interval=5s' });
    expect(validateObject(bad)).toEqual([{ path: 'metadata.annotations[traffic.skein.dev/healthCheck]', message: expect.stringMatching(/path is required/) }]);
  });
  it('adds an HTTP health check to the HTTP clusters of the service only', () => {
    const objects = [...base.filter((o) => o.metadata.name !== 'web'), svc('web', 'a', '10.96.0.1', [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'tcp-db', port: 5432 }], { 'traffic.skein.dev/healthCheck': 'path=/ready' })];
    const clusters = translate(objects).resources[TypeUrls.cluster];
    expect(find(clusters, 'outbound|80||web.a.svc.cluster.local')!.health_checks).toEqual([{ timeout: '1s', interval: '10s', unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: { path: '/ready' } }]);
    expect(find(clusters, 'outbound|5432||web.a.svc.cluster.local')!.health_checks).toBeUndefined();
  });
});

describe('inbound clusters', () => {
  it.each([
    ['GRPC', true], ['HTTP2', true], ['HTTP', false], ['TCP', false],
  ] as const)('a %s app port is reached over HTTP/2: %s', (protocol, h2) => {
    const cluster = inboundCluster(8080, protocol) as Json;
    expect('typed_extension_protocol_options' in cluster).toBe(h2);
    if (h2) expect(JSON.stringify(cluster)).toContain('http2_protocol_options');
  });
});

describe('connection pool settings reach the cluster (not silently dropped)', () => {
  const webCluster = (pool: unknown): string => {
    const objects = [...base, policy('DestinationRule', 'web', 'a', { host: 'web', trafficPolicy: { connectionPool: pool } })];
    return JSON.stringify(find(translate(objects).resources[TypeUrls.cluster], 'outbound|80||web.a.svc.cluster.local'));
  };

  it('maxRequestsPerConnection and idleTimeout → common_http_protocol_options', () => {
    const json = webCluster({ http: { maxRequestsPerConnection: 1, idleTimeout: '30s' } });
    expect(json).toContain('"max_requests_per_connection":1');
    expect(json).toContain('"idle_timeout":"30s"');
    expect(json).toContain('"http_protocol_options":{}');
  });

  it('h2UpgradePolicy UPGRADE sends HTTP/1.1 requests over HTTP/2', () => {
    expect(webCluster({ http: { h2UpgradePolicy: 'UPGRADE' } })).toContain('http2_protocol_options');
    expect(webCluster({ http: { h2UpgradePolicy: 'DO_NOT_UPGRADE' } })).not.toContain('http2_protocol_options');
  });
});
