#!/usr/bin/env node
import { commandsFor } from './commands';
import { dispatch } from '../../api/src/dispatch';

const argv = process.argv.slice(2);
dispatch(commandsFor(argv), argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
