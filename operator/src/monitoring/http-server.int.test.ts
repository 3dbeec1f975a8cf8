import { ControlPlane } from '../controlplane';
import { ControlPlaneMetrics } from './metrics';
import { startMonitoring } from './http-server';

describe('monitoring endpoints', () => {
  const cp = new ControlPlane({ metrics: new ControlPlaneMetrics(false) });
  let server: { port: number; close(): Promise<void> } | undefined;
  const get = (p: string, method = 'GET') => fetch(`http://127.0.0.1:${server!.port}${p}`, { method });

  beforeAll(async () => {
    server = await startMonitoring(cp, '127.0.0.1', 0);
  });
  afterAll(async () => {
    cp.stop();
    await server?.close();
  });

  it('is healthy at once, ready only after the first full load', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const before = await get('/readyz');
    expect([before.status, await before.text()]).toEqual([503, 'not ready:\n- waiting for the first complete configuration load\n']);
    cp.onErrors([{ file: 'a.yaml', document: 1, path: 'spec.hosts', message: 'required' }]);
    cp.onSynced();
    expect((await get('/readyz')).status).toBe(200);
    const configz = await (await get('/debug/configz')).json() as { ready: boolean; errors: string[] };
    expect(configz).toMatchObject({ ready: true, errors: ['a.yaml document 1: spec.hosts: required'] });
    expect(await (await get('/metrics')).text()).toMatch(/skein_config_errors 1/);
    expect(await (await get('/debug/syncz')).json()).toEqual({});
  });

  it('/version, and /debug/syncz with each type\'s state (NACKED with the reason)', async () => {
    expect(await (await get('/version')).json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const id = 'sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local';
    const stream = `${id}#1`;
    const cds = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
    const lds = 'type.googleapis.com/envoy.config.listener.v3.Listener';
    cp.sync.connect(stream, id, 't0');
    cp.sync.sent(stream, cds, 'c1', '1', 't1');
    cp.sync.received(stream, cds, { versionInfo: 'c1', responseNonce: '1' }, 't2');
    cp.sync.sent(stream, lds, 'l1', '2', 't3');
    cp.sync.received(stream, lds, { versionInfo: '', responseNonce: '2', errorMessage: 'listen EADDRINUSE' }, 't4');
    const syncz = await (await get('/debug/syncz')).json() as Record<string, { stream: string; types: Record<string, { state: string; nack?: { message: string } }> }>;
    expect(syncz[id]!.stream).toBe(stream);
    expect(syncz[id]!.types[cds]!.state).toBe('SYNCED');
    expect(syncz[id]!.types[lds]).toMatchObject({ state: 'NACKED', nack: { message: 'listen EADDRINUSE' } });
    cp.sync.disconnect(stream);
  });

  it('mounts the dashboard at / (the page, and a view of this control plane\'s proxies and policy)', async () => {
    const page = await get('/');
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain('<script src="/dashboard/app.js" defer></script>');
    const view = await (await get('/dashboard/api/view')).json() as { proxies: unknown[]; policy: { hosts: unknown[] } };
    expect(view).toMatchObject({ proxies: [], nodes: [], edges: [], policy: { hosts: [], mtls: [] } });
  });

  it('answers unknown paths with 404 and non-GET with 405', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(405);
  });
});
