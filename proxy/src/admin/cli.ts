/**
 * `skein proxy-config cluster|listener|route|endpoint|secret POD[.NAMESPACE]`: a running sidecar's
 * configuration, live from its admin `/config_dump` (loopback :15000 in the pod, reached through a
 * port-forward; `--admin-url` for a local proxy), as a short table (`-o json|yaml` for all of it).
 * `--config-dir DIR --node ID` is the offline mode: what the control plane would send that node,
 * translated from files (without TYPE: the Envoy resources as JSON, as before).
 *
 * proxy/ may not import the operator: cli/ passes in the pod transport and the offline translation.
 * This module is what `skein help` loads; the rest loads when the command runs.
 */
import { parseArgs } from 'node:util';
import { type Command, UsageError, usageErrors } from '../../../api/src/command';
import { ProxyPorts } from '../../../api/src/names';
import { ConfigTypes, parseConfigType } from './core/config-tables';
import type * as Run from './proxy-config';

export interface AdminConnection {
  /** For messages: `pod reviews-v1.shop` or the admin URL. */
  name: string;
  get(path: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** What cli/ provides: the operator's pod transport and offline translation. */
export interface ProxyConfigSources {
  /** Port-forward to the pod's admin port; rejects with a clear message when the pod does not exist or has no sidecar. */
  podAdmin(target: { pod: string; namespace?: string; kubeconfig?: string; context?: string }): Promise<AdminConnection>;
  /** The Envoy resources the control plane would send the node (`{ node, configs }`), and the warnings of the way there. */
  offline(o: { configDir: string; nodeId: string; metadata: Record<string, unknown>; trustDomain?: string; clusterDomain?: string }): { dump: { node: string; configs: { type_url: string; resources: unknown[] }[] }; warnings: string[] };
}

const usage = `Usage: skein proxy-config TYPE POD[.NAMESPACE] [-n NAMESPACE] [-o table|json|yaml] [--kubeconfig FILE] [--context NAME]
       skein proxy-config TYPE --admin-url URL [-o table|json|yaml]
       skein proxy-config [TYPE] --config-dir DIR --node NODE_ID [--metadata JSON] [-o table|json|yaml]

TYPE: ${ConfigTypes.join(' | ')} (plurals work too).

Live: the sidecar's own configuration, from its admin API (/config_dump on ${ProxyPorts.admin}, loopback in the
pod: reached through a port-forward by the API server). A short table by default, as istioctl
prints it; -o json|yaml prints that part of the config dump. \`secret\` shows the certificate chain
and the trust bundle (serial, validity); private keys are never in the dump.

  POD[.NAMESPACE]            the pod (namespace: -n, else after the last dot, else the context's)
  -n, --namespace NS         the pod's namespace (then POD is taken whole)
  --admin-url URL            local mode: a proxy's admin address, e.g. http://127.0.0.1:${ProxyPorts.admin}
  -o, --output FORMAT        table (default), json or yaml
  --kubeconfig FILE          kubeconfig (default: $KUBECONFIG, ~/.kube/config, else in-cluster)
  --context NAME             kubeconfig context

Offline (no cluster, no proxy): what the control plane would send a node, translated from files.
Without TYPE it prints the Envoy resources (config_dump-style JSON, what \`skein proxy xds-check\`
reads); with TYPE, the same tables as live (the resources as the proxy would take them).

  --config-dir DIR           Kubernetes-shaped YAML, as skein controlplane --config-dir reads it
  --node NODE_ID             sidecar~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local
  --metadata JSON            node metadata, e.g. '{"SKEIN_OUTBOUND_PORTS":"15101=echo:8080"}'
  --type TYPE                without TYPE: clusters | endpoints | listeners | routes (default: all)
  --trust-domain TD, --cluster-domain DOMAIN`;

export function proxyConfigCommand(sources: () => ProxyConfigSources): Command {
  return {
    path: ['proxy-config'],
    summary: "a sidecar's live configuration by pod (clusters, listeners, routes, endpoints, secrets), or offline from files",
    usage,
    run(args, io) {
      const { values, positionals } = usageErrors(() => parseArgs({
        args, strict: true, allowPositionals: true,
        options: {
          namespace: { type: 'string', short: 'n' }, output: { type: 'string', short: 'o' }, 'admin-url': { type: 'string' },
          kubeconfig: { type: 'string' }, context: { type: 'string' },
          'config-dir': { type: 'string' }, node: { type: 'string' }, metadata: { type: 'string' }, type: { type: 'string' },
          'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' },
        },
      }));
      const output = values.output ?? 'table';
      if (!['table', 'json', 'yaml'].includes(output)) throw new UsageError(`-o must be table, json or yaml, got "${output}"`);
      const [typeWord, target, ...extra] = positionals;
      if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
      const type = typeWord === undefined ? undefined : parseConfigType(typeWord);
      if (typeWord !== undefined && !type) throw new UsageError(`unknown TYPE "${typeWord}": one of ${ConfigTypes.join(', ')}`);
      /* eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, after the usage checks */
      const run = () => require('./proxy-config') as typeof Run;
      if (values['config-dir'] !== undefined) {
        if (target !== undefined || values['admin-url'] || values.kubeconfig || values.context || values.namespace) throw new UsageError('--config-dir (offline) takes no POD, --admin-url, --kubeconfig, --context or --namespace');
        if (!values.node) throw new UsageError('--node is required with --config-dir');
        return run().offline({ type, output: output as Run.Output, sources: sources(), configDir: values['config-dir'], node: values.node, metadata: values.metadata, legacyType: values.type, trustDomain: values['trust-domain'], clusterDomain: values['cluster-domain'] }, io);
      }
      if (values.node || values.metadata || values.type) throw new UsageError('--node, --metadata and --type belong to the offline mode (--config-dir)');
      if (!type) throw new UsageError(`TYPE is required: one of ${ConfigTypes.join(', ')}`);
      if (values['admin-url']) {
        if (target !== undefined) throw new UsageError('--admin-url (local mode) takes no POD');
        if (!/^https?:\/\//.test(values['admin-url'])) throw new UsageError(`--admin-url must be an http:// URL, got "${values['admin-url']}"`);
        return run().live({ type, output: output as Run.Output, admin: () => Promise.resolve(run().urlAdmin(values['admin-url']!)) }, io);
      }
      if (target === undefined) throw new UsageError('POD is required (or --admin-url URL for a local proxy)');
      const { pod, namespace } = splitTarget(target, values.namespace);
      return run().live({
        type, output: output as Run.Output,
        admin: () => sources().podAdmin({ pod, ...(namespace ? { namespace } : {}), ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) }),
      }, io);
    },
  };
}

/** `reviews-v1-abc.shop` → pod and namespace (the last dot separates them); with -n, the whole word is the pod. */
export function splitTarget(target: string, namespace: string | undefined): { pod: string; namespace?: string } {
  if (namespace !== undefined) return { pod: target, namespace };
  const dot = target.lastIndexOf('.');
  if (dot <= 0 || dot === target.length - 1) return { pod: target };
  return { pod: target.slice(0, dot), namespace: target.slice(dot + 1) };
}
