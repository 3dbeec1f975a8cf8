import { type Command } from '../../api/src/command';
import { versionCommand } from './version';
import { initNetworkCommand } from '../../proxy/src/init/command';

/** Every `skein` subcommand; each component contributes its own from `<component>/src/cli.ts`. */
export const commands: readonly Command[] = [
  versionCommand,
  initNetworkCommand,
];
