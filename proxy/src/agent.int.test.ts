/**
 * The agent's own endpoints on loopback, before it has a certificate or a config: health says
 * not ready and why, /config_dump shows the xDS status, the proxy-served paths answer 503, a port
 * conflict fails start() and leaves nothing bound. (The full chain — CA, control plane, sidecars —
 * runs in cli/src/demo/demo.int.test.ts and e2e/mesh.)
 */
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSelfSignedRoot } from '../../ca/src/core/root';
import { ProxyAgent } from './agent';
import { readProxyEnv } from './env';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function listen(): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('ProxyAgent endpoints', () => {
  let rootPem: string;
  let nowhere: net.Server;
  const lines: string[] = [];

  beforeAll(async () => {
    rootPem = (await createSelfSignedRoot({ keyType: 'ec', trustDomain: 'cluster.local', now: new Date(), randomBytes: (n) => randomBytes(n) })).certPem;
    // A port that accepts TCP but never speaks TLS: the CA and the control plane stay unreachable.
    nowhere = await listen();
    nowhere.on('connection', (s) => s.destroy());
  });
  afterAll(() => new Promise<void>((r) => nowhere.close(() => r())));

  const agentFor = (ports: { admin: number; health: number; agent?: number }, extraEnv: Record<string, string> = {}): ProxyAgent => {
    const address = `127.0.0.1:${(nowhere.address() as net.AddressInfo).port}`;
    const env = readProxyEnv({ SKEIN_XDS_ADDRESS: address, SKEIN_ROOT_CERT_PATH: '/roots.pem', SKEIN_JOIN_TOKEN: 'secret-join-token', POD_NAME: 'web-1', SERVICE_ACCOUNT: 'web', ...extraEnv });
    return new ProxyAgent({ env, ports, readFile: () => rootPem, log: (l) => lines.push(l) });
  };

  it('answers at once: not ready (no certificate), /config_dump with the xDS status, 503 for what the proxy serves', async () => {
    const agent = agentFor({ admin: 0, health: 0, agent: 0 });
    try {
      await agent.start();
      const health = await get(agent.port('health'), '/healthz/ready');
      expect(health).toEqual({ status: 503, body: 'not ready: no workload certificate yet\n' });
      const dump = await get(agent.port('admin'), '/config_dump');
      expect(dump.status).toBe(200);
      expect(JSON.parse(dump.body)).toMatchObject({ version: null, identity: null, config: null, ready: { ready: false }, xds: { connected: false, streams: expect.any(Number) } });
      expect((await get(agent.port('admin'), '/clusters')).status).toBe(503);
      expect((await get(agent.port('admin'), '/nope')).status).toBe(404);
      expect(lines.join('\n')).not.toContain('secret-join-token');
    } finally {
      await agent.close();
    }
  });

  it('fails start() on a port conflict and leaves nothing bound', async () => {
    const taken = await listen();
    const port = (taken.address() as net.AddressInfo).port;
    const agent = agentFor({ admin: 0, health: port, agent: 0 });
    try {
      await expect(agent.start()).rejects.toThrow(/EADDRINUSE/);
      expect(() => agent.port('admin')).toThrow(/not bound/);
    } finally {
      await agent.close();
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it("answers kubelet's rewritten probes by probing the app (docs/injection.md §5), before any config exists", async () => {
    const seen: Array<{ path?: string; probe?: string | string[] }> = [];
    const app = http.createServer((req, res) => {
      seen.push({ path: req.url, probe: req.headers['x-probe'] });
      res.writeHead(req.url === '/live' ? 200 : 500).end();
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    const appPort = (app.address() as net.AddressInfo).port;
    const closedPort = await (async () => { const s = await listen(); const p = (s.address() as net.AddressInfo).port; await new Promise<void>((r) => s.close(() => r())); return p; })();
    const probes = {
      '/app-health/web/livez': { httpGet: { path: '/live', port: appPort, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, timeoutSeconds: 1 },
      '/app-health/web/readyz': { httpGet: { path: '/ready', port: appPort, scheme: 'HTTP' }, timeoutSeconds: 1 },
      '/app-health/web/startupz': { httpGet: { path: '/', port: closedPort, scheme: 'HTTP' }, timeoutSeconds: 1 },
    };
    const agent = agentFor({ admin: 0, health: 0, agent: 0 }, { SKEIN_APP_PROBES: JSON.stringify(probes) });
    try {
      await agent.start();
      const port = agent.port('agent');
      expect((await get(port, '/app-health/web/livez')).status).toBe(200);
      expect((await get(port, '/app-health/web/readyz')).status).toBe(500);
      expect((await get(port, '/app-health/web/startupz')).status).toBe(503);
      expect((await get(port, '/app-health/other/livez')).status).toBe(404);
      expect(seen).toEqual([{ path: '/live', probe: 'kubelet' }, { path: '/ready', probe: undefined }]);
    } finally {
      await agent.close();
      await new Promise<void>((r) => app.close(() => r()));
    }
  });
});
