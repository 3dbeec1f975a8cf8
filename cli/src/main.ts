#!/usr/bin/env node
import { commands } from './commands';
import { dispatch } from './dispatch';

dispatch(commands, process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
