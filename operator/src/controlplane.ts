/**
 * The control plane's core loop: source events → index → (debounced) translation → consistent
 * snapshots per connected proxy → ADS pushes through a bounded push queue. Also what the
 * monitoring endpoints read.
 *
 * A connected proxy is an authorized ADS stream: everything here (its metadata, snapshot, errors)
 * is keyed by the stream, so a second stream with the same node id is a separate proxy.
 */
import { formatSpiffeId } from '../../api/src/spiffe';
import { type ConfigError, formatConfigError } from './core/config-error';
import { type CertificateMatch, IssuedCertificates } from './core/issued-certificates';
import { MeshIndex, type MeshSettings, defaultMeshSettings } from './core/mesh-index';
import { analyzeModel } from './core/analyze';
import { InconsistentSnapshotError, type Snapshot, SnapshotCache, makeSnapshot } from './core/snapshot';
import { SyncState } from './core/sync-state';
import { authorizeNode, type NodeRules } from './core/proxy-identity';
import { type ProxyInfo, Translator } from './core/translate/translate';
import { type DebounceOptions, Debouncer, defaultDebounce } from './debounce';
import { ControlPlaneMetrics, shortType } from './monitoring/metrics';
import { DefaultPushConcurrency, PushQueue } from './push-queue';
import { type SourceEvent, type SourceListener } from './sources/source';
import { AdsServer, type ConnectedProxy } from './xds/ads-server';

export interface ControlPlaneOptions {
  settings?: MeshSettings;
  /** Which node metadata workload callers may use (default: local mode, explicit ports honoured). */
  nodeRules?: NodeRules;
  debounce?: DebounceOptions;
  /** Pushes (snapshot build + write) running at once (default 100, Istio's PILOT_PUSH_THROTTLE). */
  pushConcurrency?: number;
  metrics?: ControlPlaneMetrics;
  log?: (line: string) => void;
}

export class ControlPlane implements SourceListener {
  readonly index: MeshIndex;
  readonly cache = new SnapshotCache();
  readonly sync = new SyncState();
  readonly metrics: ControlPlaneMetrics;
  readonly ads: AdsServer;
  /** Per ADS stream; `identity`: the SPIFFE id of the certificate the stream was authenticated with. */
  private readonly proxies = new Map<string, ProxyInfo & { identity?: string }>();
  private readonly debouncer: Debouncer;
  readonly pushes: PushQueue;
  private translator: Translator;
  private generation = 0;
  private sourceErrors: ConfigError[] = [];
  private modelErrors: ConfigError[] = [];
  /** Per stream: why its latest snapshot was refused (cleared by the next good one). */
  readonly snapshotErrors = new Map<string, string[]>();
  /** Per stream: translation warnings and node metadata that was ignored. */
  readonly translationWarnings = new Map<string, string[]>();
  /** Certificates the CA issued (fed by `recordCaEvent`): each proxy's expiry in /debug/syncz. */
  readonly certificates = new IssuedCertificates();
  private readonly ignoredMetadata = new Map<string, string[]>();
  ready = false;

  constructor(private readonly options: ControlPlaneOptions = {}) {
    this.index = new MeshIndex(options.settings ?? defaultMeshSettings);
    this.metrics = options.metrics ?? new ControlPlaneMetrics();
    this.translator = new Translator(this.index.model());
    this.debouncer = new Debouncer(() => this.recompute(), options.debounce ?? defaultDebounce);
    this.pushes = new PushQueue((stream) => this.push(stream), {
      maxInFlight: options.pushConcurrency ?? DefaultPushConcurrency,
      onError: (stream, err) => options.log?.(`push to stream ${stream} failed: ${(err as Error).stack ?? String(err)}`),
    });
    this.ads = new AdsServer({
      sync: this.sync,
      log: options.log,
      authorizeNode: (node, metadata, caller) => authorizeNode(node, metadata, caller, this.index.model(), options.nodeRules ?? { localPorts: true }),
      events: {
        connected: (proxy) => this.connected(proxy),
        disconnected: (id) => this.disconnected(id),
        pushed: (type, _id, _n, ms) => {
          this.metrics.pushes.inc({ type: shortType(type) });
          this.metrics.pushSeconds.observe({ type: shortType(type) }, ms / 1000);
        },
        nacked: (type, id, message) => {
          this.metrics.nacks.inc({ type: shortType(type) });
          options.log?.(`xds: ${id} rejected ${shortType(type)}: ${message}`);
        },
      },
    });
  }

  onEvents(events: SourceEvent[]): void {
    let changed = false;
    for (const e of events) changed = (e.type === 'apply' ? this.index.apply(e.object) : this.index.delete(e.key)) || changed;
    if (changed && this.ready) this.debouncer.poke();
  }

  onErrors(errors: ConfigError[]): void {
    this.sourceErrors = errors;
    for (const e of errors) this.options.log?.(`config: ${formatConfigError(e)}`);
    this.updateErrorGauge();
  }

  onSynced(): void {
    this.recompute();
    this.ready = true;
  }

  configErrors(): ConfigError[] {
    return [...this.sourceErrors, ...this.modelErrors];
  }

  private updateErrorGauge(): void {
    this.metrics.configErrors.set(this.sourceErrors.length + this.modelErrors.length);
  }

  /** Takes the current model and queues a push to every connected proxy. */
  recompute(): void {
    const end = this.metrics.recomputeSeconds.startTimer();
    this.generation++;
    const model = this.index.model();
    this.translator = new Translator(model);
    this.modelErrors = analyzeModel(model);
    this.updateErrorGauge();
    for (const stream of this.proxies.keys()) this.pushes.enqueue(stream);
    end();
  }

  /** One queued push: the proxy's snapshot from the newest model, written to its stream. */
  private async push(stream: string): Promise<void> {
    const proxy = this.proxies.get(stream);
    if (!proxy) return;
    const before = this.cache.get(stream);
    const snapshot = this.build(stream, proxy);
    if (snapshot && snapshot !== before) await this.ads.update(stream, snapshot);
  }

  private build(stream: string, proxy: ProxyInfo): Snapshot | undefined {
    const translation = this.translator.translate(proxy);
    const warnings = [...(this.ignoredMetadata.get(stream) ?? []), ...translation.warnings];
    if (warnings.length) this.translationWarnings.set(stream, warnings);
    else this.translationWarnings.delete(stream);
    const snapshot = makeSnapshot(this.generation, translation.parts);
    try {
      this.cache.set(stream, snapshot);
      this.snapshotErrors.delete(stream);
    } catch (err) {
      if (!(err instanceof InconsistentSnapshotError)) throw err;
      this.metrics.snapshotRejections.inc();
      this.snapshotErrors.set(stream, err.problems);
      this.options.log?.(`snapshot: ${err.message}`);
      return this.cache.get(stream);
    }
    return snapshot;
  }

  private connected(proxy: ConnectedProxy): void {
    const info: ProxyInfo = { node: proxy.node, metadata: proxy.metadata };
    this.proxies.set(proxy.stream, { ...info, ...(proxy.identity ? { identity: proxy.identity } : {}) });
    if (proxy.warnings.length) this.ignoredMetadata.set(proxy.stream, proxy.warnings);
    this.metrics.connectedProxies.set(this.proxies.size);
    this.pushes.enqueue(proxy.stream);
  }

  private disconnected(id: string): void {
    this.pushes.forget(id);
    this.proxies.delete(id);
    this.ignoredMetadata.delete(id);
    this.cache.delete(id);
    this.snapshotErrors.delete(id);
    this.translationWarnings.delete(id);
    this.metrics.connectedProxies.set(this.proxies.size);
  }

  /** Wire the CA's events here (`onCaEvent`): issued certificates are shown per proxy. */
  readonly recordCaEvent = (event: { type: string; spiffeId?: string; serialNumber?: string; notAfter?: string; podName?: string }): void => {
    if (event.type !== 'issued' || !event.spiffeId || !event.serialNumber || !event.notAfter) return;
    this.certificates.record({ spiffeId: event.spiffeId, serialNumber: event.serialNumber, notAfter: event.notAfter, ...(event.podName ? { podName: event.podName } : {}) }, new Date().toISOString());
  };

  /**
   * The certificate of the proxy on an ADS stream as far as this CA knows it: by its pod, else by
   * its identity (the certificate it authenticated the stream with, else its service account's).
   */
  certificateOf(stream: string): CertificateMatch | undefined {
    const proxy = this.proxies.get(stream);
    if (!proxy) return undefined;
    return this.certificates.forProxy(proxy.node, proxy.identity ?? this.serviceAccountIdentity(proxy));
  }

  private serviceAccountIdentity(proxy: ProxyInfo): string | undefined {
    const sa = proxy.metadata.SERVICE_ACCOUNT;
    if (typeof sa !== 'string') return undefined;
    try {
      return formatSpiffeId({ trustDomain: this.index.model().trustDomain, namespace: proxy.node.namespace, serviceAccount: sa });
    } catch {
      return undefined;
    }
  }

  /** The proxies with an ADS stream now: node id and the metadata they sent (the dashboard scrapes them). */
  connectedProxies(): ProxyInfo[] {
    return [...this.proxies.values()];
  }

  /** What a proxy would get now (for `proxy-config` and /debug/configz); does not register it. */
  preview(proxy: ProxyInfo): ReturnType<Translator['translate']> {
    return this.translator.translate(proxy);
  }

  stop(): void {
    this.debouncer.cancel();
  }
}
