/**
 * `skein proxy`: the sidecar. By default in xDS mode (proxy/src/agent.ts: identity from the CA,
 * config from the control plane, all from the environment, proxy/src/env.ts); with
 * `--static-config FILE` from a config file and PEM files.
 */
import { parseArgs } from 'node:util';
import { UsageError, usageErrors, type Command } from '../../api/src/command';
import { ProxyEnv } from '../../api/src/names';
import type * as AgentModule from './agent';
import { EnvError, readProxyEnv } from './env';
import type * as NodeModule from './xds/core/node';
import type * as OriginalDst from './original-dst';
import type * as FileIdentityModule from './file-identity';
import type * as StaticModule from './static';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: `skein help` must not load the data plane */
const load = {
  originalDst: () => require('./original-dst') as typeof OriginalDst,
  fileIdentity: () => require('./file-identity') as typeof FileIdentityModule,
  static: () => require('./static') as typeof StaticModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const usage = `Usage: skein proxy [options]                      (xDS mode, configured by the environment)
       skein proxy --static-config FILE --cert FILE --key FILE --ca FILE [options]

xDS mode (the sidecar): gets its certificate from the CA and its configuration from the control
plane. Environment: SKEIN_XDS_ADDRESS (required), SKEIN_CA_ADDRESS (default: the xDS address),
SKEIN_ROOT_CERT_PATH (trust bundle file), SKEIN_JOIN_TOKEN (local mode) or SKEIN_TOKEN_PATH,
POD_NAME, POD_NAMESPACE, INSTANCE_IP, SERVICE_ACCOUNT, SKEIN_POD_LABELS (JSON) or
SKEIN_POD_LABELS_FILE, SKEIN_OUTBOUND_PORTS (15101=reviews:9080), SKEIN_INBOUND_PORTS (15106=9080),
SKEIN_CERT_VALIDITY_SECONDS, SKEIN_STREAM_IDLE_TIMEOUT_SECONDS. See docs/demo.md.

Static mode: runs from a config file (the model as JSON, see docs/proxy.md), reloading the file and
the certificate files when they change.

  --static-config FILE   proxy config model (JSON)
  --cert FILE            workload certificate chain (PEM, leaf with a spiffe:// URI SAN)
  --key FILE             private key of that certificate (PEM)
  --ca FILE              trust bundle: mesh roots (PEM)
  --no-original-dst      xDS mode: do not read SO_ORIGINAL_DST (no iptables capture, local mode)
  --admin-port N         admin API on 127.0.0.1 (default 15000)
  --health-port N        /healthz/ready (default 15021)
  --prometheus-port N    Prometheus (default 15090)
  --agent-port N         xDS mode: app probes /app-health/... (default 15020)
  --no-inbound-source    do not connect to apps from 127.0.0.6
  --access-log           print one JSON line per request to stdout
  --drain-seconds N      on SIGTERM, stop accepting and wait this long before exiting (default 5)
  --stream-idle-timeout N  seconds without a byte either way before a request is ended (Envoy
                         stream_idle_timeout) where the configuration sets none; 0: none
                         (default: SKEIN_STREAM_IDLE_TIMEOUT_SECONDS, else 300)`;

function port(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag}: expected a port number, got "${v}"`);
  return n;
}

export const proxyCommand: Command = {
  path: ['proxy'],
  summary: 'run the sidecar proxy (xDS mode, or --static-config)',
  usage,
  async run(args, io) {
    const { values } = usageErrors(() =>
      parseArgs({
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
          'agent-port': { type: 'string' },
          'no-inbound-source': { type: 'boolean' },
          'access-log': { type: 'boolean' },
          'drain-seconds': { type: 'string' },
          'no-original-dst': { type: 'boolean' },
          'stream-idle-timeout': { type: 'string' },
        },
      }),
    );
    const file = values['static-config'];
    const drainSeconds = Number(values['drain-seconds'] ?? '5');
    if (!(drainSeconds >= 0 && drainSeconds <= 3600)) throw new UsageError('--drain-seconds: expected a number of seconds in [0, 3600]');
    const ports = {
      admin: port('admin-port', values['admin-port'], 15000),
      health: port('health-port', values['health-port'], 15021),
      prometheus: port('prometheus-port', values['prometheus-port'], 15090),
      agent: port('agent-port', values['agent-port'], 15020),
    };
    const accessLog = values['access-log'] ? (e: object) => io.stdout.write(`${JSON.stringify(e)}\n`) : undefined;
    const streamIdleFlag = values['stream-idle-timeout'];
    if (streamIdleFlag !== undefined && !/^\d{1,7}$/.test(streamIdleFlag)) throw new UsageError(`--stream-idle-timeout: expected a whole number of seconds (0: no timeout), got "${streamIdleFlag}"`);
    const streamIdleSeconds = streamIdleFlag !== undefined ? Number(streamIdleFlag) : envStreamIdleSeconds();
    const streamIdleTimeoutMs = streamIdleSeconds === undefined ? undefined : streamIdleSeconds * 1000;
    if (!file) {
      if (values.cert || values.key || values.ca) throw new UsageError('--cert, --key and --ca belong to --static-config mode (xDS mode gets its certificate from the CA)');
      if (!process.env[ProxyEnv.xdsAddress]?.trim()) throw new UsageError(`${ProxyEnv.xdsAddress} is not set: xDS mode needs the control plane address (or run with --static-config FILE)`);
      return runAgent(io, { ports, drainSeconds, accessLog, inboundSource: !values['no-inbound-source'], originalDst: !values['no-original-dst'], streamIdleTimeoutMs });
    }
    if (values['no-original-dst']) throw new UsageError('--no-original-dst applies to xDS mode only');
    if (!values.cert || !values.key || !values.ca) throw new UsageError('--cert, --key and --ca are required');
    const env = readProxyEnv();
    const identity = new (load.fileIdentity().FileIdentity)({ certChain: values.cert, privateKey: values.key, trustBundle: values.ca }, (err) => io.stderr.write(`identity reload failed, keeping the current certificate: ${err.message}\n`));
    identity.watch();
    let quit: () => void = () => undefined;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const running = await load.static().startStaticProxy(file, identity, {
      admin: { port: ports.admin },
      health: { port: ports.health },
      prometheus: { port: ports.prometheus },
      inboundSource: values['no-inbound-source'] ? false : undefined,
      accessLog,
      streamIdleTimeoutMs,
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

interface AgentRunOptions {
  ports: { admin: number; health: number; prometheus: number; agent: number };
  drainSeconds: number;
  accessLog: ((e: object) => void) | undefined;
  inboundSource: boolean;
  originalDst: boolean;
  streamIdleTimeoutMs: number | undefined;
}

/**
 * xDS mode: runs until SIGTERM/SIGINT (drain, then exit 0) or POST /quitquitquit. The agent (xDS
 * client, proto registry, gRPC) is loaded here, not at the top: static mode does not pay its memory.
 */
async function runAgent(io: Parameters<Command['run']>[1], o: AgentRunOptions): Promise<number> {
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point */
  const { AgentConfigError, ProxyAgent } = require('./agent') as typeof AgentModule;
  const { NodeConfigError } = require('./xds/core/node') as typeof NodeModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  let quit: () => void = () => undefined;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  let agent: InstanceType<typeof ProxyAgent>;
  try {
    const env = readProxyEnv();
    agent = new ProxyAgent({
      env,
      ports: o.ports,
      ...(o.originalDst ? { originalDst: load.originalDst().originalDestination } : {}),
      ...(o.inboundSource ? {} : { inboundSource: false as const }),
      ...(o.accessLog ? { accessLog: o.accessLog } : {}),
      ...(o.streamIdleTimeoutMs !== undefined ? { streamIdleTimeoutMs: o.streamIdleTimeoutMs } : {}),
      onQuit: () => quit(),
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stderr.write(`skein proxy ${env.podName}.${env.podNamespace} (${env.serviceAccount}): control plane ${env.xdsAddress}, CA ${env.caAddress}\n`);
    await agent.start();
  } catch (err) {
    if (err instanceof EnvError || err instanceof AgentConfigError || err instanceof NodeConfigError) {
      io.stderr.write(`skein proxy: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const onSignal = (): void => {
    io.stderr.write(`draining for ${o.drainSeconds}s\n`);
    void agent.drain().then(() => setTimeout(quit, o.drainSeconds * 1000));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await quitting;
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  await agent.close();
  return 0;
}

/** SKEIN_STREAM_IDLE_TIMEOUT_SECONDS, a bad value being a usage error like a bad flag. */
function envStreamIdleSeconds(): number | undefined {
  try {
    return readProxyEnv().streamIdleTimeoutSeconds;
  } catch (err) {
    if (err instanceof EnvError) throw new UsageError(err.message);
    throw err;
  }
}

export const proxyCommands: Command[] = [proxyCommand];
