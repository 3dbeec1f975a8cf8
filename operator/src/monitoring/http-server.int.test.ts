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

  it('answers unknown paths with 404 and non-GET with 405', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(405);
  });
});
