import { type Command } from '../../api/src/command';
import { caCommands } from '../../ca/src/cli';
import { versionCommand } from './version';
import { webhookCommands } from '../../webhook/src/cli';
import { operatorCommands } from '../../operator/src/cli';
import { proxyCommands } from '../../proxy/src/cli';
import { xdsCommands } from '../../proxy/src/xds/cli';

/** Every `skein` subcommand; each component contributes its own from `<component>/src/cli.ts`. */
export const commands: readonly Command[] = [
  versionCommand,
  ...caCommands,
  ...webhookCommands,
  ...operatorCommands,
  ...proxyCommands,
  ...xdsCommands,
];
