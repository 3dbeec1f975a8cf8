/**
 * `skein controlplane kube`: the control plane on Kubernetes (what the install manifests run).
 * The webhook's request handler is passed in by cli/ (operator/ may not import webhook/). The
 * Kubernetes client and the control plane load when the command runs, not when `skein help` lists it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type RequestListener } from 'node:http';
import { parseArgs } from 'node:util';
import type * as Yaml from 'yaml';
import { type Command, UsageError, usageErrors } from '../../../api/src/command';
import { ControlPlanePorts, DefaultTrustDomain, SystemNamespace, WebhookConfigurationName as DefaultWebhookConfigurationName } from '../../../api/src/names';
import { formatDuration, parseDuration } from '../../../api/src/duration';
import { validateTrustDomain } from '../../../api/src/spiffe';
import { issuanceLimits } from '../../../ca/src/cli';
import { defaultIssuanceLimits, formatRateLimit } from '../../../ca/src/core/rate-limit';
import type * as LeaderElection from './leader-election';
import { type InformerNamespaceLookup } from './namespace-lookup';
import type * as RestModule from './rest';
import { type RunningKubeControlPlane } from './start';
import type * as StartModule from './start';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: `skein help` must not load the Kubernetes client */
const load = {
  yaml: () => require('yaml') as typeof Yaml,
  leaderElection: () => require('./leader-election') as typeof LeaderElection,
  rest: () => require('./rest') as typeof RestModule,
  start: () => require('./start') as typeof StartModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Builds the webhook handler from the namespace lookup and the raw injection config: the file, then
 * what the control plane knows (trust domain, the cluster's version unless the file sets one), then flags.
 */
export type WebhookHandlerFactory = (namespaces: InformerNamespaceLookup, injectionConfig: Record<string, unknown>) => RequestListener;

const usage = (): string => {
  const { LeaseDefaults } = load.leaderElection();
  return `Usage: skein controlplane kube [options]

The control plane on Kubernetes: watches Namespaces, Services, EndpointSlices, Pods, ServiceAccounts
and the Skein CRDs; serves ADS and the CA (TokenReview) on --xds-port, the injection webhook on
--webhook-port, monitoring on --monitor-port. Every replica serves; the Lease holder does the
singleton work (CA Secret, skein-root-cert ConfigMaps, webhook caBundle, CRD status).

  --kubeconfig FILE          default: in-cluster config when KUBERNETES_SERVICE_HOST is set, else $KUBECONFIG/~/.kube/config
  --identity NAME            Lease holder identity (default $POD_NAME, else the host name)
  --namespace NS             namespace of the Lease and the CA Secret (default $POD_NAMESPACE, else ${SystemNamespace})
  --xds-host HOST            (default 0.0.0.0)
  --xds-port PORT            (default ${ControlPlanePorts.xds})
  --monitor-host HOST        (default 0.0.0.0: the kubelet probes it)
  --monitor-port PORT        (default ${ControlPlanePorts.monitoring})
  --webhook-host HOST        (default 0.0.0.0: the API server calls it)
  --webhook-port PORT        (default ${ControlPlanePorts.webhook})
  --webhook-configuration N  MutatingWebhookConfiguration whose caBundle the leader keeps current (default ${DefaultWebhookConfigurationName})
  --no-webhook               do not serve the injection webhook
  --injection-config FILE    injection config (YAML, fields in docs/injection.md)
  --proxy-image IMAGE        image of the injected containers (overrides the config's image)
  --capture-mode init|cni    how injected pods get their traffic capture (overrides the config's captureMode):
                             init = the skein-init container, cni = the Skein CNI node agent
  --trust-domain TD          (default ${DefaultTrustDomain})
  --cluster-domain DOMAIN    (default cluster.local)
  --lease-duration DURATION  how long a leader's Lease is honoured after its last renewal (default ${formatDuration(LeaseDefaults.leaseDurationMs)})
  --renew-deadline DURATION  a leader that cannot renew for this long steps down (default ${formatDuration(LeaseDefaults.renewDeadlineMs)})
  --retry-period DURATION    how often the Lease is renewed or tried (default ${formatDuration(LeaseDefaults.retryPeriodMs)})
  --ca-identity-limit R      certificates per identity, RATE/UNIT:BURST (default ${formatRateLimit(defaultIssuanceLimits.perIdentity)}; beyond: RESOURCE_EXHAUSTED)
  --ca-global-limit R        certificates in total (default ${formatRateLimit(defaultIssuanceLimits.global)})

The control plane never exits because the API server is unreachable or a CRD is missing: it retries
with capped backoff, /healthz stays live and /readyz answers 503 with the reason.`;
};

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

/** The three Lease flags, each defaulting to client-go's value, checked together as client-go does. */
function leaseTimings(duration: string | undefined, renewDeadline: string | undefined, retryPeriod: string | undefined) {
  const { LeaseDefaults, leaseTimingProblem } = load.leaderElection();
  const ms = (value: string | undefined, flag: string, fallback: number) => (value === undefined ? fallback : usageErrors(() => parseDuration(value), flag));
  const timings = {
    leaseDurationMs: ms(duration, '--lease-duration', LeaseDefaults.leaseDurationMs),
    renewDeadlineMs: ms(renewDeadline, '--renew-deadline', LeaseDefaults.renewDeadlineMs),
    retryPeriodMs: ms(retryPeriod, '--retry-period', LeaseDefaults.retryPeriodMs),
  };
  const problem = leaseTimingProblem(timings);
  if (problem) throw new UsageError(`--lease-duration/--renew-deadline/--retry-period: ${problem}`);
  return { durationMs: timings.leaseDurationMs, renewDeadlineMs: timings.renewDeadlineMs, retryPeriodMs: timings.retryPeriodMs };
}

function injectionConfig(file: string | undefined, image: string | undefined, trustDomain: string, captureMode: string | undefined): Record<string, unknown> {
  let raw: unknown = {};
  if (file) {
    try {
      raw = load.yaml().parse(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new UsageError(`--injection-config ${file}: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--injection-config ${file}: expected a mapping of fields`);
  }
  const fileTrustDomain = (raw as Record<string, unknown>).trustDomain;
  if (fileTrustDomain !== undefined && fileTrustDomain !== trustDomain) {
    throw new UsageError(`--injection-config ${file}: trustDomain ${JSON.stringify(fileTrustDomain)} differs from the control plane's ${JSON.stringify(trustDomain)} (--trust-domain); proxies would not trust each other`);
  }
  if (captureMode !== undefined && captureMode !== 'init' && captureMode !== 'cni') throw new UsageError(`--capture-mode must be init or cni, got "${captureMode}"`);
  return { ...(raw as Record<string, unknown>), trustDomain, ...(image ? { image } : {}), ...(captureMode ? { captureMode } : {}) };
}

export function kubeControlPlaneCommand(webhookHandler: WebhookHandlerFactory): Command {
  return {
    path: ['controlplane', 'kube'],
    summary: 'run the control plane on Kubernetes (informers, ADS, CA, webhook, leader election)',
    get usage() {
      return usage();
    },
    async run(args, io) {
      const { values } = usageErrors(() =>
        parseArgs({
          args, strict: true, allowPositionals: false,
          options: {
            kubeconfig: { type: 'string' }, identity: { type: 'string' }, namespace: { type: 'string' },
            'xds-host': { type: 'string' }, 'xds-port': { type: 'string' }, 'monitor-host': { type: 'string' }, 'monitor-port': { type: 'string' },
            'webhook-host': { type: 'string' }, 'webhook-port': { type: 'string' }, 'webhook-configuration': { type: 'string' }, 'no-webhook': { type: 'boolean' },
            'injection-config': { type: 'string' }, 'proxy-image': { type: 'string' }, 'capture-mode': { type: 'string' },
            'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' },
            'lease-duration': { type: 'string' }, 'renew-deadline': { type: 'string' }, 'retry-period': { type: 'string' },
            'ca-identity-limit': { type: 'string' }, 'ca-global-limit': { type: 'string' },
          },
        }),
      );
      const trustDomain = values['trust-domain'] ?? DefaultTrustDomain;
      usageErrors(() => validateTrustDomain(trustDomain));
      const injection = injectionConfig(values['injection-config'], values['proxy-image'], trustDomain, values['capture-mode']);
      const xdsPort = port(values['xds-port'], '--xds-port', ControlPlanePorts.xds);
      const monitorPort = port(values['monitor-port'], '--monitor-port', ControlPlanePorts.monitoring);
      const webhookPort = port(values['webhook-port'], '--webhook-port', ControlPlanePorts.webhook);
      const lease = leaseTimings(values['lease-duration'], values['renew-deadline'], values['retry-period']);
      const { KubeRestClient, loadKubeConfig } = load.rest();
      const api = new KubeRestClient(loadKubeConfig({ kubeconfig: values.kubeconfig }));
      const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
      // Signals are handled from the first moment: a pod terminated while it still waits for the API
      // server or the CA shuts down cleanly too.
      const terminated = new AbortController();
      const onSignal = () => terminated.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let running: RunningKubeControlPlane;
      try {
        running = await load.start().startKubeControlPlane({
          signal: terminated.signal,
          api, log,
          identity: values.identity ?? process.env.POD_NAME ?? hostname(),
          namespace: values.namespace ?? process.env.POD_NAMESPACE ?? SystemNamespace,
          settings: { trustDomain, clusterDomain: values['cluster-domain'] ?? 'cluster.local', rootNamespace: SystemNamespace },
          xdsHost: values['xds-host'] ?? '0.0.0.0', xdsPort,
          monitorHost: values['monitor-host'] ?? '0.0.0.0', monitorPort,
          webhookPort, webhookConfigurationName: values['webhook-configuration'], lease,
          ...(values['webhook-host'] ? { webhookHost: values['webhook-host'] } : {}),
          caLimits: issuanceLimits(values['ca-identity-limit'], values['ca-global-limit'], '--ca-'),
          ...(values['no-webhook'] ? {} : {
            webhookHandler: (namespaces: InformerNamespaceLookup, cluster: { version?: string }) =>
              webhookHandler(namespaces, { ...(cluster.version ? { clusterVersion: cluster.version } : {}), ...injection }),
          }),
        });
      } catch (err) {
        if (!terminated.signal.aborted) throw err;
        log('controlplane: stopped before it was ready');
        return 0;
      }
      log(`controlplane: ADS+CA on :${running.xdsPort}, monitoring on :${running.monitorPort}${running.webhook ? `, webhook on :${running.webhook.port}` : ''}`);
      if (!terminated.signal.aborted) await new Promise((resolve) => terminated.signal.addEventListener('abort', resolve, { once: true }));
      log('controlplane: shutting down (releasing the leader Lease)');
      await running.stop();
      return 0;
    },
  };
}
