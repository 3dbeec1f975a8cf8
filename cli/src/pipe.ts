/**
 * `skein proxy-config … | head`: once the reader is gone, writing to stdout fails with EPIPE. That
 * is the reader's choice, not an error: exit at once, quietly, instead of Node's unhandled 'error'
 * stack trace. Exit status 0 (what the command wrote was read as far as the reader wanted).
 * stderr gone too: nothing left to tell anyone, same exit.
 */
export interface ProcessLike {
  stdout: NodeJS.EventEmitter;
  stderr: NodeJS.EventEmitter;
  exit(code?: number): never;
}

export function exitQuietlyOnClosedPipe(proc: ProcessLike): void {
  for (const stream of [proc.stdout, proc.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') return proc.exit(0);
      throw err;
    });
  }
}
