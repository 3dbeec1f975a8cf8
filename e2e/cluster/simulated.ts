/**
 * The simulated cluster as a journey backend: the simulated API server (apiserver/) and one
 * simulated node (node/), wired as a cluster is — the node registers with its own credentials
 * (system:node), the API server reaches webhooks and pods through the node's network
 * (`node.dial`), and pods reach the API server at the `kubernetes` Service, whose endpoint is the
 * node's relay (the API server's advertise address, as its endpoint reconciler publishes it).
 * See docs/kubernetes.md ("The journeys").
 */
import { startSimulatedApiServer, type SimulatedApiServer } from './apiserver';
import { type ClusterBackend, type ExecResult, type JourneyImages, type TrafficCapture } from './backend';
import { ClientImage, EchoImage, SkeinImage } from './images';
import { startSimulatedNode, type SimulatedNode } from './node';

export interface SimulatedClusterOptions {
  /** Node name (default `skein-node-1`). */
  nodeName?: string;
  /** /version of the API server (default the simulated server's, v1.33: native sidecars). */
  version?: string;
  /** Lines of the node's log and the API server's log (webhook failures, controller retries). */
  log?: (line: string) => void;
}

export interface SimulatedCluster extends ClusterBackend {
  readonly api: SimulatedApiServer;
  readonly node: SimulatedNode;
}

const minorOf = (version: string) => Number(/^v?\d+\.(\d+)/.exec(version)?.[1] ?? 0);

export async function startSimulatedCluster(options: SimulatedClusterOptions = {}): Promise<SimulatedCluster> {
  const nodeName = options.nodeName ?? 'skein-node-1';
  const api = await startSimulatedApiServer({
    ...(options.version ? { version: options.version } : {}),
    ...(options.log ? { log: (line) => options.log!(`apiserver ${JSON.stringify(line)}`) } : {}),
  });
  let node: SimulatedNode;
  try {
    node = await startSimulatedNode({ api: { url: api.url, caPem: api.caPem, token: api.nodeToken(nodeName) }, name: nodeName, ...(options.log ? { log: options.log } : {}) });
  } catch (e) {
    await api.stop();
    throw e;
  }
  try {
    api.hooks.dialer = ({ host, port }) => node.dial(host, port);
    await api.setApiServerEndpoint(node.apiServerEndpoint);
  } catch (e) {
    await node.stop();
    await api.stop();
    throw e;
  }
  const images: JourneyImages = { skein: SkeinImage, echo: EchoImage, client: ClientImage };
  return {
    name: 'simulated',
    api,
    node,
    kubeconfigPath: api.kubeconfigPath,
    images,
    imagePullPolicy: 'IfNotPresent',
    nativeSidecars: minorOf(api.hooks.version) >= 29,
    async exec(namespace, pod, container, argv, o = {}): Promise<ExecResult> {
      const r = await node.exec(namespace, pod, container, argv, { timeoutMs: o.timeoutMs ?? 60_000 });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    logs: (namespace, pod, container, o) => node.logs(namespace, pod, container, o),
    async captureTraffic(): Promise<TrafficCapture> {
      return node.captureBridge('tcp');
    },
    diagnostics: async () => `node files in ${node.dir}\n${await node.logTails(40)}`,
    async stop(o = {}) {
      const errors: string[] = [];
      await node.stop({ keepFiles: o.keep }).catch((e: Error) => errors.push(e.message));
      await api.stop().catch((e: Error) => errors.push(e.message));
      if (errors.length > 0) throw new Error(`stopping the simulated cluster: ${errors.join('; ')}`);
    },
  };
}
