/**
 * pods/portforward on the simulated API server, driven by the client kubectl's code path uses
 * (client-node's PortForward over WebSocket, `v4.channel.k8s.io`), to a real socket behind the
 * dialer; and every refusal before the upgrade (no token, RBAC, no pod, no node) as a client sees it.
 */
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { type DialTarget, type SimulatedApiServer, startSimulatedApiServer } from './index';

jest.setTimeout(60_000);

const pods = { group: '', version: 'v1', plural: 'pods' };

describe('pods/portforward', () => {
  let api: SimulatedApiServer;
  let echo: net.Server;
  const dialed: DialTarget[] = [];

  beforeAll(async () => {
    api = await startSimulatedApiServer({ controllers: false });
    // A process in the pod: an echo server on this host's loopback, where the dialer sends the pod's port 8080.
    echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await new Promise((r) => echo.once('listening', r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    api.hooks.dialer = (target) => {
      dialed.push(target);
      return new Promise((resolve, reject) => {
        const s = net.connect(target.port === 8080 ? echoPort : 1, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    };
    await api.client.create({ group: '', version: 'v1', plural: 'serviceaccounts' }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } });
    for (const [name, nodeName] of [['web-1', 'node-a'], ['pending-1', undefined]] as const) {
      await api.client.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'app', image: 'web:1' }] } });
    }
    await api.client.patch(pods, 'default', 'web-1', { status: { phase: 'Running', podIP: '10.244.0.7' } }, 'merge', { subresource: 'status' });
  });

  afterAll(async () => {
    await api.stop();
    echo.close();
  });

  /** Forwards one connection through client-node's PortForward; resolves with what came back and the error channel. */
  async function forwardOnce(pod: string, port: number, send: string): Promise<{ data: string; error: string }> {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    let data = '';
    let error = '';
    const input = new PassThrough();
    const ws = await new k8s.PortForward(kc).portForward('default', pod, [port],
      new Writable({ write: (c: Buffer, _e, done) => ((data += c.toString()), done()) }),
      new Writable({ write: (c: Buffer, _e, done) => ((error += c.toString()), done()) }), input) as unknown as WebSocket;
    input.write(send);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (data.length >= send.length || error) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
      ws.on('close', () => {
        clearInterval(poll);
        resolve();
      });
    });
    ws.close();
    return { data, error };
  }

  it('carries bytes both ways to the pod\'s port, dialed as a port-forward to that pod', async () => {
    expect(await forwardOnce('web-1', 8080, 'hello through the API server')).toEqual({ data: 'hello through the API server', error: '' });
    expect(dialed.at(-1)).toEqual({ host: '10.244.0.7', port: 8080, purpose: 'port-forward', pod: { namespace: 'default', name: 'web-1' } });
  });

  it('a port nothing listens on in the pod: the kubelet\'s error on the error channel, the stream closed', async () => {
    const r = await forwardOnce('web-1', 9999, 'x');
    expect(r.data).toBe('');
    expect(r.error).toMatch(/^error forwarding port 9999 to pod default\/web-1: failed to connect to localhost:9999 inside the pod: connect: connection refused$/);
  });

  /** The HTTP answer to the upgrade request. */
  function upgradeStatus(path: string, token: string | null): Promise<{ code: number; message: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${api.url.replace('https', 'wss')}${path}`, ['v4.channel.k8s.io'], { ca: api.caPem, headers: token ? { authorization: `Bearer ${token}` } : {} });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, message: (JSON.parse(body) as { message: string }).message }));
      });
      ws.on('open', () => reject(new Error('upgraded')));
      ws.on('error', () => undefined);
    });
  }

  it.each([
    ['no token', '/api/v1/namespaces/default/pods/web-1/portforward?ports=8080', null, 401, /Unauthorized/],
    ['a pod that does not exist', '/api/v1/namespaces/default/pods/ghost/portforward?ports=8080', 'admin', 404, /pods "ghost" not found/],
    ['a pod no node runs', '/api/v1/namespaces/default/pods/pending-1/portforward?ports=8080', 'admin', 400, /pod pending-1 does not have a host assigned/],
    ['two ports', '/api/v1/namespaces/default/pods/web-1/portforward?ports=8080&ports=9090', 'admin', 400, /exactly one port/],
    ['a user RBAC does not allow to create pods/portforward', '/api/v1/namespaces/default/pods/web-1/portforward?ports=8080', 'viewer', 403, /"web-1" is forbidden: User "viewer" cannot create resource "pods\/portforward"/],
  ])('refused before the upgrade: %s', async (_what, path, who, code, message) => {
    api.addToken('viewer-token', { username: 'viewer', groups: ['system:authenticated'] });
    const token = who === 'admin' ? api.adminToken : who === 'viewer' ? 'viewer-token' : null;
    const r = await upgradeStatus(path, token);
    expect(r.code).toBe(code);
    expect(r.message).toMatch(message);
  });
});
