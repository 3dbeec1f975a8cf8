/**
 * The shape of a `skein` subcommand. Each component (ca, operator, proxy, webhook, …) exports its
 * own commands from `<component>/src/cli.ts`; `cli/` only collects and dispatches them.
 */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  /** Words that select it, e.g. `['ca', 'init']`. */
  path: string[];
  /** One line for `skein help`. */
  summary: string;
  /** Full usage text, printed for `--help` and on usage errors. */
  usage: string;
  /** Runs with the arguments after the path; resolves to the process exit code. */
  run(args: string[], io: CommandIo): Promise<number>;
}

/** A usage error: the CLI prints the message and the command's usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Runs `fn`; whatever it throws (a parseArgs complaint, a bad flag value) becomes a UsageError,
 * its message prefixed with `flag` when given (`--ttl: …`).
 */
export function usageErrors<T>(fn: () => T, flag?: string): T {
  try {
    return fn();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(flag === undefined ? message : `${flag}: ${message}`);
  }
}
