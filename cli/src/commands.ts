import { type Command } from '../../api/src/command';
import { SystemNamespace } from '../../api/src/names';
import type * as CaCli from '../../ca/src/cli';
import type * as CniCli from '../../cni/src/cli';
import type * as CniCluster from '../../operator/src/kube/cni-cluster';
import type * as DemoCli from './demo/demo';
import type * as ManifestsInstall from '../../manifests/src/install';
import type * as ManifestsValues from '../../manifests/src/values';
import type * as DashboardCli from '../../operator/src/kube/dashboard-command';
import type * as OperatorCli from '../../operator/src/cli';
import type * as OfflineConfig from '../../operator/src/commands/offline-config';
import type * as KubeCli from '../../operator/src/kube/cli';
import type * as KubeCluster from '../../operator/src/kube/cluster';
import type * as PodAdmin from '../../operator/src/kube/pod-admin';
import type * as ProxyAdminCli from '../../proxy/src/admin/cli';
import type * as ProxyCli from '../../proxy/src/cli';
import type * as InitNetworkCli from '../../capture/src/init-network';
import type * as XdsCli from '../../proxy/src/xds/cli';
import type * as WebhookCli from '../../webhook/src/cli';
import type * as WebhookConfig from '../../webhook/src/core/config';
import type * as WebhookServer from '../../webhook/src/server';
import { version, versionCommand } from './version';

/**
 * The `skein` subcommands, by the first word that selects them. Each component contributes its own
 * from `<component>/src/cli.ts`; modules load only when one of their words is used, so that a
 * short-lived command (`wait-ready`, `init-network`) does not pay for loading the control plane.
 * `skein help` loads every module's command table, which is cheap: each command loads what it runs
 * (the control plane, the Kubernetes client, the manifests) only when it runs.
 */
export interface CommandModule {
  /** First words of the commands this module serves. */
  words: readonly string[];
  load(): readonly Command[];
}

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point of this table */

/** On Kubernetes the control plane serves the webhook too; cli/ is where the two components meet. */
function kubeControlPlaneCommand(): Command {
  const { kubeControlPlaneCommand: command } = require('../../operator/src/kube/cli') as typeof KubeCli;
  return command((namespaces, injection) => {
    const { webhookApp } = require('../../webhook/src/server') as typeof WebhookServer;
    const { defaultInjectionConfig, parseInjectionConfig } = require('../../webhook/src/core/config') as typeof WebhookConfig;
    return webhookApp({ namespaces, config: parseInjectionConfig(injection, defaultInjectionConfig(version)) });
  });
}

/** `skein install | uninstall | check`: the operator applies what manifests/ renders from the values. */
const installManifests: OperatorCli.InstallManifests = {
  valuesHelp: () => (require('../../manifests/src/values') as typeof ManifestsValues).valuesHelp(),
  render(files, sets) {
    const values = require('../../manifests/src/values') as typeof ManifestsValues;
    const { installObjects } = require('../../manifests/src/install') as typeof ManifestsInstall;
    return installObjects(values.resolveValues([...files.map((f) => values.fileLayer(f.name, f.text)), ...sets.map(values.setLayer)]));
  },
};

/** `skein proxy-config`: the proxy's tables over the operator's pod transport and offline translation. */
const proxyConfigSources = (): ProxyAdminCli.ProxyConfigSources => ({
  podAdmin: (target) => (require('../../operator/src/kube/pod-admin') as typeof PodAdmin).openPodAdmin(target),
  offline: (o) => (require('../../operator/src/commands/offline-config') as typeof OfflineConfig).offlineConfigDump({
    configDir: o.configDir, nodeId: o.nodeId, metadata: o.metadata,
    settings: { trustDomain: o.trustDomain ?? 'cluster.local', clusterDomain: o.clusterDomain ?? 'cluster.local', rootNamespace: SystemNamespace },
  }),
});

/** `skein inject`: the cluster's version, through the operator's client, when a kubeconfig is there. */
const clusterVersion: WebhookCli.ClusterVersionLookup = (o) => (require('../../operator/src/kube/cluster') as typeof KubeCluster).lookupClusterVersion(o);

export const commandModules: readonly CommandModule[] = [
  { words: ['version'], load: () => [versionCommand] },
  { words: ['ca'], load: () => (require('../../ca/src/cli') as typeof CaCli).caCommands },
  {
    words: ['controlplane', 'analyze', 'proxy-status'],
    load: () => [...(require('../../operator/src/cli') as typeof OperatorCli).operatorCommands, kubeControlPlaneCommand()],
  },
  { words: ['install', 'uninstall', 'check'], load: () => (require('../../operator/src/cli') as typeof OperatorCli).installCommands(installManifests) },
  { words: ['proxy-config'], load: () => [(require('../../proxy/src/admin/cli') as typeof ProxyAdminCli).proxyConfigCommand(proxyConfigSources)] },
  {
    words: ['proxy'],
    load: () => [...(require('../../proxy/src/cli') as typeof ProxyCli).proxyCommands, ...(require('../../proxy/src/xds/cli') as typeof XdsCli).xdsCommands],
  },
  {
    words: ['inject', 'webhook', 'wait-ready'],
    load: () => (require('../../webhook/src/cli') as typeof WebhookCli).webhookCommands(clusterVersion),
  },
  {
    // The agent's pod lookup is the operator's Kubernetes adapter, loaded only when the agent starts.
    words: ['cni'],
    load: () => (require('../../cni/src/cli') as typeof CniCli).cniCommands((kubeconfig) => (require('../../operator/src/kube/cni-cluster') as typeof CniCluster).kubeNodeCluster(kubeconfig)),
  },
  { words: ['demo'], load: () => (require('./demo/demo') as typeof DemoCli).demoCommands },
  { words: ['dashboard'], load: () => (require('../../operator/src/kube/dashboard-command') as typeof DashboardCli).dashboardCommands },
  {
    words: ['init-network'],
    load: () => [(require('../../capture/src/init-network') as typeof InitNetworkCli).initNetworkCommand],
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** The commands that can answer argv: one module's when its word is used (`help WORD` too), all of them otherwise. */
export function commandsFor(argv: readonly string[], modules: readonly CommandModule[] = commandModules): Command[] {
  const word = argv[0] === 'help' ? argv[1] : argv[0];
  const selected = modules.find((m) => word !== undefined && m.words.includes(word));
  return (selected ? [selected] : modules).flatMap((m) => m.load());
}
