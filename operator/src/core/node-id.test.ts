import { clusterDomainOf, parseNodeId } from './node-id';

describe('parseNodeId', () => {
  it.each([
    ['sidecar~10.0.0.5~reviews-v1-abc.default~default.svc.cluster.local', '10.0.0.5', 'reviews-v1-abc', 'default'],
    ['sidecar~fd00::1~web.shop~shop.svc.example.org', 'fd00::1', 'web', 'shop'],
    ['sidecar~127.0.0.1~a.b.c~c.svc.cluster.local', '127.0.0.1', 'a.b', 'c'],
  ])('parses %s', (id, ip, pod, ns) => {
    expect(parseNodeId(id)).toMatchObject({ id, ip, podName: pod, namespace: ns });
  });

  it('derives the cluster domain', () => {
    expect(clusterDomainOf(parseNodeId('sidecar~10.0.0.5~p.ns~ns.svc.example.org'))).toBe('example.org');
  });

  it.each([
    ['', /4 parts/],
    ['sidecar~10.0.0.5~p.default', /4 parts/],
    ['router~10.0.0.5~p.default~default.svc.cluster.local', /type "router"/],
    ['sidecar~10.0.0~p.default~default.svc.cluster.local', /not an IP/],
    ['sidecar~10.0.0.5~pod~default.svc.cluster.local', /<pod>.<namespace>/],
    ['sidecar~10.0.0.5~Pod.default~default.svc.cluster.local', /pod name "Pod"/],
    ['sidecar~10.0.0.5~p.Default~Default.svc.cluster.local', /namespace "Default"/],
    ['sidecar~10.0.0.5~p.default~other.svc.cluster.local', /must be default.svc/],
    ['sidecar~10.0.0.5~p.default~default.svc.', /must be default.svc/],
  ])('rejects %j', (id, message) => {
    expect(() => parseNodeId(id)).toThrow(message);
  });
});
