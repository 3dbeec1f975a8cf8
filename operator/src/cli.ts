/**
 * The operator's verbs: `skein controlplane` (local mode), `analyze`, `install`, `uninstall`,
 * `check`, `proxy-status`. This module holds what `skein help` shows (flags, usage) and stays light:
 * each command loads its implementation (the control plane, the Kubernetes client) when it runs.
 * `install`/`uninstall`/`check --pre` get the manifests from cli/ (operator/ may not import manifests/).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Command, UsageError, usageErrors } from '../../api/src/command';
import { parseDuration } from '../../api/src/duration';
import { ControlPlanePorts, DefaultTrustDomain, SystemNamespace } from '../../api/src/names';
import { validateTrustDomain } from '../../api/src/spiffe';
import { issuanceLimits } from '../../ca/src/cli';
import { defaultIssuanceLimits, formatRateLimit } from '../../ca/src/core/rate-limit';
import type * as ClusterVerbs from './commands/cluster-verbs';
import type * as ConfigFiles from './commands/config-files';
import type * as LocalControlPlane from './commands/controlplane';
import { type MeshSettings } from './core/mesh-index';
import { type ManifestObject } from './kube/install';
import pkg from '../../package.json';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: `skein help` must not load what the verbs run */
const clusterVerbs = () => require('./commands/cluster-verbs') as typeof ClusterVerbs;
const configFiles = () => require('./commands/config-files') as typeof ConfigFiles;
const localControlPlane = () => require('./commands/controlplane') as typeof LocalControlPlane;
/* eslint-enable @typescript-eslint/no-require-imports */

/** The install manifests, as cli/ provides them (rendered by manifests/ from its values model). */
export interface InstallManifests {
  /** The values table for --help (one line per key). */
  valuesHelp(): string;
  /** Renders with the -f files (name and text, in order) then the --set assignments; throws naming a bad value. */
  render(files: { name: string; text: string }[], sets: string[]): { yaml: string; objects: ManifestObject[] };
}

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

const clusterFlags = { kubeconfig: { type: 'string' }, context: { type: 'string' } } as const;
const clusterUsage = `  --kubeconfig FILE          kubeconfig (default: $KUBECONFIG, ~/.kube/config, else in-cluster)
  --context NAME             kubeconfig context (default: the current one)`;
const clusterOptions = (values: { kubeconfig?: string; context?: string }) => ({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) });

const controlplaneUsage = `Usage: skein controlplane --config-dir DIR [--ca-dir DIR] [options]

Local-mode control plane: serves ADS (and the CA) for the mesh described by the YAML in DIR,
reloading on change. ADS requires each proxy's workload certificate (mTLS) matching its node id;
the CA issues first certificates for join tokens and renews over mTLS. The CA directory is
reloaded when it changes (root rotation: skein ca bundle, skein ca switch). (On Kubernetes: skein
controlplane kube.)

  --config-dir DIR          Kubernetes-shaped YAML (Namespace, Service, EndpointSlice, Pod, Skein CRDs)
  --ca-dir DIR              CA directory (skein ca init); required for the TLS listener
  --xds-host HOST           address of the TLS ADS/CA listener (default 0.0.0.0)
  --xds-port PORT           (default ${ControlPlanePorts.xds})
  --plaintext-xds-port PORT also serve ADS without TLS on 127.0.0.1:PORT (proxyless gRPC clients
                            and tests; bound to loopback only, its callers are trusted like the host)
  --monitor-host HOST       (default 127.0.0.1)
  --monitor-port PORT       /metrics /healthz /readyz /version /debug/syncz /debug/configz (default ${ControlPlanePorts.monitoring});
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
  async run(args, io) {
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
    settings(values); // a bad --trust-domain is a usage error before anything starts, a bad limit too:
    const caLimits = issuanceLimits(values['ca-identity-limit'], values['ca-global-limit'], '--ca-');
    return localControlPlane().runLocalControlPlane({
      configDir, caDir: values['ca-dir'], trustDomain: values['trust-domain'],
      settings: (trustDomain) => settings({ ...values, 'trust-domain': trustDomain }),
      xdsHost: values['xds-host'] ?? '0.0.0.0', xdsPort: port(values['xds-port'], '--xds-port', ControlPlanePorts.xds),
      plaintextXdsPort: plaintext,
      monitorHost: values['monitor-host'] ?? '127.0.0.1', monitorPort: port(values['monitor-port'], '--monitor-port', ControlPlanePorts.monitoring),
      pollIntervalMs: poll, caLimits,
    }, io);
  },
};

export const analyzeCommand: Command = {
  path: ['analyze'],
  summary: 'report every configuration problem in one pass: files, or the live cluster (exit 1 if any)',
  usage: `Usage: skein analyze [PATH …] [--kubeconfig FILE] [--context NAME] [--trust-domain TD] [--cluster-domain DOMAIN]

Checks each object (the validator the CRDs and the control plane use) and then what one object
cannot show alone: routes to unknown hosts, subsets no DestinationRule defines, DestinationRules for
unknown hosts, conflicting VirtualServices. Everything in one pass: an object with a schema error
still gets its cross-reference checks.

  PATH       YAML files or directories (recursively). Without PATH: the live cluster's Namespaces,
             Services and Skein resources. With PATH and --kubeconfig/--context: the files as if
             applied to the cluster (they replace cluster objects of the same kind/namespace/name).
${clusterUsage}

Prints every problem as FILE:LINE document N KIND/NS/NAME: FIELD: MESSAGE (objects from the cluster
have no file).`,
  run(args, io) {
    const { values, positionals } = usageErrors(() => parseArgs({
      args, strict: true, allowPositionals: true,
      options: { 'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' }, ...clusterFlags },
    }));
    const mesh = settings(values);
    const live = positionals.length === 0 || values.kubeconfig !== undefined || values.context !== undefined;
    const files = configFiles().readSources(positionals);
    return clusterVerbs().runAnalyze({ files, ...(live ? { cluster: clusterOptions(values) } : {}), settings: mesh }, io);
  },
};

function renderOptions(values: { values?: string[]; set?: string[] }) {
  const files = (values.values ?? []).map((name) => {
    try {
      return { name, text: readFileSync(name, 'utf8') };
    } catch (err) {
      throw new UsageError(`-f ${name}: ${(err as Error).message}`);
    }
  });
  return { files, sets: values.set ?? [] };
}

function render(manifests: InstallManifests, values: { values?: string[]; set?: string[] }) {
  const { files, sets } = renderOptions(values);
  return usageErrors(() => manifests.render(files, sets));
}

const valuesFlags = { values: { type: 'string', short: 'f', multiple: true }, set: { type: 'string', multiple: true } } as const;
const valuesUsage = `  -f, --values FILE          values (a YAML mapping); several apply in order
  --set KEY=VALUE            one value, after the files; repeatable`;

/** `skein install`, `skein uninstall`, `skein check`: they need the manifests, which cli/ provides. */
export function installCommands(manifests: InstallManifests): Command[] {
  const install: Command = {
    path: ['install'],
    summary: 'install or upgrade Skein on the cluster (server-side apply), wait until it is ready',
    get usage() {
      return `Usage: skein install [--dry-run] [-f values.yaml …] [--set key=value …] [--timeout 5m] [--no-wait] [--kubeconfig FILE] [--context NAME]

Installs Skein, or upgrades it in place: server-side apply (field manager "skein") of exactly the
objects \`npm run manifests\` renders with these values, then waits until it works: CRDs Established,
the control plane Deployment available, the webhook's caBundle written by the control plane. A
progress line per object and step. Running it again changes nothing and says so.

  --dry-run                  print the manifests (YAML) with these values; touch nothing
${valuesUsage}
  --timeout DURATION         how long to wait for readiness (default 5m)
  --no-wait                  apply, do not wait
${clusterUsage}

Values (--set KEY=VALUE, or the same keys in a -f file, nested or dotted):
${manifests.valuesHelp()}`;
    },
    async run(args, io) {
      const { values } = usageErrors(() => parseArgs({
        args, strict: true, allowPositionals: false,
        options: { 'dry-run': { type: 'boolean' }, timeout: { type: 'string' }, 'no-wait': { type: 'boolean' }, ...valuesFlags, ...clusterFlags },
      }));
      const timeoutMs = values.timeout === undefined ? 300_000 : usageErrors(() => parseDuration(values.timeout!), '--timeout');
      const rendered = render(manifests, values);
      if (values['dry-run']) {
        io.stdout.write(rendered.yaml);
        return 0;
      }
      return clusterVerbs().runInstall({ cluster: clusterOptions(values), objects: rendered.objects, version: pkg.version, timeoutMs, wait: !values['no-wait'] }, io);
    },
  };
  const uninstall: Command = {
    path: ['uninstall'],
    summary: 'remove Skein from the cluster (--purge: also its CRDs, policies, CA and root certificates)',
    usage: `Usage: skein uninstall [--purge] [-f values.yaml …] [--set key=value …] [--kubeconfig FILE] [--context NAME]

Deletes what \`skein install\` created, the webhook configuration first (no pod creation waits on a
webhook that is going away). Pass the -f/--set you installed with if they added objects.

Without --purge these stay, and it says so: the CRDs with every VirtualService, DestinationRule,
PeerAuthentication and AuthorizationPolicy (your policies); namespace ${SystemNamespace} with the CA
Secret (the mesh's root of trust: a reinstall reuses it and running sidecars keep trusting each
other); the skein-root-cert ConfigMaps in meshed namespaces. Running sidecars stay until their pods
restart.

  --purge                    remove those too (every Skein resource in the cluster is deleted)
${valuesUsage}
${clusterUsage}`,
    async run(args, io) {
      const { values } = usageErrors(() => parseArgs({ args, strict: true, allowPositionals: false, options: { purge: { type: 'boolean' }, ...valuesFlags, ...clusterFlags } }));
      const { objects } = render(manifests, values);
      return clusterVerbs().runUninstall({ cluster: clusterOptions(values), objects, purge: values.purge === true }, io);
    },
  };
  const check: Command = {
    path: ['check'],
    summary: 'check the installation (or, with --pre, whether Skein can be installed); exit 1 if a check fails',
    usage: `Usage: skein check [--pre] [--kubeconfig FILE] [--context NAME]

One line per check, ✓ or × with a hint; exit status 1 if any failed.

  skein check          Kubernetes API reachable and version supported; CRDs established; control
                       plane ready; webhook registered, its caBundle verifying the webhook's serving
                       certificate (connects to it); root certificate published in meshed
                       namespaces; proxies connected and in sync; certificates not close to expiry.
  skein check --pre    before installing: API reachable, version supported, permission to create
                       what install applies, no Skein installation already there.
${clusterUsage}`,
    run(args, io) {
      const { values } = usageErrors(() => parseArgs({ args, strict: true, allowPositionals: false, options: { pre: { type: 'boolean' }, ...clusterFlags } }));
      return clusterVerbs().runCheck({ cluster: clusterOptions(values), pre: values.pre === true, objects: () => manifests.render([], []).objects }, io);
    },
  };
  return [install, uninstall, check];
}

export const proxyStatusCommand: Command = {
  path: ['proxy-status'],
  summary: 'every connected proxy: CDS/LDS/EDS/RDS sync state, config version, certificate expiry',
  usage: `Usage: skein proxy-status [-o table|json] [--kubeconfig FILE] [--context NAME]
       skein proxy-status --monitoring-url URL [-o table|json]

Asks the control plane (every ready replica, through a port-forward to its monitoring port
${ControlPlanePorts.monitoring}) which proxies are connected and, per xDS type, whether each ACKed what it
was sent last: SYNCED, NACKED (with the proxy's reason below the table), STALE (sent, not answered
yet) or NOT SENT. VERSION is the model generation of the proxy's configuration; CERT EXPIRES IN, the
certificate the control plane's CA issued it. Exit status 1 if a control plane could not be asked.

  --monitoring-url URL       local mode: the control plane's monitoring address, e.g. http://127.0.0.1:${ControlPlanePorts.monitoring}
  -o, --output FORMAT        table (default) or json
${clusterUsage}`,
  run(args, io) {
    const { values } = usageErrors(() => parseArgs({
      args, strict: true, allowPositionals: false,
      options: { 'monitoring-url': { type: 'string' }, output: { type: 'string', short: 'o' }, ...clusterFlags },
    }));
    const output = values.output ?? 'table';
    if (output !== 'table' && output !== 'json') throw new UsageError(`-o must be table or json, got "${output}"`);
    if (values['monitoring-url'] && (values.kubeconfig || values.context)) throw new UsageError('--monitoring-url (local mode) and --kubeconfig/--context (cluster) exclude each other');
    if (values['monitoring-url'] && !/^https?:\/\//.test(values['monitoring-url'])) throw new UsageError(`--monitoring-url must be an http:// URL, got "${values['monitoring-url']}"`);
    return clusterVerbs().runProxyStatus({ cluster: clusterOptions(values), ...(values['monitoring-url'] ? { monitoringUrl: values['monitoring-url'] } : {}), output }, io);
  },
};

export const operatorCommands: Command[] = [controlplaneCommand, analyzeCommand, proxyStatusCommand];
