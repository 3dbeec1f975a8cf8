/**
 * The node's network as pods and the API server use it: Services reached by ClusterIP and by
 * cluster DNS names (with the namespace search rules), kube-proxy's DNAT done on the node so the
 * packet leaves the pod addressed to the ClusterIP, endpoints following readiness, the dialer the
 * API server reaches pods and Services with, and in-cluster clients reaching the API server with
 * the default service-account volume.
 */
import http from 'node:http';
import { tcpSegments } from '../../harness/pcap';
import { waitUntil } from '../../harness/wait';
import { describeSystem } from '../../support/system';
import { BusyboxImage, ClientImage, EchoImage, NodeImage, RepoRoot } from '../images';
import { type Container, type EndpointSlice, type Pod, type Service } from './core/types';
import { createPod, createService, isReady, useSimulatedNode, waitForPod } from './testing/fixture';

const tools = ['ip', 'iptables', 'iptables-restore', 'nsenter', 'unshare', 'setpriv', 'openssl', 'tcpdump', 'bash'];

interface ClientReport {
  requests: number;
  ok: number;
  first?: { name: string; pod: string; namespace: string; remoteAddress: string; path?: string };
  firstError?: string;
}

function echo(name: string, readinessProbe: Container['readinessProbe'] = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 }): Container {
  return {
    name: 'echo',
    image: EchoImage,
    args: ['--http', '8080', '--tcp', '7070'],
    ports: [{ name: 'http', containerPort: 8080 }, { name: 'tcp', containerPort: 7070 }],
    env: [
      { name: 'NAME', value: name },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ],
    readinessProbe,
    livenessProbe: { tcpSocket: { port: 'tcp' }, periodSeconds: 2 },
  };
}

function service(name: string, namespace = 'default'): Service {
  return { metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'tcp', port: 7070, targetPort: 7070 }] } };
}

/** A client pod (the e2e load client) that runs once; its report from the log. */
async function runClient(fixture: ReturnType<ReturnType<typeof useSimulatedNode>>, name: string, namespace: string, target: string): Promise<ClientReport> {
  const { client, node } = fixture;
  await createPod(client, { metadata: { name, namespace }, spec: { restartPolicy: 'Never', containers: [{ name: 'client', image: ClientImage, args: ['http', target, '--count', '3', '--timeout', '3s'] }] } });
  const pod = await waitForPod(client, namespace, name, 'completed', (p) => p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed');
  const log = await node.logs(namespace, name, 'client');
  expect(pod?.status?.phase).toBe('Succeeded');
  return JSON.parse(log.trim().split('\n').at(-1)!) as ClientReport;
}

describeSystem('simulated node: networking', () => {
  const cluster = useSimulatedNode();
  let web: Pod | undefined;
  let webService: Service;

  beforeAll(async () => {
    const { client } = cluster();
    webService = await createService(client, service('web'));
    await createPod(client, { metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { containers: [echo('web')] } });
    web = await waitForPod(client, 'default', 'web-1', 'is Ready', isReady);
  });

  it('a pod reaches a Service by its short name, by FQDN and by ClusterIP; the server sees the client pod\'s own address', async () => {
    const f = cluster();
    for (const [name, target] of [['by-name', 'http://web/hello'], ['by-fqdn', 'http://web.default.svc.cluster.local:80/hello'], ['by-ip', `http://${webService.spec!.clusterIP}/hello`]]) {
      const report = await runClient(f, name!, 'default', target!);
      expect(report).toMatchObject({ requests: 3, ok: 3, first: { name: 'web', pod: 'web-1', namespace: 'default', path: '/hello' } });
      const clientPod = await f.client.get<Pod>(`/api/v1/namespaces/default/pods/${name}`);
      expect(report.first?.remoteAddress).toBe(clientPod.status?.podIP);
    }
  });

  it('cluster DNS follows the namespace search rules: another namespace needs web.default', async () => {
    const f = cluster();
    expect((await runClient(f, 'from-shop', 'shop', 'http://web.default/')).ok).toBe(3);
    await createPod(f.client, { metadata: { name: 'short-name', namespace: 'shop' }, spec: { restartPolicy: 'Never', containers: [{ name: 'client', image: ClientImage, args: ['http', 'http://web/', '--timeout', '2s'] }] } });
    await waitForPod(f.client, 'shop', 'short-name', 'completed', (p) => p?.status?.phase === 'Succeeded');
    const report = JSON.parse((await f.node.logs('shop', 'short-name', 'client')).trim()) as ClientReport;
    expect(report).toMatchObject({ ok: 0 });
    expect(report.firstError).toMatch(/ENOTFOUND|EAI_AGAIN|getaddrinfo/);
  });

  it('readiness drives the endpoints: an unready pod gets no traffic (connection refused), once Ready the ClusterIP DNAT sends traffic to it; the packet leaves the client addressed to the ClusterIP', async () => {
    const { client, node } = cluster();
    const gated = await createService(client, service('gated'));
    const vip = gated.spec!.clusterIP!;
    await createPod(client, { metadata: { name: 'gated-1', labels: { app: 'gated' } }, spec: { containers: [echo('gated', { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 })] } });
    await createPod(client, { metadata: { name: 'tester' }, spec: { containers: [{ name: 'main', image: BusyboxImage, command: ['sleep', '1000'] }] } });
    const tester = await waitForPod(client, 'default', 'tester', 'is Ready', isReady);
    const gatedPod = await waitForPod(client, 'default', 'gated-1', 'runs, not ready', (p) => p?.status?.containerStatuses?.[0]?.state?.running !== undefined);
    expect(isReady(gatedPod)).toBe(false);
    const testerNs = node.podNetns('default', 'tester');
    const capture = await testerNs.capture(`tcp and host ${vip}`);
    expect(await testerNs.canConnect(vip, 80)).toBe(false);

    await node.exec('default', 'gated-1', 'echo', ['sh', '-c', ': > /tmp/ready']);
    await waitForPod(client, 'default', 'gated-1', 'is Ready', isReady);
    await waitUntil(async () => {
      const slices = await client.get<{ items: EndpointSlice[] }>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices');
      return slices.items.some((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === 'gated' && s.endpoints?.[0]?.conditions?.ready === true);
    }, { what: 'a ready endpoint for gated', timeoutMs: 10_000 });
    await waitUntil(async () => (await testerNs.httpStatus(`http://${vip}:80/`)) === 200, { what: 'the ClusterIP to answer', timeoutMs: 10_000 });
    const segments = tcpSegments(await capture.stop());
    expect(segments.some((s) => s.src === tester!.status!.podIP && s.dst === vip && s.dstPort === 80)).toBe(true);
    expect(segments.some((s) => s.src === vip && s.srcPort === 80 && s.dst === tester!.status!.podIP)).toBe(true);
  });

  it('the node\'s dialer (what the API server is given) reaches a pod IP and a ClusterIP, and reports a refused port', async () => {
    const { node } = cluster();
    const get = (host: string, port: number) => new Promise<number>((resolve, reject) => {
      const req = http.request({ host, port, path: '/via-dialer', createConnection: (_o, cb) => { node.dial(host, port).then((s) => cb(null, s), (e: Error) => cb(e, undefined as never)); return undefined; } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(await get(web!.status!.podIP!, 8080)).toBe(200);
    expect(await get(webService.spec!.clusterIP!, 80)).toBe(200);
    await expect(node.dial(web!.status!.podIP!, 9999)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('an in-cluster client (client-node loadFromCluster, as the control plane runs) reaches the API server with the default token volume', async () => {
    const { client, node } = cluster();
    const script = `(async () => {
      const k8s = await import('@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster();
      const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'default' });
      console.log('SERVER ' + kc.getCurrentCluster().server);
      console.log('PODS ' + pods.items.map((p) => p.metadata.name).sort().join(','));
    })().catch((e) => { console.error('FAILED', e); process.exit(1); });`;
    await createPod(client, { metadata: { name: 'in-cluster' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: NodeImage, workingDir: RepoRoot, securityContext: { runAsUser: 1000 }, command: ['node', '-e', script] }] } });
    const pod = await waitForPod(client, 'default', 'in-cluster', 'completed', (p) => p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed');
    const log = await node.logs('default', 'in-cluster', 'main');
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(log).toMatch(/^SERVER https:\/\/10\.96\.0\.1:443$/m);
    expect(log).toMatch(/^PODS .*\bin-cluster\b.*\bweb-1\b/m);
  });

  it('a capture on the bridge sees pod traffic both ways', async () => {
    const f = cluster();
    const capture = await f.node.captureBridge('tcp port 8080');
    expect((await runClient(f, 'captured', 'default', `http://${web!.status!.podIP}:8080/`)).ok).toBe(3);
    const segments = tcpSegments(await capture.stop());
    expect(segments.some((s) => s.dst === web!.status!.podIP && s.dstPort === 8080 && s.payload.toString().startsWith('GET /'))).toBe(true);
  });
}, tools);
