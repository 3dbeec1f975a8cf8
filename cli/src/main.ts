#!/usr/bin/env node
import { dispatch } from '../../api/src/dispatch';
import { commandsFor } from './commands';
import { exitQuietlyOnClosedPipe } from './pipe';
import { version } from './version';

const argv = process.argv.slice(2);
exitQuietlyOnClosedPipe(process);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`skein ${version}\n`);
} else {
  dispatch(commandsFor(argv), argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
