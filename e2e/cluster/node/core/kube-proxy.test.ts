import { endpointChain, iptablesRules, serviceChain, serviceTargets } from './kube-proxy';
import { type EndpointSlice, type Service } from './types';

const web: Service = { metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'grpc', port: 9090 }] } };
const headless: Service = { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ port: 5432 }] } };
const lonely: Service = { metadata: { name: 'lonely', namespace: 'shop' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 80 }] } };

function slice(name: string, endpoints: NonNullable<EndpointSlice['endpoints']>, service = 'web'): EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'grpc', port: 9090, protocol: 'TCP' }],
    endpoints,
  };
}

describe('kube-proxy: service targets from EndpointSlices', () => {
  it('uses ready endpoints only, across slices, with the slice port of the same name', () => {
    const slices = [
      slice('web-a', [{ addresses: ['10.244.0.5'], conditions: { ready: true } }, { addresses: ['10.244.0.6'], conditions: { ready: false, serving: false } }]),
      slice('web-b', [{ addresses: ['10.244.0.7'] }]),
    ];
    expect(serviceTargets([web, headless, lonely], slices)).toEqual([
      { servicePort: 'shop/lonely:', clusterIP: '10.96.0.30', port: 80, protocol: 'TCP', endpoints: [] },
      { servicePort: 'shop/web:grpc', clusterIP: '10.96.0.20', port: 9090, protocol: 'TCP', endpoints: ['10.244.0.5:9090', '10.244.0.7:9090'] },
      { servicePort: 'shop/web:http', clusterIP: '10.96.0.20', port: 80, protocol: 'TCP', endpoints: ['10.244.0.5:8080', '10.244.0.7:8080'] },
    ]);
  });

  it('falls back to serving, terminating endpoints when none is ready', () => {
    const slices = [slice('web-a', [{ addresses: ['10.244.0.5'], conditions: { ready: false, serving: true, terminating: true } }, { addresses: ['10.244.0.6'], conditions: { ready: false, serving: false, terminating: true } }])];
    expect(serviceTargets([web], slices).find((t) => t.port === 80)?.endpoints).toEqual(['10.244.0.5:8080']);
  });

  it('ignores slices of other services and namespaces', () => {
    const other = { ...slice('x', [{ addresses: ['10.244.0.9'] }]), metadata: { name: 'x', namespace: 'other', labels: { 'kubernetes.io/service-name': 'web' } } };
    expect(serviceTargets([web], [other]).every((t) => t.endpoints.length === 0)).toBe(true);
  });
});

describe('kube-proxy: iptables rules', () => {
  const targets = [
    { servicePort: 'shop/web:http', clusterIP: '10.96.0.20', port: 80, protocol: 'TCP', endpoints: ['10.244.0.5:8080', '10.244.0.6:8080', '10.244.0.7:8080'] },
    { servicePort: 'shop/lonely:', clusterIP: '10.96.0.30', port: 80, protocol: 'TCP', endpoints: [] },
  ];
  const rules = iptablesRules(targets);

  it('DNATs the ClusterIP port to each endpoint with even random probabilities', () => {
    const svc = serviceChain(targets[0]!);
    expect(svc).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/);
    expect(rules).toContain(`-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m tcp --dport 80 -m comment --comment "shop/web:http cluster IP" -j ${svc}`);
    expect(rules).toContain('--probability 0.3333333333');
    expect(rules).toContain('--probability 0.5000000000');
    expect(rules).toContain(`-j DNAT --to-destination 10.244.0.7:8080`);
    expect(rules).toContain(`-A ${endpointChain(targets[0]!, '10.244.0.5:8080')} -s 10.244.0.5/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ`);
  });

  it('catches traffic from pods (PREROUTING) and from the node itself (OUTPUT)', () => {
    expect(rules).toMatch(/^-A PREROUTING .* -j KUBE-SERVICES$/m);
    expect(rules).toMatch(/^-A OUTPUT .* -j KUBE-SERVICES$/m);
  });

  it('rejects a Service without endpoints instead of letting it time out', () => {
    expect(rules).toContain('-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m tcp --dport 80 -m comment --comment "shop/lonely: has no endpoints" -j REJECT --reject-with icmp-port-unreachable');
  });

  it('declares every chain it uses and commits both tables', () => {
    const declared = new Set([...rules.matchAll(/^:(\S+)/gm)].map((m) => m[1]));
    for (const m of rules.matchAll(/-j (KUBE-[A-Z0-9-]+)/g)) expect(declared).toContain(m[1]);
    expect(rules.match(/^COMMIT$/gm)).toHaveLength(2);
  });
});
