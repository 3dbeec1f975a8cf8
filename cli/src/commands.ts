import { type Command } from '../../api/src/command';
import { caCommands } from '../../ca/src/cli';
import { initNetworkCommand } from '../../proxy/src/init/command';
import { webhookCommands } from '../../webhook/src/cli';
import { versionCommand } from './version';
import { operatorCommands } from '../../operator/src/cli';

/** Every `skein` subcommand; each component contributes its own from `<component>/src/cli.ts`. */
export const commands: readonly Command[] = [
  versionCommand,
  ...caCommands,
  ...webhookCommands,
  initNetworkCommand,
  ...operatorCommands,
];
