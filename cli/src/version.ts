import { type Command } from '../../api/src/command';
import pkg from '../../package.json';

export const version: string = pkg.version;

export const versionCommand: Command = {
  path: ['version'],
  summary: 'print the Skein version',
  usage: 'Usage: skein version',
  run(_args, io) {
    io.stdout.write(`skein ${version}\n`);
    return Promise.resolve(0);
  },
};
