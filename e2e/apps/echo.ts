/**
 * The echo server of the system tests, one process per pod:
 *
 *   node e2e/apps/build/echo.js --http 8080 --grpc 9090 --tcp 7070 [--host 0.0.0.0]
 *        [--fail-first N] [--fail-percent P] [--hang-first N | --hang]
 *
 * Identity from the environment: NAME, VERSION, POD_NAME, POD_NAMESPACE. Prints
 * `echo ready http=8080 grpc=9090 tcp=7070` once every listener is up; exits 0 on SIGTERM/SIGINT
 * and 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { checkPolicy, type FlakyPolicy } from './flaky';
import { startGrpcEcho } from './grpc-echo';
import { startHttpEcho } from './http-echo';
import { serverIdentity } from './identity';
import { startTcpEcho } from './tcp-echo';

const usage = 'usage: echo --http PORT --grpc PORT --tcp PORT [--host ADDR] [--fail-first N] [--fail-percent P] [--hang-first N | --hang]';

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${flag} must be a port number (1-65535), got "${value}"`);
  return n;
}

function whole(flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} must be a number, got "${value}"`);
  return n;
}

export function parseEchoArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      http: { type: 'string' },
      grpc: { type: 'string' },
      tcp: { type: 'string' },
      host: { type: 'string', default: '0.0.0.0' },
      'fail-first': { type: 'string' },
      'fail-percent': { type: 'string' },
      'hang-first': { type: 'string' },
      hang: { type: 'boolean', default: false },
    },
  });
  const ports = { http: port('http', values.http), grpc: port('grpc', values.grpc), tcp: port('tcp', values.tcp) };
  if (!ports.http && !ports.grpc && !ports.tcp) throw new Error('give at least one of --http, --grpc, --tcp');
  const policy: FlakyPolicy = checkPolicy({
    failFirst: whole('fail-first', values['fail-first']),
    failPercent: whole('fail-percent', values['fail-percent']),
    hangFirst: values.hang ? Infinity : whole('hang-first', values['hang-first']),
  });
  return { ports, host: values.host, policy };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseEchoArgs>;
  try {
    args = parseEchoArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`echo: ${(e as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  const identity = serverIdentity(process.env);
  const common = { host: args.host, identity, policy: args.policy };
  const servers = [
    args.ports.http ? await startHttpEcho({ ...common, port: args.ports.http }) : undefined,
    args.ports.grpc ? await startGrpcEcho({ ...common, port: args.ports.grpc }) : undefined,
    args.ports.tcp ? await startTcpEcho({ ...common, port: args.ports.tcp }) : undefined,
  ].filter((s) => s !== undefined);
  const listening = Object.entries(args.ports).filter(([, p]) => p).map(([k, p]) => `${k}=${p}`).join(' ');
  process.stdout.write(`echo ready ${listening} name=${identity.name} version=${identity.version}\n`);
  const shutdown = () => {
    void Promise.allSettled(servers.map((s) => s.close())).then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`echo: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
