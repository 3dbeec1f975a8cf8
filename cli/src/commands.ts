import { type Command } from '../../api/src/command';
import type * as CaCli from '../../ca/src/cli';
import type * as CniCli from '../../cni/src/cli';
import type * as CniCluster from '../../operator/src/kube/cni-cluster';
import type * as DemoCli from './demo/demo';
import type * as DashboardCli from '../../operator/src/kube/dashboard-command';
import type * as OperatorCli from '../../operator/src/cli';
import type * as KubeCli from '../../operator/src/kube/cli';
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
  const { webhookApp } = require('../../webhook/src/server') as typeof WebhookServer;
  const { defaultInjectionConfig, parseInjectionConfig } = require('../../webhook/src/core/config') as typeof WebhookConfig;
  return command((namespaces, injection) => webhookApp({ namespaces, config: parseInjectionConfig(injection, defaultInjectionConfig(version)) }));
}

export const commandModules: readonly CommandModule[] = [
  { words: ['version'], load: () => [versionCommand] },
  { words: ['ca'], load: () => (require('../../ca/src/cli') as typeof CaCli).caCommands },
  {
    words: ['controlplane', 'analyze', 'proxy-config'],
    load: () => [...(require('../../operator/src/cli') as typeof OperatorCli).operatorCommands, kubeControlPlaneCommand()],
  },
  {
    words: ['proxy'],
    load: () => [...(require('../../proxy/src/cli') as typeof ProxyCli).proxyCommands, ...(require('../../proxy/src/xds/cli') as typeof XdsCli).xdsCommands],
  },
  {
    words: ['inject', 'webhook', 'wait-ready'],
    load: () => (require('../../webhook/src/cli') as typeof WebhookCli).webhookCommands,
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

/** The commands that can answer argv: one module's when its word is used, all of them otherwise. */
export function commandsFor(argv: readonly string[], modules: readonly CommandModule[] = commandModules): Command[] {
  const selected = modules.find((m) => argv[0] !== undefined && m.words.includes(argv[0]));
  return (selected ? [selected] : modules).flatMap((m) => m.load());
}
