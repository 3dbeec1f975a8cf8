/**
 * The control plane on Kubernetes: informers → the same ControlPlane core as local mode → ADS; the CA
 * (TokenReview authentication) on the same gRPC server; the admission webhook over HTTPS with a
 * CA-issued, rotating certificate; monitoring (/readyz turns ready after every informer synced).
 * Every replica serves; only the Lease holder writes: CA Secret creation, skein-root-cert ConfigMaps,
 * the webhook's caBundle, CRD status conditions.
 */
import { type RequestListener } from 'node:http';
import { SystemNamespace } from '../../../api/src/names';
import { TokenReviewAuthenticator } from '../../../ca/src/auth/token-review';
import { type IssuanceLimits } from '../../../ca/src/core/rate-limit';
import { LiveCa } from '../../../ca/src/service/live-ca';
import { ControlPlane } from '../controlplane';
import { type MeshSettings } from '../core/mesh-index';
import { debugAccess } from '../monitoring/debug-access';
import { startMonitoring } from '../monitoring/http-server';
import { ControlPlaneMetrics } from '../monitoring/metrics';
import { startXdsServer } from '../xds/grpc-server';
import { type KubeApi } from './api';
import { obtainClusterCa, watchClusterCa } from './ca-secret';
import { KubeSource } from './kube-source';
import { LeaderElector } from './leader-election';
import { InformerNamespaceLookup } from './namespace-lookup';
import { RootCertPublisher } from './root-cert-publisher';
import { StatusWriter } from './status-writer';
import { KubeTokenReviewer } from './token-reviewer';
import { DefaultWebhookConfigurationName, syncWebhookCaBundle } from './webhook-ca-bundle';
import { type RunningWebhookServer, startWebhookServing } from './webhook-serving';

export interface KubeControlPlaneOptions {
  api: KubeApi;
  /** This replica's name (POD_NAME): the Lease holder identity. */
  identity: string;
  /** Where the control plane runs (POD_NAMESPACE): Lease, CA Secret. */
  namespace?: string;
  settings: MeshSettings;
  xdsHost: string;
  xdsPort: number;
  monitorHost: string;
  monitorPort: number;
  /**
   * The webhook's request handler, given the namespace lookup and the cluster's Kubernetes version
   * (from GET /version; undefined when it cannot be read), which decides native sidecars.
   * No webhook when absent.
   */
  webhookHandler?: (namespaces: InformerNamespaceLookup, cluster: { version?: string }) => RequestListener;
  webhookHost?: string;
  webhookPort?: number;
  webhookConfigurationName?: string;
  /** Leader election timings (defaults 15 s / 10 s / 2 s). */
  lease?: { durationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  /** How often the leader re-checks the webhook caBundle and every skein-root-cert ConfigMap (default 60 s). */
  resyncMs?: number;
  /** CA issuance rate limits (default ca/src/core/rate-limit.ts). */
  caLimits?: IssuanceLimits;
  /** Aborts a start that is still waiting (e.g. for the API server or the CA): SIGTERM before ready. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface RunningKubeControlPlane {
  controlPlane: ControlPlane;
  source: KubeSource;
  elector: LeaderElector;
  xdsPort?: number;
  monitorPort: number;
  webhook?: RunningWebhookServer;
  stop(): Promise<void>;
}

/** The API server's version (`gitVersion`, e.g. v1.31.2); throws when it cannot be read. */
async function clusterVersion(api: KubeApi): Promise<{ version?: string }> {
  const info = await api.get<{ gitVersion?: string }>('/version');
  return info.gitVersion ? { version: info.gitVersion } : {};
}

/**
 * The webhook's handler for the cluster's version (native sidecars depend on it). When the API
 * server cannot be reached yet, a handler without the version serves while the version is retried
 * with capped backoff in the background, and replaces it once known.
 */
async function versionedWebhookHandler(
  build: (cluster: { version?: string }) => RequestListener, api: KubeApi, log: (line: string) => void, signal: AbortSignal,
): Promise<RequestListener> {
  const version = await clusterVersion(api).catch((err: Error) => err);
  if (!(version instanceof Error)) return build(version);
  let current = build({});
  void (async () => {
    let failure: Error = version;
    for (let delayMs = 500; !signal.aborted; delayMs = Math.min(delayMs * 2, 30_000)) {
      log(`cannot read the cluster version yet (native sidecars stay off until it is known): ${failure.message}; retrying in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      const next = await clusterVersion(api).catch((err: Error) => err);
      if (!(next instanceof Error)) {
        current = build(next);
        return;
      }
      failure = next;
    }
  })();
  return (req, res) => current(req, res);
}

export async function startKubeControlPlane(options: KubeControlPlaneOptions): Promise<RunningKubeControlPlane> {
  const log = options.log ?? (() => undefined);
  const namespace = options.namespace ?? SystemNamespace;
  const { api } = options;
  // Pods are captured by iptables: explicit-port node metadata is local mode's, ignored here.
  const controlPlane = new ControlPlane({ settings: options.settings, log, metrics: new ControlPlaneMetrics(), nodeRules: { localPorts: false } });
  const source = new KubeSource({ api, listener: controlPlane, log });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    controlPlane.stop();
    for (const s of stops.reverse()) await s().catch((err: Error) => log(`shutdown: ${err.message}`));
  };
  const caAbort = new AbortController();
  options.signal?.addEventListener('abort', () => caAbort.abort(), { once: true });
  let caWaiting: string | undefined = 'loading the CA';
  let trustBundle = '';
  const statusWriter = new StatusWriter({ api, lookup: (kind) => source.informer(kind).cache, log });
  const publisher = new RootCertPublisher({
    api, log, trustBundlePem: () => trustBundle,
    namespaces: () => source.informer('Namespace').cache.values(), pods: () => source.informer('Pod').cache.values(),
  });
  source.subscribe((events) => {
    statusWriter.onEvents(events);
    if (trustBundle) publisher.onEvents(events);
  });
  const webhookConfig = options.webhookConfigurationName ?? DefaultWebhookConfigurationName;
  const syncCaBundle = () => {
    if (!elector.isLeader() || !trustBundle || !options.webhookHandler) return;
    syncWebhookCaBundle(api, webhookConfig, trustBundle).then(
      (wrote) => wrote && log(`webhook: caBundle of ${webhookConfig} updated`),
      (err: Error) => log(`webhook: cannot update caBundle of ${webhookConfig}: ${err.message}`),
    );
  };
  let caBundleTimer: NodeJS.Timeout | undefined;
  const leaderWork = (leading: boolean) => {
    statusWriter.setLeader(leading);
    if (!trustBundle) return;
    publisher.setLeader(leading);
    syncCaBundle();
  };
  const elector = new LeaderElector({
    api, identity: options.identity, namespace, log,
    leaseDurationMs: options.lease?.durationMs, renewDeadlineMs: options.lease?.renewDeadlineMs, retryPeriodMs: options.lease?.retryPeriodMs,
    onStartedLeading: () => leaderWork(true),
    onStoppedLeading: () => leaderWork(false),
  });
  // Not ready until every informer listed once and the CA is loaded; each reason is shown by /readyz.
  const readiness = () => [
    ...source.waitingFor().map((line) => `informer ${line}`),
    ...(caWaiting ? [`CA: ${caWaiting}`] : []),
    ...(source.hasSynced() && !controlPlane.ready ? ['building the first configuration'] : []),
  ];
  try {
    const namespaces = new InformerNamespaceLookup(source.informer('Namespace'));
    const webhookFactory = options.webhookHandler && ((cluster: { version?: string }) => options.webhookHandler!(namespaces, cluster));
    webhookFactory?.({}); // a bad injection config fails the start before anything listens
    // Security (issue 18): /debug/* answers loopback (kubectl port-forward) or a token of this namespace.
    const tokenReview = new TokenReviewAuthenticator(new KubeTokenReviewer(api));
    const debug = debugAccess({ authenticator: tokenReview, namespaces: [namespace] });
    const monitoring = await startMonitoring(controlPlane, options.monitorHost, options.monitorPort, readiness, { debug });
    stops.push(monitoring.close);
    log(`monitoring on ${options.monitorHost}:${monitoring.port} (/healthz, /readyz says what the control plane waits for)`);
    const handler = webhookFactory && await versionedWebhookHandler(webhookFactory, api, log, caAbort.signal);
    const synced = source.start();
    stops.push(() => source.stop());
    elector.start();
    stops.push(() => elector.stop()); // runs before the source stops: the Lease is released first
    stops.push(async () => caAbort.abort());
    const ca = await obtainClusterCa({
      api, namespace, trustDomain: options.settings.trustDomain, isLeader: () => elector.isLeader(), signal: caAbort.signal, log,
      waiting: (reason) => (caWaiting = reason),
    });
    // Security (issue 18): the CA follows its Secret (root rotation); a new bundle is republished.
    const live = new LiveCa(ca);
    trustBundle = live.trustBundlePem();
    live.onChange(() => {
      trustBundle = live.trustBundlePem();
      syncCaBundle();
      publisher.resync();
    });
    const caWatch = watchClusterCa({ api, live, namespace, intervalMs: options.resyncMs ?? 60_000, log });
    stops.push(async () => caWatch.stop());
    if (elector.isLeader()) leaderWork(true);
    caBundleTimer = setInterval(() => {
      syncCaBundle();
      publisher.resync();
    }, options.resyncMs ?? 60_000);
    caBundleTimer.unref();
    stops.push(async () => clearInterval(caBundleTimer));
    const xds = await startXdsServer({
      ads: controlPlane.ads, ca: live, host: options.xdsHost, port: options.xdsPort, authenticators: [tokenReview], limits: options.caLimits, log,
      onCaEvent: controlPlane.recordCaEvent,
    });
    stops.push(xds.close);
    let webhook: RunningWebhookServer | undefined;
    if (handler) {
      webhook = await startWebhookServing({ ca: live, handler, host: options.webhookHost ?? '0.0.0.0', port: options.webhookPort ?? 15017, log });
      stops.push(webhook.close);
    }
    void synced.catch((err: Error) => log(`informers: ${err.message}`));
    return { controlPlane, source, elector, xdsPort: xds.port, monitorPort: monitoring.port, ...(webhook ? { webhook } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
