import type http from 'node:http';
import { Dashboard, isAllowedHost, isLoopback, type MeshSource } from './server';

const source: MeshSource = { snapshot: () => ({ trustDomain: 'cluster.local', proxies: [], policy: { clusterDomain: 'cluster.local', rootNamespace: 'skein-system', virtualServices: [], destinationRules: [], peerAuthentications: [] } }) };

/** Calls the handler with a request from `remoteAddress`; what it answered. */
function ask(d: Dashboard, url: string, o: { remoteAddress?: string; host?: string; method?: string } = {}): { handled: boolean; status?: number; body: string } {
  const out: { status?: number; body: string } = { body: '' };
  const req = { url, method: o.method ?? 'GET', headers: { host: o.host ?? '127.0.0.1:15014' }, socket: { remoteAddress: o.remoteAddress ?? '127.0.0.1' } } as unknown as http.IncomingMessage;
  const res = { writeHead: (s: number) => (out.status = s), end: (b: string | Buffer) => (out.body = String(b)) } as unknown as http.ServerResponse;
  return { handled: d.handle(req, res), ...out };
}

describe('dashboard exposure', () => {
  it.each([
    ['127.0.0.1', true], ['127.8.9.1', true], ['::1', true], ['::ffff:127.0.0.1', true],
    ['10.244.1.7', false], ['::ffff:10.0.0.1', false], ['fd00::1', false], [undefined, false],
  ])('remote address %s is loopback: %s', (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });

  it.each([
    ['127.0.0.1:15014', true], ['localhost:8080', true], ['LOCALHOST', true], ['[::1]:15014', true], ['10.0.0.3', true],
    ['evil.example:15014', false], ['localhost.evil.example', false], ['', false], [undefined, false],
  ])('Host %s is allowed: %s (DNS rebinding)', (host, ok) => {
    expect(isAllowedHost(host)).toBe(ok);
  });

  it('on Kubernetes (loopback) refuses a caller from another address with a hint, serves the pod\'s own loopback', async () => {
    const d = new Dashboard(source, { access: 'loopback' });
    expect(ask(d, '/', { remoteAddress: '10.244.0.9' })).toMatchObject({ handled: true, status: 403, body: expect.stringContaining('skein dashboard') });
    expect(ask(d, '/dashboard/api/view', { remoteAddress: '10.244.0.9' }).status).toBe(403);
    expect(ask(d, '/', { remoteAddress: '127.0.0.1' })).toMatchObject({ status: 200, body: expect.stringContaining('<title>Skein mesh dashboard</title>') });
    await d.close();
  });

  it('in local mode (any) serves whoever reaches the monitoring port, but never a foreign Host name', async () => {
    const d = new Dashboard(source, { access: 'any' });
    expect(ask(d, '/', { remoteAddress: '192.168.1.20', host: '192.168.1.5:15014' }).status).toBe(200);
    expect(ask(d, '/', { host: 'attacker.example:15014' })).toMatchObject({ status: 403, body: expect.stringContaining('DNS rebinding') });
    await d.close();
  });

  it('leaves the monitoring paths to the monitoring server; answers its own unknown paths and methods', async () => {
    const d = new Dashboard(source, { access: 'any' });
    expect(ask(d, '/metrics').handled).toBe(false);
    expect(ask(d, '/debug/syncz').handled).toBe(false);
    expect(ask(d, '/dashboardx').handled).toBe(false);
    expect(ask(d, '/dashboard/nope')).toMatchObject({ handled: true, status: 404 });
    expect(ask(d, '/', { method: 'POST' })).toMatchObject({ handled: true, status: 405 });
    await d.close();
  });
});
