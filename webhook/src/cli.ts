/**
 * `skein inject`, `skein webhook`, `skein wait-ready`. What `skein help` loads: the server, the
 * injector and the readiness poller load when their command runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type * as Yaml from 'yaml';
import { type Command, type CommandIo, UsageError, usageErrors } from '../../api/src/command';
import { parseDuration } from '../../api/src/duration';
import { ControlPlanePorts, ProxyPorts } from '../../api/src/names';
import pkg from '../../package.json';
import { ConfigError, defaultInjectionConfig, type InjectionConfig, parseInjectionConfig } from './core/config';
import { isEnabling } from './core/decide';
import { useNativeSidecar } from './core/kube-version';
import { isObject, type Labels } from './core/types';
import type * as ManifestsModule from './core/manifests';
import type * as MetricsModule from './metrics';
import type * as NamespaceLookupModule from './namespace-lookup';
import type * as ServerModule from './server';
import type * as WaitReadyModule from './wait-ready';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: `skein help` must not load the server */
const load = {
  yaml: () => require('yaml') as typeof Yaml,
  manifests: () => require('./core/manifests') as typeof ManifestsModule,
  metrics: () => require('./metrics') as typeof MetricsModule,
  namespaceLookup: () => require('./namespace-lookup') as typeof NamespaceLookupModule,
  server: () => require('./server') as typeof ServerModule,
  waitReady: () => require('./wait-ready') as typeof WaitReadyModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Asks a cluster for its Kubernetes version (cli/ provides it from the operator's client; webhook/
 * has none). undefined: no kubeconfig to ask with.
 */
export type ClusterVersionLookup = (o: { kubeconfig?: string; context?: string }) => Promise<{ version: string; source: string } | { error: string; source: string } | undefined>;

const configFlags = {
  config: { type: 'string' },
  image: { type: 'string' },
  'native-sidecars': { type: 'string' },
  'cluster-version': { type: 'string' },
} as const;

const configUsage = `  --config FILE              injection config (YAML/JSON, fields in docs/injection.md)
  --image IMAGE              Skein image for skein-init and skein-proxy
  --native-sidecars MODE     auto (default: on for cluster version >= 1.29) | on | off
  --cluster-version VERSION  Kubernetes version of the cluster, e.g. 1.30`;

function readText(file: string, io: CommandIo): Promise<string> {
  if (file !== '-') return Promise.resolve(readFileSync(file, 'utf8'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    io.stdin.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    io.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    io.stdin.on('error', reject);
  });
}

const flagOfField: Record<string, string> = { image: '--image', nativeSidecars: '--native-sidecars', clusterVersion: '--cluster-version' };

/** Config file, then flags over it; every bad value is a usage error naming the file and field, or the flag. */
function loadConfig(values: { config?: string; image?: string; 'native-sidecars'?: string; 'cluster-version'?: string }): InjectionConfig {
  let config = defaultInjectionConfig(pkg.version);
  if (values.config) {
    const file = values.config;
    try {
      config = parseInjectionConfig(load.yaml().parse(readFileSync(file, 'utf8')), config);
    } catch (err) {
      if (err instanceof ConfigError || err instanceof load.yaml().YAMLError) throw new UsageError(`${file}: ${err.message}`);
      throw err;
    }
  }
  const overrides: Record<string, unknown> = {};
  if (values.image !== undefined) overrides.image = values.image;
  if (values['native-sidecars'] !== undefined) overrides.nativeSidecars = values['native-sidecars'];
  if (values['cluster-version'] !== undefined) overrides.clusterVersion = values['cluster-version'];
  try {
    return parseInjectionConfig(overrides, config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const field = err.message.slice(0, err.message.indexOf(':'));
    throw new UsageError(`${flagOfField[field] ?? field}${err.message.slice(field.length)}`);
  }
}


/** `skein inject`; with `clusterVersion`, native sidecars follow the cluster's version when a kubeconfig is there to ask. */
export function injectCommand(clusterVersion?: ClusterVersionLookup): Command {
  return {
    path: ['inject'],
    summary: 'inject the Skein sidecar into Kubernetes manifests (like istioctl kube-inject)',
    usage: `Usage: skein inject -f FILE|- [-o FILE] [options]

Reads multi-document YAML and writes it back with the sidecar injected into every pod template
(Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, List
items). Other documents are copied unchanged; injected templates are left as they are (idempotent).

Native sidecars (Kubernetes 1.29+) or classic: --native-sidecars on|off decides; with auto (the
default) the cluster's version decides: --cluster-version, else the version the cluster reports when
a kubeconfig is there to ask (--kubeconfig, $KUBECONFIG, ~/.kube/config), else classic.

  -f, --filename FILE        input manifest, - for stdin
  -o, --output FILE          write here instead of stdout
  --namespace NS             namespace of objects that name none (default: default)
${configUsage}
  --kubeconfig FILE          ask this cluster for its version (native sidecars on 1.29+)
  --context NAME             kubeconfig context to ask`,
    async run(args, io) {
      const options = {
        filename: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        namespace: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        ...configFlags,
      } as const;
      const { values } = usageErrors(() => parseArgs({ args, options, strict: true }));
      if (!values.filename) throw new UsageError('-f FILE (or - for stdin) is required');
      let config = loadConfig(values);
      if (config.nativeSidecars === 'auto' && config.clusterVersion === undefined && clusterVersion) {
        const found = await clusterVersion({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) });
        if (found && 'version' in found) {
          config = parseInjectionConfig({ clusterVersion: found.version }, config);
          io.stderr.write(`cluster version ${found.version} (${found.source}): ${useNativeSidecar(config.nativeSidecars, config.clusterVersion) ? 'native sidecars' : 'classic sidecars (native ones need 1.29+)'}\n`);
        } else if (found) {
          io.stderr.write(`cannot ask the cluster for its version (${found.source}: ${found.error}): classic sidecars; pass --cluster-version or --native-sidecars on|off\n`);
        }
      }
      const source = await readText(values.filename, io);
      const result = load.manifests().injectManifests(source, { config, defaultNamespace: values.namespace ?? 'default' });
      for (const t of result.templates) {
        if (t.decision.inject) continue;
        const why = t.decision.reasons.filter((r) => !isEnabling(r.code)).map((r) => r.message);
        io.stderr.write(`not injected: ${t.kind} ${t.name || '(unnamed)'} (document ${t.document}): ${why.join('; ')}\n`);
      }
      if (values.output) writeFileSync(values.output, result.output);
      else io.stdout.write(result.output);
      return 0;
    },
  };
}

function readNamespaces(file: string): Record<string, Labels> {
  const out: Record<string, Labels> = {};
  for (const doc of load.yaml().parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length > 0) throw new UsageError(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
    const ns: unknown = doc.toJS();
    if (ns == null) continue;
    if (!isObject(ns) || ns.kind !== 'Namespace' || !isObject(ns.metadata) || typeof ns.metadata.name !== 'string') {
      throw new UsageError(`${file}: expected Namespace objects with metadata.name`);
    }
    out[ns.metadata.name] = isObject(ns.metadata.labels) ? (ns.metadata.labels as Labels) : {};
  }
  return out;
}

function parsePort(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${flag}: "${text}" is not a port`);
  return port;
}

export const webhookCommand: Command = {
  path: ['webhook'],
  summary: 'run the sidecar-injection admission webhook (HTTPS)',
  usage: `Usage: skein webhook --tls-cert FILE --tls-key FILE [options]

Serves POST /inject (AdmissionReview v1), GET /healthz and GET /metrics over HTTPS (TLS 1.2+).
The certificate files are reloaded when they change.

  --tls-cert FILE            serving certificate (PEM, chain allowed)
  --tls-key FILE             its private key (PEM)
  --port PORT                listen port (default ${ControlPlanePorts.webhook})
  --host ADDRESS             listen address (default 0.0.0.0)
  --namespaces FILE          YAML of Namespace objects whose labels drive injection (standalone use)
${configUsage}`,
  async run(args, io) {
    const options = {
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      namespaces: { type: 'string' },
      ...configFlags,
    } as const;
    const { values } = usageErrors(() => parseArgs({ args, options, strict: true }));
    if (!values['tls-cert'] || !values['tls-key']) throw new UsageError('--tls-cert and --tls-key are required');
    const config = loadConfig(values);
    const namespaces = new (load.namespaceLookup().InMemoryNamespaceLookup)(values.namespaces ? readNamespaces(values.namespaces) : {});
    const { jsonLogger, startWebhookServer } = load.server();
    const log = jsonLogger(io.stderr);
    const webhook = await startWebhookServer({
      config,
      namespaces,
      log,
      metrics: new (load.metrics().WebhookMetrics)({ processMetrics: true }),
      tls: { certFile: values['tls-cert'], keyFile: values['tls-key'] },
      port: parsePort(values.port, '--port', ControlPlanePorts.webhook),
      host: values.host ?? '0.0.0.0',
    });
    log({ msg: 'webhook listening', port: webhook.port, nativeSidecars: config.nativeSidecars, clusterVersion: config.clusterVersion });
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log({ msg: 'shutting down', signal });
    await webhook.close();
    return 0;
  },
};

export const waitReadyCommand: Command = {
  path: ['wait-ready'],
  summary: "wait until the local proxy is ready (a classic sidecar's postStart hook)",
  usage: `Usage: skein wait-ready [--port ${ProxyPorts.health}] [--timeout 60s] [--path /healthz/ready] [--interval 200ms]

Polls http://127.0.0.1:PORT/PATH until it answers 200; exits 1 after the timeout.`,
  async run(args, io) {
    const options = { port: { type: 'string' }, timeout: { type: 'string' }, path: { type: 'string' }, interval: { type: 'string' } } as const;
    const { values } = usageErrors(() => parseArgs({ args, options, strict: true }));
    const duration = (text: string | undefined, flag: string, fallback: number) => {
      if (text === undefined) return fallback;
      try {
        return parseDuration(text);
      } catch (err) {
        throw new UsageError(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const port = parsePort(values.port, '--port', ProxyPorts.health);
    const timeoutMs = duration(values.timeout, '--timeout', 60_000);
    const path = values.path ?? '/healthz/ready';
    if (!path.startsWith('/')) throw new UsageError(`--path: "${path}" must start with /`);
    const attempts = await load.waitReady().waitReady({ port, timeoutMs, path, intervalMs: duration(values.interval, '--interval', 200) });
    io.stderr.write(`proxy ready after ${attempts} attempt(s)\n`);
    return 0;
  },
};

export function webhookCommands(clusterVersion?: ClusterVersionLookup): Command[] {
  return [injectCommand(clusterVersion), webhookCommand, waitReadyCommand];
}
