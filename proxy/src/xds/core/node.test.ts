import { backoffDelayMs } from './backoff';
import { NodeConfigError, buildNode, nodeInfo, parseOutboundPorts } from './node';

const base = { podName: 'reviews-v1-7d9f', namespace: 'default', podIp: '10.0.0.9' };

describe('buildNode', () => {
  it('uses the sidecar id shape, Istio metadata names and the operator\'s SKEIN_OUTBOUND_PORTS', () => {
    const node = buildNode({
      ...base, clusterDomain: 'corp.local', serviceAccount: 'reviews', labels: { app: 'reviews', version: 'v1' },
      outboundPorts: parseOutboundPorts('15101=ratings:9080, 15102=db.data:5432'), locality: { region: 'eu', zone: 'eu-1a' }, prometheusPort: 41090,
    });
    expect(node.id).toBe('sidecar~10.0.0.9~reviews-v1-7d9f.default~default.svc.corp.local');
    expect(node.cluster).toBe('reviews.default');
    expect(node.metadata).toEqual({
      NAMESPACE: 'default', NAME: 'reviews-v1-7d9f', INSTANCE_IPS: '10.0.0.9', WORKLOAD_NAME: 'reviews', SERVICE_ACCOUNT: 'reviews',
      LABELS: { app: 'reviews', version: 'v1' }, SKEIN_OUTBOUND_PORTS: '15101=ratings:9080,15102=db.data:5432', SKEIN_PROMETHEUS_PORT: '41090',
    });
    expect(node.locality).toMatchObject({ region: 'eu', zone: 'eu-1a', subZone: '' });
    expect(nodeInfo({ ...base, labels: { app: 'reviews' } })).toEqual({ id: 'sidecar~10.0.0.9~reviews-v1-7d9f.default~default.svc.cluster.local', workload: 'reviews', namespace: 'default' });
    expect(nodeInfo({ ...base, labels: { app: 'reviews', version: 'v1' } }).version).toBe('v1');
  });

  it('accepts an IPv6 pod address and defaults the workload to the pod name', () => {
    expect(buildNode({ ...base, podIp: 'fd00::9' }).id).toBe('sidecar~fd00::9~reviews-v1-7d9f.default~default.svc.cluster.local');
    expect(nodeInfo(base).workload).toBe('reviews-v1-7d9f');
  });

  it.each([
    ['a pod name with capitals', { podName: 'Reviews' }, /pod name "Reviews" is not a DNS subdomain/],
    ['a namespace with dots', { namespace: 'a.b' }, /namespace "a.b" is not a DNS label/],
    ['a pod IP that is a host name', { podIp: 'reviews' }, /pod IP "reviews" is not an IP address/],
    ['an IPv4 address out of range', { podIp: '10.0.0.300' }, /pod IP "10.0.0.300" is not an IP address/],
    ['a bad cluster domain', { clusterDomain: 'bad_domain' }, /cluster domain "bad_domain" is not a DNS name/],
    ['a bad service account', { serviceAccount: 'SA!' }, /service account "SA!" is not a DNS subdomain/],
  ])('refuses %s', (_what, patch, message) => {
    expect(() => buildNode({ ...base, ...patch })).toThrow(NodeConfigError);
    expect(() => buildNode({ ...base, ...patch })).toThrow(message);
  });
});

describe('parseOutboundPorts', () => {
  it('reads LOCAL=HOST:PORT lists, ignoring blanks', () => {
    expect(parseOutboundPorts(' 15101=echo.default:8080,,15102=db:5432 ')).toEqual([
      { listenPort: 15101, host: 'echo.default', servicePort: 8080 },
      { listenPort: 15102, host: 'db', servicePort: 5432 },
    ]);
    expect(parseOutboundPorts('')).toEqual([]);
  });

  it.each([
    ['no =', 'echo:8080', /"echo:8080" is not LOCAL_PORT=HOST:PORT/],
    ['no port', '15101=echo', /"15101=echo" is not LOCAL_PORT=HOST:PORT/],
    ['a local port out of range', '70000=echo:80', /"70000" is not a port/],
    ['a service port that is not a number', '15101=echo:http', /"http" is not a port/],
    ['a local port twice', '15101=a:1,15101=b:2', /local port 15101 is listed twice/],
  ])('refuses %s', (_what, spec, message) => {
    expect(() => parseOutboundPorts(spec)).toThrow(message);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [0, 0, 250], [0, 0.999, 499], [1, 0, 500], [3, 0.5, 3000], [10, 0, 15000], [10, 0.999, 29985], [1000, 0, 15000],
  ])('attempt %i with random %f waits %i ms (exponential, half jittered, capped at 30 s)', (attempt, r, ms) => {
    expect(backoffDelayMs(attempt, () => r)).toBe(ms);
  });

  it('honours a custom policy', () => {
    expect(backoffDelayMs(2, () => 0, { baseMs: 10, maxMs: 25 })).toBe(12);
  });
});
