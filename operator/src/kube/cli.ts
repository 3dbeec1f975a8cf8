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
import { validateTrustDomain } from '../../../api/src/spiffe';
import { type InformerNamespaceLookup } from './namespace-lookup';
import type * as RestModule from './rest';
import type * as StartModule from './start';

/**
 * Builds the webhook handler from the namespace lookup and the raw injection config: the file, then
 * what the control plane knows (trust domain, the cluster's version unless the file sets one), then flags.
 */
export type WebhookHandlerFactory = (namespaces: InformerNamespaceLookup, injectionConfig: Record<string, unknown>) => RequestListener;

const usage = `Usage: skein controlplane kube [options]

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
  --trust-domain TD          (default ${DefaultTrustDomain})
  --cluster-domain DOMAIN    (default cluster.local)`;

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

function injectionConfig(file: string | undefined, image: string | undefined, trustDomain: string): Record<string, unknown> {
  let raw: unknown = {};
  if (file) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: help does not parse YAML
      raw = (require('yaml') as typeof Yaml).parse(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new UsageError(`--injection-config ${file}: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--injection-config ${file}: expected a mapping of fields`);
  }
  const fileTrustDomain = (raw as Record<string, unknown>).trustDomain;
  if (fileTrustDomain !== undefined && fileTrustDomain !== trustDomain) {
    throw new UsageError(`--injection-config ${file}: trustDomain ${JSON.stringify(fileTrustDomain)} differs from the control plane's ${JSON.stringify(trustDomain)} (--trust-domain); proxies would not trust each other`);
  }
  return { ...(raw as Record<string, unknown>), trustDomain, ...(image ? { image } : {}) };
}

export function kubeControlPlaneCommand(webhookHandler: WebhookHandlerFactory): Command {
  return {
    path: ['controlplane', 'kube'],
    summary: 'run the control plane on Kubernetes (informers, ADS, CA, webhook, leader election)',
    usage,
    async run(args, io) {
      const { values } = usageErrors(() =>
        parseArgs({
          args, strict: true, allowPositionals: false,
          options: {
            kubeconfig: { type: 'string' }, identity: { type: 'string' }, namespace: { type: 'string' },
            'xds-host': { type: 'string' }, 'xds-port': { type: 'string' }, 'monitor-host': { type: 'string' }, 'monitor-port': { type: 'string' },
            'webhook-host': { type: 'string' }, 'webhook-port': { type: 'string' }, 'webhook-configuration': { type: 'string' }, 'no-webhook': { type: 'boolean' },
            'injection-config': { type: 'string' }, 'proxy-image': { type: 'string' },
            'trust-domain': { type: 'string' }, 'cluster-domain': { type: 'string' },
          },
        }),
      );
      const trustDomain = values['trust-domain'] ?? DefaultTrustDomain;
      usageErrors(() => validateTrustDomain(trustDomain));
      const injection = injectionConfig(values['injection-config'], values['proxy-image'], trustDomain);
      const xdsPort = port(values['xds-port'], '--xds-port', ControlPlanePorts.xds);
      const monitorPort = port(values['monitor-port'], '--monitor-port', ControlPlanePorts.monitoring);
      const webhookPort = port(values['webhook-port'], '--webhook-port', ControlPlanePorts.webhook);
      /* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: help must not load the Kubernetes client */
      const { KubeRestClient, loadKubeConfig } = require('./rest') as typeof RestModule;
      const { startKubeControlPlane } = require('./start') as typeof StartModule;
      /* eslint-enable @typescript-eslint/no-require-imports */
      const api = new KubeRestClient(loadKubeConfig({ kubeconfig: values.kubeconfig }));
      const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const running = await startKubeControlPlane({
        api, log,
        identity: values.identity ?? process.env.POD_NAME ?? hostname(),
        namespace: values.namespace ?? process.env.POD_NAMESPACE ?? SystemNamespace,
        settings: { trustDomain, clusterDomain: values['cluster-domain'] ?? 'cluster.local', rootNamespace: SystemNamespace },
        xdsHost: values['xds-host'] ?? '0.0.0.0', xdsPort,
        monitorHost: values['monitor-host'] ?? '0.0.0.0', monitorPort,
        webhookPort, webhookConfigurationName: values['webhook-configuration'],
        ...(values['webhook-host'] ? { webhookHost: values['webhook-host'] } : {}),
        ...(values['no-webhook'] ? {} : {
          webhookHandler: (namespaces: InformerNamespaceLookup, cluster: { version?: string }) =>
            webhookHandler(namespaces, { ...(cluster.version ? { clusterVersion: cluster.version } : {}), ...injection }),
        }),
      });
      log(`controlplane: ADS+CA on :${running.xdsPort}, monitoring on :${running.monitorPort}${running.webhook ? `, webhook on :${running.webhook.port}` : ''}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      log('controlplane: shutting down (releasing the leader Lease)');
      await running.stop();
      return 0;
    },
  };
}
