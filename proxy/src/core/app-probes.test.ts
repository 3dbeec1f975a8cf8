import { parseAppProbes } from './app-probes';

describe('parseAppProbes (the webhook → proxy contract, docs/injection.md §5)', () => {
  it('reads the documented example', () => {
    const probes = parseAppProbes(JSON.stringify({
      '/app-health/web/livez': { httpGet: { path: '/live', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1 },
      '/app-health/web/readyz': { httpGet: { path: '/ready', port: 9090, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, timeoutSeconds: 3 },
      '/app-health/worker/startupz': { httpGet: { path: '/', port: 7070, scheme: 'HTTP', host: '127.0.0.1' }, timeoutSeconds: 1 },
    }));
    expect(Object.fromEntries(probes)).toEqual({
      '/app-health/web/livez': { scheme: 'HTTP', host: '127.0.0.1', port: 8080, path: '/live', headers: [], timeoutMs: 1000 },
      '/app-health/web/readyz': { scheme: 'HTTPS', host: '127.0.0.1', port: 9090, path: '/ready', headers: [['X-Probe', 'kubelet']], timeoutMs: 3000 },
      '/app-health/worker/startupz': { scheme: 'HTTP', host: '127.0.0.1', port: 7070, path: '/', headers: [], timeoutMs: 1000 },
    });
  });

  it('defaults: path /, scheme HTTP, 1 s; nothing given means no probes', () => {
    expect(parseAppProbes(JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 80 } } })).get('/app-health/a/livez'))
      .toEqual({ scheme: 'HTTP', host: '127.0.0.1', port: 80, path: '/', headers: [], timeoutMs: 1000 });
    expect(parseAppProbes(undefined).size).toBe(0);
    expect(parseAppProbes('').size).toBe(0);
  });

  it.each([
    ['{', /not valid JSON/],
    ['[]', /expected a JSON object/],
    [JSON.stringify({ '/healthz': { httpGet: { port: 80 } } }), /\/healthz: not an \/app-health/],
    [JSON.stringify({ '/app-health/a/deadz': { httpGet: { port: 80 } } }), /not an \/app-health/],
    [JSON.stringify({ '/app-health/a/livez': { tcpSocket: { port: 80 } } }), /expected \{"httpGet"/],
    [JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 'http' } } }), /httpGet.port: must be a port number/],
    [JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 70000 } } }), /httpGet.port/],
    [JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 80, scheme: 'FTP' } } }), /httpGet.scheme/],
    [JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 80, path: 'x' } } }), /httpGet.path: must start with \//],
    [JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 80, httpHeaders: [{ name: 'X', value: 'a\r\nb' }] } } }), /httpHeaders\[0\]/],
    [JSON.stringify({ '/app-health/a/livez': { httpGet: { port: 80 }, timeoutSeconds: 0 } }), /timeoutSeconds/],
  ])('refuses %s with %s', (json, message) => {
    expect(() => parseAppProbes(json)).toThrow(message);
  });
});
