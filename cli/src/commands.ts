import { type Command } from '../../api/src/command';
import { caCommands } from '../../ca/src/cli';
import { initNetworkCommand } from '../../proxy/src/init/command';
import { webhookCommands } from '../../webhook/src/cli';
import { versionCommand } from './version';
import { operatorCommands } from '../../operator/src/cli';
import { kubeControlPlaneCommand } from '../../operator/src/kube/cli';
import { defaultInjectionConfig, parseInjectionConfig } from '../../webhook/src/core/config';
import { webhookApp } from '../../webhook/src/server';
import { version } from './version';

/** Every `skein` subcommand; each component contributes its own from `<component>/src/cli.ts`. */
export const commands: readonly Command[] = [
  versionCommand,
  ...caCommands,
  ...webhookCommands,
  initNetworkCommand,
  ...operatorCommands,
  // On Kubernetes the control plane serves the webhook too; cli/ joins the two components.
  kubeControlPlaneCommand((namespaces, injection) => webhookApp({ namespaces, config: parseInjectionConfig(injection, defaultInjectionConfig(version)) })),
];
