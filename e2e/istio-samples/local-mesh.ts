/**
 * A small bookinfo-shaped mesh on loopback for Istio's traffic-management samples: real apps
 * behind real server sidecars (mTLS, one identity per service account), and a `productpage`
 * client sidecar whose whole config comes from the control plane's translation of the mesh
 * (Kubernetes-shaped objects + the sample policies) through the proxy's xDS translation — the
 * same resources `skein proxy-config` prints and `skein proxy xds-check` accepts.
 */
import http from 'node:http';
import type net from 'node:net';
import { validateObject } from '../../operator/src/core/validation';
import { type KubeObject } from '../../operator/src/core/kube';
import { parseNodeId } from '../../operator/src/core/node-id';
import { indexOf, pod, slice, svc } from '../../operator/src/core/test-fixtures';
import { Translator } from '../../operator/src/core/translate/translate';
import type { ProxyConfig } from '../../proxy/src/config/model';
import type { AccessLogEntry } from '../../proxy/src/http/forward';
import { Proxy } from '../../proxy/src/proxy';
import type { TestCa } from '../../proxy/src/testing/certs';
import { TestIdentity } from '../../proxy/src/testing/identity';
import { inboundConfig, testProxyOptions } from '../../proxy/src/testing/mesh';
import { checkResources, parseResources } from '../../proxy/src/xds/check';
import { parseOutboundPorts } from '../../proxy/src/xds/core/node';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

export interface Workload {
  service: string;
  version: string;
  /** Answers requests; default: 200 with `{ service, version }`. */
  handler?: Handler;
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export interface LocalMesh {
  /** Calls `service` through the productpage sidecar. */
  call(service: string, opts?: { headers?: Record<string, string>; method?: string }): Promise<Reply>;
  /** Requests each workload has seen, by `service-version`. */
  seen: Map<string, http.IncomingHttpHeaders[]>;
  log: AccessLogEntry[];
  close(): Promise<void>;
}

export const defaultHandler = (service: string, version: string): Handler => (_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ service, version }));
};

const servicePorts: Record<string, number> = { reviews: 9080, ratings: 9080, httpbin: 8000 };
const outboundPort: Record<string, number> = { reviews: 15101, ratings: 15102, httpbin: 15103 };
const vips: Record<string, string> = { reviews: '10.96.0.10', ratings: '10.96.0.11', httpbin: '10.96.0.12' };

/** Starts the workloads, translates the mesh plus `policies` for productpage, and starts its sidecar. */
export async function startLocalMesh(ca: TestCa, workloads: Workload[], policies: KubeObject[]): Promise<LocalMesh> {
  const closers: (() => Promise<void>)[] = [];
  const seen = new Map<string, http.IncomingHttpHeaders[]>();
  const log: AccessLogEntry[] = [];
  try {
    const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'skein.dev/inject': 'enabled' } } }];
    objects.push(pod('productpage-1', 'default', '127.0.0.1', { app: 'productpage', version: 'v1' }, 'productpage'));
    for (const service of [...new Set(workloads.map((w) => w.service))]) {
      objects.push(svc(service, 'default', vips[service]!, [{ name: 'http', port: servicePorts[service]! }]));
    }
    for (const w of workloads) {
      const key = `${w.service}-${w.version}`;
      seen.set(key, []);
      let n = 0;
      const handler = w.handler ?? defaultHandler(w.service, w.version);
      const app = http.createServer((req, res) => {
        seen.get(key)!.push(req.headers);
        req.resume();
        req.on('end', () => handler(req, res, n++));
      });
      const sockets = new Set<net.Socket>();
      app.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      closers.push(() => new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        app.close(() => r());
      }));
      const appPort = (app.address() as net.AddressInfo).port;
      const sidecar = new Proxy(inboundConfig({ appPort, workload: key }), new TestIdentity(ca.issue(`spiffe://cluster.local/ns/default/sa/${w.service}`)), testProxyOptions);
      await sidecar.start();
      closers.push(() => sidecar.close());
      const port = sidecar.listenerPort('virtualInbound');
      objects.push(pod(key, 'default', '127.0.0.1', { app: w.service, version: w.version }, w.service));
      objects.push(slice(key, 'default', w.service, [{ name: 'http', port }], [{ ip: '127.0.0.1', pod: key }]));
    }
    for (const p of policies) {
      const errors = validateObject(p);
      if (errors.length) throw new Error(`sample rejected: ${JSON.stringify(errors)}`);
      objects.push(p);
    }
    const spec = [...new Set(workloads.map((w) => w.service))].map((s) => `${outboundPort[s]}=${s}:${servicePorts[s]}`).join(',');
    const translation = new Translator(indexOf(objects).model()).translate({
      node: parseNodeId('sidecar~127.0.0.1~productpage-1.default~default.svc.cluster.local'),
      metadata: { SKEIN_OUTBOUND_PORTS: spec },
    });
    const resources = Object.values(translation.resources).flat();
    const checked = checkResources(parseResources(JSON.parse(JSON.stringify(resources))), { podName: 'productpage-1', namespace: 'default', podIp: '127.0.0.1', outboundPorts: parseOutboundPorts(spec) });
    if (checked.nacks || !checked.config) throw new Error(`the proxy refused the translation:\n${checked.lines.join('\n')}`);
    // Only the explicit (local mode) listeners, on free ports: no iptables here.
    const config: ProxyConfig = { ...checked.config, listeners: checked.config.listeners.filter((l) => l.kind === 'outbound-explicit').map((l) => ({ ...l, port: 0 })) };
    const client = new Proxy(config, new TestIdentity(ca.issue('spiffe://cluster.local/ns/default/sa/productpage')), { ...testProxyOptions, accessLog: (e) => log.push(e) });
    await client.start();
    closers.push(() => client.close());
    const call = (service: string, opts: { headers?: Record<string, string>; method?: string } = {}): Promise<Reply> => new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: client.listenerPort(`outbound_127.0.0.1_${outboundPort[service]}`), method: opts.method ?? 'GET', path: '/', headers: { host: `${service}:${servicePorts[service]}`, ...opts.headers }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('call timed out')));
      req.end();
    });
    return { call, seen, log, close: async () => { for (const c of closers.reverse()) await c(); } };
  } catch (err) {
    for (const c of closers.reverse()) await c();
    throw err;
  }
}
