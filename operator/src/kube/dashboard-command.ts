/**
 * `skein dashboard`: the control plane's web dashboard (dashboard/, served at `/` of its monitoring
 * port). On a cluster it is reached the way Istio's and Linkerd's are: a port-forward from this
 * machine's loopback to a control plane pod (the dashboard answers only the pod's own loopback there),
 * through the transport every verb uses (./transport.ts), with the kubeconfig found as every verb
 * finds it (./cluster.ts). In local mode (`skein controlplane`, `skein demo`) it is already on this machine: the URL is
 * checked and printed.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { type Command, type CommandIo, UsageError, usageErrors } from '../../../api/src/command';
import { ControlPlanePorts, SystemNamespace } from '../../../api/src/names';
import type * as ClusterModule from './cluster';
import type * as ControlPlaneModule from './control-plane';
import type * as TransportModule from './transport';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: listing the commands (`skein help`) must not load client-node */
const kube = () => ({
  ...(require('./cluster') as typeof ClusterModule),
  ...(require('./control-plane') as typeof ControlPlaneModule),
  ...(require('./transport') as typeof TransportModule),
});
/* eslint-enable @typescript-eslint/no-require-imports */

const usage = `Usage: skein dashboard [--port N] [--open] [--kubeconfig FILE] [--context NAME]
       skein dashboard --local [--monitor-host HOST] [--monitor-port N] [--open]

Opens the mesh dashboard: topology with rates, success and latency per call, identities, xDS sync
state of every proxy and the traffic policy in force.

On a cluster (default): forwards 127.0.0.1:PORT to a ready control plane pod's monitoring port
(${ControlPlanePorts.monitoring}) through the API server, prints the URL and keeps forwarding until Ctrl-C.
  --port N          local port (default: any free port)
  --kubeconfig FILE (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --context NAME    kubeconfig context (default: the current one)

Local mode (skein controlplane, skein demo): checks the control plane answers and prints the URL.
  --local
  --monitor-host HOST   where its monitoring server listens (default 127.0.0.1)
  --monitor-port N      (default ${ControlPlanePorts.monitoring}; skein demo prints its own)

  --open            also open the URL in a browser (xdg-open / open)`;

function portFlag(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > 65535) throw new UsageError(`${flag}: expected a port number (${min}-65535), got "${value}"`);
  return n;
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}healthz`, { timeout: 3000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function openBrowser(url: string, io: CommandIo): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', (err) => io.stderr.write(`skein dashboard: could not open a browser (${err.message}); open the URL yourself\n`));
  child.unref();
}

/** Resolves on Ctrl-C / SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export const dashboardCommand: Command = {
  path: ['dashboard'],
  summary: 'open the mesh dashboard (cluster: port-forward to the control plane; --local: print its URL)',
  usage,
  async run(args, io) {
    const { values } = usageErrors(() => parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        local: { type: 'boolean' }, 'monitor-host': { type: 'string' }, 'monitor-port': { type: 'string' }, port: { type: 'string' },
        kubeconfig: { type: 'string' }, context: { type: 'string' }, open: { type: 'boolean' },
      },
    }));
    if (!values.local && (values['monitor-host'] !== undefined || values['monitor-port'] !== undefined)) throw new UsageError('--monitor-host and --monitor-port go with --local');
    if (values.local && (values.port !== undefined || values.kubeconfig !== undefined || values.context !== undefined)) throw new UsageError('--port, --kubeconfig and --context are for a cluster; with --local use --monitor-host and --monitor-port');
    if (values.local) {
      const host = values['monitor-host'] ?? '127.0.0.1';
      const port = portFlag(values['monitor-port'], '--monitor-port', ControlPlanePorts.monitoring, 1);
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      const url = `http://${shown}:${port}/`;
      if (!(await healthy(url))) {
        io.stderr.write(`skein dashboard: no control plane answers at ${url} (start one with skein demo or skein controlplane, or give --monitor-port)\n`);
        return 1;
      }
      io.stdout.write(`dashboard: ${url}\n`);
      if (values.open) openBrowser(url, io);
      return 0;
    }
    const localPort = portFlag(values.port, '--port', 0);
    const { ClusterConfigError, forwardPodPort, readyControlPlanePods, withCluster } = kube();
    const options = { ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) };
    const { pod, forward } = await withCluster(options, async (cluster) => {
      const name = (await readyControlPlanePods(cluster))[0]!.name;
      return { pod: name, forward: await forwardPodPort(cluster, { namespace: SystemNamespace, pod: name, port: ControlPlanePorts.monitoring }, localPort) };
    }).catch((err: unknown) => {
      // No kubeconfig here may mean a local control plane: say how to reach that one.
      if (err instanceof ClusterConfigError && !values.kubeconfig) throw new Error(`${err.message} (for a local control plane use --local)`);
      throw err;
    });
    const url = `${forward.url}/`;
    io.stdout.write(`forwarding 127.0.0.1:${forward.port} -> ${SystemNamespace}/${pod}:${ControlPlanePorts.monitoring}\ndashboard: ${url}\nCtrl-C to stop\n`);
    if (values.open) openBrowser(url, io);
    await interrupted();
    await forward.close();
    return 0;
  },
};

export const dashboardCommands: Command[] = [dashboardCommand];
