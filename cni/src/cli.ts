/**
 * `skein cni …`: the node agent of CNI mode (a DaemonSet), its uninstall, and the validation that
 * CNI-mode pods run as their `skein-validation` init container. The Kubernetes side of the agent
 * (pod lookup, its own DaemonSet) is passed in by cli/ (operator/src/kube implements it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, UsageError, usageErrors } from '../../api/src/command';
import { SystemNamespace } from '../../api/src/names';
import { parseInitNetworkArgs } from '../../capture/src/flags';
import { startAgent, uninstallFromNode } from './agent/agent';
import { handleInvocation } from './agent/handler';
import { nsenterCapture } from './agent/netns';
import { type NodeCluster } from './cluster';
import { AgentName, DefaultAgentSocket, DefaultBinDir, DefaultConfDir, PluginType } from './names';
import { validateCapture } from './validate';

/** Builds the agent's view of the cluster from `--kubeconfig` (undefined: in-cluster, then the default rules). */
export type NodeClusterFactory = (kubeconfig: string | undefined) => NodeCluster;

/** The shim built by scripts/build-cni.js, found from here in the sources and in dist/. */
export function defaultPluginBinary(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'cni', 'native', 'build', PluginType);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const agentUsage = `Usage: skein cni agent [options]

The Skein CNI node agent (DaemonSet, root, host network). Installs the skein-cni plugin into the
node's CNI bin dir, appends it to the active CNI configuration (the first *.conf/*.conflist/*.json
of the conf dir; a .conf becomes a .conflist) and keeps it there when another component rewrites
the file. For every pod the runtime starts, the plugin asks this agent over --socket; pods carrying
the webhook's cni.skein.dev/capture annotation get their capture rules (the same as skein
init-network) in their network namespace. On SIGTERM it removes itself from the node when its
DaemonSet is gone or being deleted (an uninstall), and stays chained on a restart or an upgrade.

  --conf-dir DIR       CNI configuration dir (default ${DefaultConfDir})
  --bin-dir DIR        CNI plugin dir (default ${DefaultBinDir})
  --socket PATH        unix socket the plugin connects to (default ${DefaultAgentSocket})
  --plugin-binary FILE the plugin to install (default: cni/native/build/${PluginType} of this install)
  --kubeconfig FILE    default: in-cluster config, else $KUBECONFIG/~/.kube/config
  --daemonset NAME     the agent's DaemonSet, checked on SIGTERM (default ${AgentName})
  --namespace NS       its namespace (default $POD_NAMESPACE, else ${SystemNamespace})
  --resync-seconds N   re-check the chain and the binary this often (default 10)`;

const uninstallUsage = `Usage: skein cni uninstall [--conf-dir DIR] [--bin-dir DIR]

Removes Skein's entry from every conflist of the conf dir and the plugin from the bin dir (what the
agent does when its DaemonSet is deleted). Pods already running keep their rules.`;

const validateUsage = `Usage: skein cni validate [init-network flags]

The skein-validation init container of CNI mode (no capability, the proxy's UID). With the pod's
capture flags (the same as its cni.skein.dev/capture annotation), connects to the pod's own address
on a port that only the capture redirects, and fails with a message when the connection is not
redirected to the inbound capture port: the pod was started without the Skein CNI agent's rules.
The flags are those of skein init-network (skein init-network --help); exit 0 when the capture is
in place, 1 otherwise.`;

/** The flags of `skein cni agent` (the install's DaemonSet renders them; its test parses them here). */
export function parseAgentArgs(args: readonly string[]) {
  const string = { type: 'string' } as const;
  return usageErrors(() => parseArgs({
    args: [...args], strict: true, allowPositionals: false,
    options: {
      'conf-dir': string, 'bin-dir': string, socket: string, 'plugin-binary': string,
      kubeconfig: string, daemonset: string, namespace: string, 'resync-seconds': string,
    },
  }));
}

function positiveSeconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds, got "${value}"`);
  return n;
}

export function cniCommands(clusterFor: NodeClusterFactory): Command[] {
  const agent: Command = {
    path: ['cni', 'agent'],
    summary: 'run the CNI node agent (installs and chains the skein-cni plugin, applies pods\' capture rules)',
    usage: agentUsage,
    async run(args, io) {
      const { values } = parseAgentArgs(args);
      const pluginSource = values['plugin-binary'] ?? defaultPluginBinary();
      if (!pluginSource || !existsSync(pluginSource)) throw new UsageError(`the ${PluginType} plugin binary ${pluginSource ?? `(cni/native/build/${PluginType})`} was not found: run node scripts/build-cni.js or pass --plugin-binary`);
      const resyncMs = positiveSeconds(values['resync-seconds'], '--resync-seconds', 10) * 1000;
      const daemonSet = { namespace: values.namespace ?? process.env.POD_NAMESPACE ?? SystemNamespace, name: values.daemonset ?? AgentName };
      const cluster = clusterFor(values.kubeconfig);
      const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const options = {
        confDir: values['conf-dir'] ?? DefaultConfDir, binDir: values['bin-dir'] ?? DefaultBinDir,
        socket: values.socket ?? DefaultAgentSocket, pluginSource, resyncMs,
      };
      const running = await startAgent(options, { handle: (request) => handleInvocation(request, { cluster, netns: nsenterCapture, log }), log });
      log(`cni agent: serving ${options.socket}; plugin ${options.binDir}/${PluginType}; watching ${options.confDir}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      let uninstall = false;
      try {
        uninstall = await cluster.daemonSetRemoved(daemonSet.namespace, daemonSet.name);
      } catch (err) {
        log(`cni agent: cannot tell whether DaemonSet ${daemonSet.namespace}/${daemonSet.name} is being removed (${(err as Error).message}); staying chained`);
      }
      log(uninstall ? `cni agent: DaemonSet ${daemonSet.namespace}/${daemonSet.name} is gone: removing skein-cni from this node` : 'cni agent: stopping; skein-cni stays chained (restart or upgrade)');
      await running.stop({ uninstall });
      return 0;
    },
  };

  const uninstall: Command = {
    path: ['cni', 'uninstall'],
    summary: 'remove the skein-cni plugin and its conflist entry from this node',
    usage: uninstallUsage,
    async run(args, io) {
      const { values } = usageErrors(() => parseArgs({ args, strict: true, allowPositionals: false, options: { 'conf-dir': { type: 'string' }, 'bin-dir': { type: 'string' } } }));
      await uninstallFromNode(values['conf-dir'] ?? DefaultConfDir, values['bin-dir'] ?? DefaultBinDir, (line) => io.stdout.write(`${line}\n`));
      return 0;
    },
  };

  const validate: Command = {
    path: ['cni', 'validate'],
    summary: 'check that this pod\'s traffic is captured (the skein-validation init container)',
    usage: validateUsage,
    async run(args, io) {
      const options = parseInitNetworkArgs(args);
      const result = await validateCapture(options.config, { timeoutMs: 5_000 });
      (result.ok ? io.stdout : io.stderr).write(`${result.message}\n`);
      return result.ok ? 0 : 1;
    },
  };

  return [agent, uninstall, validate];
}
