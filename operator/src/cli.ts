/** `skein controlplane`, `skein analyze`, `skein proxy-config`. */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, type CommandIo, UsageError, usageErrors } from '../../api/src/command';
import { ControlPlanePorts, DefaultTrustDomain, SystemNamespace } from '../../api/src/names';
import { validateTrustDomain } from '../../api/src/spiffe';
import { issuanceLimits } from '../../ca/src/cli';
import { defaultIssuanceLimits, formatRateLimit } from '../../ca/src/core/rate-limit';
import { loadCaDir } from '../../ca/src/store/ca-dir';
import { analyzeModel } from './core/analyze';
import { type ConfigError, formatConfigError } from './core/config-error';
import { objectKey } from './core/kube';
import { MeshIndex, type MeshSettings } from './core/mesh-index';
import { parseNodeId } from './core/node-id';
import { Translator } from './core/translate/translate';
import { parseConfigFile } from './core/yaml-docs';
import { runControlPlane } from './run';

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

function settings(values: { 'trust-domain'?: string; 'cluster-domain'?: string }): MeshSettings {
  const trustDomain = values['trust-domain'] ?? DefaultTrustDomain;
  usageErrors(() => validateTrustDomain(trustDomain));
  return { trustDomain, clusterDomain: values['cluster-domain'] ?? 'cluster.local', rootNamespace: SystemNamespace };
}


/** Reads every config file of a directory (recursively) into an index; returns the problems found. */
export function loadDirectory(dir: string, meshSettings: MeshSettings): { index: MeshIndex; errors: ConfigError[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  const files = (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/i.test(e.name) && !e.name.startsWith('.'))
    .map((e) => path.join(e.parentPath, e.name)).sort();
  const index = new MeshIndex(meshSettings);
  const errors: ConfigError[] = [];
  const owners = new Map<string, string>();
  for (const file of files) {
    const rel = path.relative(dir, file);
    const parsed = parseConfigFile(rel, fs.readFileSync(file, 'utf8'));
    errors.push(...parsed.errors);
    for (const obj of parsed.objects) {
      const key = objectKey(obj);
      const owner = owners.get(key);
      if (owner) {
        errors.push({ file: rel, object: key, path: 'metadata.name', message: `duplicate: also defined in ${owner}` });
        continue;
      }
      owners.set(key, rel);
      index.apply(obj);
    }
  }
  // Cross-resource problems name the object; add its file.
  for (const e of analyzeModel(index.model())) errors.push({ ...e, file: e.object ? owners.get(e.object) : undefined });
  return { index, errors };
}

const controlplaneUsage = `Usage: skein controlplane --config-dir DIR [--ca-dir DIR] [options]

Local-mode control plane: serves ADS (and the CA) for the mesh described by the YAML in DIR,
reloading on change. ADS requires each proxy's workload certificate (mTLS) matching its node id;
the CA issues first certificates for join tokens and renews over mTLS. The CA directory is
reloaded when it changes (root rotation: skein ca bundle, skein ca switch).

  --config-dir DIR          Kubernetes-shaped YAML (Namespace, Service, EndpointSlice, Pod, Skein CRDs)
  --ca-dir DIR              CA directory (skein ca init); required for the TLS listener
  --xds-host HOST           address of the TLS ADS/CA listener (default 0.0.0.0)
  --xds-port PORT           (default ${ControlPlanePorts.xds})
  --plaintext-xds-port PORT also serve ADS without TLS on 127.0.0.1:PORT (proxyless gRPC clients
                            and tests; bound to loopback only, its callers are trusted like the host)
  --monitor-host HOST       (default 127.0.0.1)
  --monitor-port PORT       /metrics /healthz /readyz /debug/syncz /debug/configz (default ${ControlPlanePorts.monitoring});
                            /debug/* answers loopback, or a join token of ${SystemNamespace} (authorization: Bearer)
  --ca-identity-limit R     certificates per identity, RATE/UNIT:BURST (default ${formatRateLimit(defaultIssuanceLimits.perIdentity)};
                            beyond it the CA answers RESOURCE_EXHAUSTED)
  --ca-global-limit R       certificates in total (default ${formatRateLimit(defaultIssuanceLimits.global)})
  --trust-domain TD         SPIFFE trust domain (default: the CA's, else ${DefaultTrustDomain})
  --cluster-domain DOMAIN   DNS suffix of services (default cluster.local)
  --poll-interval MS        rescan interval of the config dir (default 2000)`;

export const controlplaneCommand: Command = {
  path: ['controlplane'],
  summary: 'run the control plane (ADS + CA) in local mode from a config directory',
  usage: controlplaneUsage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values } = usageErrors(() => parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        'config-dir': { type: 'string' }, 'ca-dir': { type: 'string' }, 'xds-host': { type: 'string' }, 'xds-port': { type: 'string' },
        'plaintext-xds-port': { type: 'string' }, 'monitor-host': { type: 'string' }, 'monitor-port': { type: 'string' },
        'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' }, 'poll-interval': { type: 'string' },
        'ca-identity-limit': { type: 'string' }, 'ca-global-limit': { type: 'string' },
      },
    }));
    const configDir = values['config-dir'];
    if (!configDir) throw new UsageError('--config-dir is required');
    const plaintext = values['plaintext-xds-port'] === undefined ? undefined : port(values['plaintext-xds-port'], '--plaintext-xds-port', 0);
    if (!values['ca-dir'] && plaintext === undefined) throw new UsageError('--ca-dir is required (TLS is the default); --plaintext-xds-port alone serves loopback-only plaintext ADS');
    const poll = values['poll-interval'] === undefined ? undefined : Number(values['poll-interval']);
    if (poll !== undefined && !(Number.isInteger(poll) && poll >= 100)) throw new UsageError('--poll-interval must be an integer >= 100 (ms)');
    const caLimits = issuanceLimits(values['ca-identity-limit'], values['ca-global-limit'], '--ca-');
    const ca = values['ca-dir'] ? await loadCaDir(values['ca-dir']) : undefined;
    // The mesh's trust domain is the CA's: SANs the proxies expect must be what the CA signs.
    const caDomain = ca?.authority.trustDomain;
    if (caDomain && values['trust-domain'] && values['trust-domain'] !== caDomain) {
      throw new UsageError(`--trust-domain ${values['trust-domain']} differs from the CA's trust domain ${caDomain}`);
    }
    const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
    const running = await runControlPlane({
      configDir, ca, log, settings: settings({ ...values, 'trust-domain': values['trust-domain'] ?? caDomain }),
      xdsHost: values['xds-host'] ?? '0.0.0.0', xdsPort: port(values['xds-port'], '--xds-port', ControlPlanePorts.xds),
      plaintextXdsPort: plaintext,
      monitorHost: values['monitor-host'] ?? '127.0.0.1', monitorPort: port(values['monitor-port'], '--monitor-port', ControlPlanePorts.monitoring),
      pollIntervalMs: poll, caLimits,
    });
    if (running.xdsPort !== undefined) log(`controlplane: ADS+CA (TLS) on ${values['xds-host'] ?? '0.0.0.0'}:${running.xdsPort}`);
    if (running.plaintextXdsPort !== undefined) log(`controlplane: WARNING plaintext ADS on 127.0.0.1:${running.plaintextXdsPort} (no TLS)`);
    log(`controlplane: monitoring on ${values['monitor-host'] ?? '127.0.0.1'}:${running.monitorPort}`);
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    log('controlplane: shutting down');
    await running.stop();
    return 0;
  },
};

export const analyzeCommand: Command = {
  path: ['analyze'],
  summary: 'check a config directory: invalid objects and cross-resource problems (exit 1 if any)',
  usage: 'Usage: skein analyze DIR [--trust-domain TD] [--cluster-domain DOMAIN]\n\nPrints every problem as FILE document N KIND/NS/NAME: FIELD: MESSAGE.',
  run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = usageErrors(() => parseArgs({ args, strict: true, allowPositionals: true, options: { 'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' } } }));
    if (positionals.length !== 1) throw new UsageError('expected exactly one directory');
    const { index, errors } = loadDirectory(positionals[0]!, settings(values));
    for (const e of errors) io.stdout.write(`${formatConfigError(e)}\n`);
    io.stdout.write(errors.length ? `\n${errors.length} problem(s) found\n` : `no problems found (${index.size} objects)\n`);
    return Promise.resolve(errors.length ? 1 : 0);
  },
};

export const proxyConfigCommand: Command = {
  path: ['proxy-config'],
  summary: 'print the xDS resources a proxy would get (config_dump-style JSON)',
  usage: `Usage: skein proxy-config --config-dir DIR --node NODE_ID [--metadata JSON] [--type TYPE]

  --node      sidecar~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local
  --metadata  node metadata as JSON, e.g. '{"GENERATOR":"grpc"}' or '{"SKEIN_OUTBOUND_PORTS":"15101=echo:8080"}'
  --type      clusters | endpoints | listeners | routes (default: all)`,
  run(args: string[], io: CommandIo): Promise<number> {
    const { values } = usageErrors(() => parseArgs({
      args, strict: true, allowPositionals: false,
      options: { 'config-dir': { type: 'string' }, node: { type: 'string' }, metadata: { type: 'string' }, type: { type: 'string' }, 'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' } },
    }));
    if (!values['config-dir']) throw new UsageError('--config-dir is required');
    if (!values.node) throw new UsageError('--node is required');
    const node = usageErrors(() => parseNodeId(values.node!));
    let metadata: Record<string, unknown> = {};
    if (values.metadata !== undefined) {
      try {
        metadata = JSON.parse(values.metadata) as Record<string, unknown>;
      } catch {
        throw new UsageError('--metadata must be a JSON object');
      }
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new UsageError('--metadata must be a JSON object');
    }
    const kinds = { clusters: 'Cluster', endpoints: 'ClusterLoadAssignment', listeners: 'Listener', routes: 'RouteConfiguration' } as const;
    const type = values.type as keyof typeof kinds | undefined;
    if (type !== undefined && !(type in kinds)) throw new UsageError(`--type must be one of ${Object.keys(kinds).join(', ')}`);
    const { index, errors } = loadDirectory(values['config-dir'], settings(values));
    for (const e of errors) io.stderr.write(`warning: ${formatConfigError(e)}\n`);
    const translation = new Translator(index.model()).translate({ node, metadata });
    for (const w of translation.warnings) io.stderr.write(`warning: ${w}\n`);
    const configs = Object.entries(translation.resources)
      .filter(([typeUrl]) => !type || typeUrl.endsWith(`.${kinds[type]}`))
      .map(([typeUrl, resources]) => ({ type_url: typeUrl, resources }));
    io.stdout.write(`${JSON.stringify({ node: node.id, configs }, null, 2)}\n`);
    return Promise.resolve(0);
  },
};

export const operatorCommands: Command[] = [controlplaneCommand, analyzeCommand, proxyConfigCommand];
