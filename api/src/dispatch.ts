import { PassThrough } from 'node:stream';
import { type Command, type CommandIo, UsageError } from './command';

/**
 * Routing of `skein` argv to a component's commands: the CLI's dispatcher, shared so each
 * component's tests run their commands exactly as `skein` does.
 */

/** Finds the command whose path is the longest prefix of argv. */
export function findCommand(commands: readonly Command[], argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (!best || command.path.length > best.path.length)) best = command;
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : undefined;
}

export function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const lines = commands.map((c) => `  skein ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `Skein: a service mesh for Kubernetes.\n\nUsage: skein <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'skein help <command>' or 'skein <command> --help' for a command's options.\n`;
}

function usageOf(command: Command): string {
  return command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`;
}

/** Runs argv against the command table; returns the exit code. Never throws. */
export async function dispatch(commands: readonly Command[], argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv[0] === 'help' && argv.length > 1) {
    // `skein help ca init`: that command's usage, as `skein ca init --help` prints it.
    const found = findCommand(commands, argv.slice(1));
    const group = commands.filter((c) => argv.slice(1).every((word, i) => c.path[i] === word));
    if ((!found || found.rest.length > 0) && group.length > 0) {
      io.stdout.write(helpText(group)); // `skein help ca`: the ca subcommands
      return 0;
    }
    if (!found || found.rest.length > 0) {
      io.stderr.write(`skein help: unknown command "${argv.slice(1).join(' ')}"\n\n${helpText(commands)}`);
      return 2;
    }
    io.stdout.write(usageOf(found.command));
    return 0;
  }
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(helpText(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(commands, argv);
  if (!found) {
    io.stderr.write(`skein: unknown command "${argv.join(' ')}"\n\n${helpText(commands)}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(usageOf(command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`skein ${command.path.join(' ')}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`skein ${command.path.join(' ')}: ${message}\n`);
    return 1;
  }
}

/** Runs argv through `dispatch` with in-memory streams; for tests of each component's commands. */
export async function runCommands(commands: readonly Command[], argv: readonly string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const input = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (d: Buffer) => (text.out += d.toString()));
  err.on('data', (d: Buffer) => (text.err += d.toString()));
  input.end(stdin);
  const code = await dispatch(commands, argv, { stdout: out, stderr: err, stdin: input });
  return { code, ...text };
}
