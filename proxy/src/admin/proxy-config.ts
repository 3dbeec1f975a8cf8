/** The body of `skein proxy-config` (see ./cli.ts): fetch the dump (live or offline), print a table, JSON or YAML. */
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import { stringify as toYaml } from 'yaml';
import { type CommandIo, UsageError } from '../../../api/src/command';
import type { ProxyConfig } from '../config/model';
import { checkResources, CheckInputError, parseResources } from '../xds/check';
import { NodeConfigError, parseOutboundPorts } from '../xds/core/node';
import { type AdminConnection, type ProxyConfigSources } from './cli';
import { type ConfigType, configSection, configTable, type SecretRow, secretTable } from './core/config-tables';
import { type SecretDump } from './secrets-dump';

export type Output = 'table' | 'json' | 'yaml';

/** What the Skein proxy's `/config_dump` holds (proxy.ts, agent.ts). */
interface ConfigDump {
  version?: string | null;
  config?: ProxyConfig | null;
  secrets?: SecretDump[];
}

function print(io: CommandIo, output: Output, value: unknown): void {
  io.stdout.write(output === 'yaml' ? toYaml(value) : `${JSON.stringify(value, null, 2)}\n`);
}

function parsePem(pem: string): SecretRow['certificates'] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => {
    const c = new X509Certificate(block);
    return { serialNumber: c.serialNumber, notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), subject: c.subject };
  });
}

/** Prints one type of a config model (and secrets, when the dump has them). */
function show(type: ConfigType, output: Output, config: ProxyConfig | undefined, secrets: readonly SecretDump[], io: CommandIo, source: string): number {
  if (type === 'secret') {
    if (output !== 'table') {
      print(io, output, secrets);
      return 0;
    }
    if (secrets.length === 0) {
      io.stderr.write(`${source}: no secrets (the proxy has no certificate yet)\n`);
      return 1;
    }
    io.stdout.write(secretTable(secrets.map((s) => ({ name: s.name, type: s.type, certificates: parsePem(s.certificatesPem) })), new Date()));
    return 0;
  }
  if (!config) {
    io.stderr.write(`${source}: no configuration yet (the proxy has not received its first snapshot from the control plane)\n`);
    return 1;
  }
  if (output === 'table') io.stdout.write(configTable(config, type));
  else print(io, output, configSection(config, type));
  return 0;
}

/** A local proxy's admin URL as a connection. */
export function urlAdmin(url: string): AdminConnection {
  const base = url.replace(/\/$/, '');
  return {
    name: base,
    get: (path) => new Promise((resolve, reject) => {
      const req = http.get(`${base}${path}`, { agent: false, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot reach the proxy's admin API at ${base}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`)));
    }),
    close: async () => undefined,
  };
}

export async function live(o: { type: ConfigType; output: Output; admin: () => Promise<AdminConnection> }, io: CommandIo): Promise<number> {
  const admin = await o.admin();
  let dump: ConfigDump;
  try {
    const r = await admin.get('/config_dump');
    if (r.status !== 200) throw new Error(`${admin.name}: /config_dump answered ${r.status}: ${r.body.trim().slice(0, 200)}`);
    try {
      dump = JSON.parse(r.body) as ConfigDump;
    } catch {
      throw new Error(`${admin.name}: /config_dump is not JSON (is this a Skein proxy's admin port?)`);
    }
  } finally {
    await admin.close();
  }
  return show(o.type, o.output, dump.config ?? undefined, dump.secrets ?? [], io, admin.name);
}

const legacyKinds = { clusters: 'Cluster', endpoints: 'ClusterLoadAssignment', listeners: 'Listener', routes: 'RouteConfiguration' } as const;

export async function offline(o: {
  type: ConfigType | undefined; output: Output; sources: ProxyConfigSources; configDir: string; node: string; metadata: string | undefined;
  legacyType: string | undefined; trustDomain: string | undefined; clusterDomain: string | undefined;
}, io: CommandIo): Promise<number> {
  let metadata: Record<string, unknown> = {};
  if (o.metadata !== undefined) {
    try {
      metadata = JSON.parse(o.metadata) as Record<string, unknown>;
    } catch {
      throw new UsageError('--metadata must be a JSON object');
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new UsageError('--metadata must be a JSON object');
  }
  const legacyType = o.legacyType as keyof typeof legacyKinds | undefined;
  if (legacyType !== undefined && !(legacyType in legacyKinds)) throw new UsageError(`--type must be one of ${Object.keys(legacyKinds).join(', ')}`);
  if (legacyType !== undefined && o.type !== undefined) throw new UsageError('--type filters the JSON of the offline mode without TYPE; with TYPE it is not needed');
  const { dump, warnings } = o.sources.offline({
    configDir: o.configDir, nodeId: o.node, metadata,
    ...(o.trustDomain ? { trustDomain: o.trustDomain } : {}), ...(o.clusterDomain ? { clusterDomain: o.clusterDomain } : {}),
  });
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  if (o.type === undefined) {
    const configs = dump.configs.filter((c) => !legacyType || c.type_url.endsWith(`.${legacyKinds[legacyType]}`));
    print(io, o.output === 'yaml' ? 'yaml' : 'json', { node: dump.node, configs });
    return 0;
  }
  if (o.type === 'secret') {
    io.stderr.write('secrets exist only in a running proxy (its own key and certificate); offline mode has none: skein proxy-config secret POD\n');
    return 1;
  }
  // The resources as the proxy would take them: the same translation and checks as a NACK.
  const [, ip, podDotNs] = dump.node.split('~');
  const dot = podDotNs!.lastIndexOf('.');
  let outboundPorts;
  try {
    outboundPorts = typeof metadata.SKEIN_OUTBOUND_PORTS === 'string' ? parseOutboundPorts(metadata.SKEIN_OUTBOUND_PORTS) : undefined;
  } catch (err) {
    if (err instanceof NodeConfigError) throw new UsageError(`--metadata SKEIN_OUTBOUND_PORTS: ${err.message}`);
    throw err;
  }
  let result;
  try {
    result = checkResources(parseResources(dump), { podName: podDotNs!.slice(0, dot), namespace: podDotNs!.slice(dot + 1), podIp: ip!, ...(outboundPorts ? { outboundPorts } : {}) });
  } catch (err) {
    if (err instanceof CheckInputError) throw new Error(`the translated resources cannot be read: ${err.message}`);
    throw err;
  }
  if (!result.config) {
    for (const l of result.lines.filter((l) => !l.startsWith('OK'))) io.stderr.write(`${l}\n`);
    io.stderr.write('the proxy would refuse this configuration (see above)\n');
    return 1;
  }
  return show(o.type, o.output, result.config, [], io, 'offline');
}
