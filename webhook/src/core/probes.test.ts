import { rewriteAppProbes } from './probes';
import { type Container } from './types';

describe('rewriteAppProbes', () => {
  it('keeps timing fields, resolves named ports, leaves non-HTTP probes', () => {
    const containers: Container[] = [{
      name: 'web',
      ports: [{ name: 'http', containerPort: 8080 }],
      livenessProbe: { httpGet: { path: '/l', port: 'http' }, periodSeconds: 7, failureThreshold: 2, timeoutSeconds: 4 },
      readinessProbe: { tcpSocket: { port: 8080 } },
    }];
    const originals = rewriteAppProbes(containers);
    expect(containers[0]!.livenessProbe).toEqual({ httpGet: { path: '/app-health/web/livez', port: 15020, scheme: 'HTTP' }, periodSeconds: 7, failureThreshold: 2, timeoutSeconds: 4 });
    expect(containers[0]!.readinessProbe).toEqual({ tcpSocket: { port: 8080 } });
    expect(originals).toEqual({ '/app-health/web/livez': { httpGet: { path: '/l', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 4 } });
  });

  it('returns nothing when there are no HTTP probes', () => {
    expect(rewriteAppProbes([{ name: 'a', livenessProbe: { exec: { command: ['true'] } } }])).toEqual({});
  });

  it.each([
    [{ port: 'metrics' }, /container web startupProbe: named port "metrics" is not declared/],
    [{ port: 0 }, /port 0 is not a port/],
    [{ port: '99999' }, /port "99999" is not a port/],
    [{ port: 80, scheme: 'GOPHER' }, /scheme "GOPHER" is not HTTP or HTTPS/],
  ])('%j is refused', (httpGet, message) => {
    expect(() => rewriteAppProbes([{ name: 'web', startupProbe: { httpGet } }])).toThrow(message);
  });
});
