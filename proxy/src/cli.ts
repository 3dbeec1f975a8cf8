/**
 * `skein proxy` subcommands. Until the xDS client exists the proxy runs from a static config
 * (`--static-config FILE`) with its identity from PEM files; the environment (proxy/src/env.ts)
 * supplies the node identity.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../../api/src/command';
import { readProxyEnv } from './env';
import { FileIdentity } from './file-identity';
import { startStaticProxy } from './static';

const usage = `usage: skein proxy --static-config FILE --cert FILE --key FILE --ca FILE [options]

Runs the sidecar proxy from a static config (the model as JSON, see docs/proxy.md), reloading the
file and the certificate files when they change.

  --static-config FILE   proxy config model (JSON)
  --cert FILE            workload certificate chain (PEM, leaf with a spiffe:// URI SAN)
  --key FILE             private key of that certificate (PEM)
  --ca FILE              trust bundle: mesh roots (PEM)
  --admin-port N         admin API on 127.0.0.1 (default 15000)
  --health-port N        /healthz/ready (default 15021)
  --prometheus-port N    Prometheus (default 15090)
  --no-inbound-source    do not connect to apps from 127.0.0.6
  --access-log           print one JSON line per request to stdout
  --drain-seconds N      on SIGTERM, stop accepting and wait this long before exiting (default 5)`;

function port(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag}: expected a port number, got "${v}"`);
  return n;
}

export const proxyCommand: Command = {
  path: ['proxy'],
  summary: 'run the sidecar proxy (static config mode)',
  usage,
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          'static-config': { type: 'string' },
          cert: { type: 'string' },
          key: { type: 'string' },
          ca: { type: 'string' },
          'admin-port': { type: 'string' },
          'health-port': { type: 'string' },
          'prometheus-port': { type: 'string' },
          'no-inbound-source': { type: 'boolean' },
          'access-log': { type: 'boolean' },
          'drain-seconds': { type: 'string' },
        },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const file = values['static-config'];
    if (!file) throw new UsageError('--static-config is required (the xDS client is not wired yet)');
    if (!values.cert || !values.key || !values.ca) throw new UsageError('--cert, --key and --ca are required');
    const drainSeconds = Number(values['drain-seconds'] ?? '5');
    if (!(drainSeconds >= 0 && drainSeconds <= 3600)) throw new UsageError('--drain-seconds: expected a number of seconds in [0, 3600]');
    const env = readProxyEnv();
    const identity = new FileIdentity({ certChain: values.cert, privateKey: values.key, trustBundle: values.ca }, (err) => io.stderr.write(`identity reload failed, keeping the current certificate: ${err.message}\n`));
    identity.watch();
    let quit: () => void = () => undefined;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const running = await startStaticProxy(file, identity, {
      admin: { port: port('admin-port', values['admin-port'], 15000) },
      health: { port: port('health-port', values['health-port'], 15021) },
      prometheus: { port: port('prometheus-port', values['prometheus-port'], 15090) },
      inboundSource: values['no-inbound-source'] ? false : undefined,
      accessLog: values['access-log'] ? (e) => io.stdout.write(`${JSON.stringify(e)}\n`) : undefined,
      onReload: (err) => io.stderr.write(err ? `config reload rejected, keeping the current config: ${err.message}\n` : `config reloaded\n`),
      onQuit: () => quit(),
    });
    io.stderr.write(`skein proxy ${env.podName}.${env.podNamespace} as ${identity.current()?.spiffeId}: config ${running.proxy.config.version}, ${running.proxy.config.listeners.length} listeners\n`);
    const onSignal = (): void => {
      io.stderr.write(`draining for ${drainSeconds}s\n`);
      void running.proxy.drain().then(() => setTimeout(quit, drainSeconds * 1000));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    await quitting;
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    identity.close();
    await running.close();
    return 0;
  },
};

export const proxyCommands: Command[] = [proxyCommand];
