/**
 * The control plane's core loop: source events → index → (debounced) translation → consistent
 * snapshots per connected proxy → ADS pushes. Also what the monitoring endpoints read.
 */
import { formatSpiffeId } from '../../api/src/spiffe';
import { type ConfigError, formatConfigError } from './core/config-error';
import { type CertificateMatch, IssuedCertificates } from './core/issued-certificates';
import { type ProxyNode, parseNodeId } from './core/node-id';
import { MeshIndex, type MeshSettings, defaultMeshSettings } from './core/mesh-index';
import { analyzeModel } from './core/analyze';
import { InconsistentSnapshotError, type Snapshot, SnapshotCache, makeSnapshot } from './core/snapshot';
import { SyncState } from './core/sync-state';
import { type ProxyInfo, Translator } from './core/translate/translate';
import { type DebounceOptions, Debouncer, defaultDebounce } from './debounce';
import { ControlPlaneMetrics, shortType } from './monitoring/metrics';
import { type SourceEvent, type SourceListener } from './sources/source';
import { AdsServer } from './xds/ads-server';

export interface ControlPlaneOptions {
  settings?: MeshSettings;
  debounce?: DebounceOptions;
  metrics?: ControlPlaneMetrics;
  log?: (line: string) => void;
}

export class ControlPlane implements SourceListener {
  readonly index: MeshIndex;
  readonly cache = new SnapshotCache();
  readonly sync = new SyncState();
  readonly metrics: ControlPlaneMetrics;
  readonly ads: AdsServer;
  private readonly proxies = new Map<string, ProxyInfo>();
  private readonly debouncer: Debouncer;
  private translator: Translator;
  private generation = 0;
  private sourceErrors: ConfigError[] = [];
  private modelErrors: ConfigError[] = [];
  /** Per node: why its latest snapshot was refused (cleared by the next good one). */
  readonly snapshotErrors = new Map<string, string[]>();
  readonly translationWarnings = new Map<string, string[]>();
  /** Certificates the CA issued (fed by `recordCaEvent`): each proxy's expiry in /debug/syncz. */
  readonly certificates = new IssuedCertificates();
  ready = false;

  constructor(private readonly options: ControlPlaneOptions = {}) {
    this.index = new MeshIndex(options.settings ?? defaultMeshSettings);
    this.metrics = options.metrics ?? new ControlPlaneMetrics();
    this.translator = new Translator(this.index.model());
    this.debouncer = new Debouncer(() => this.recompute(), options.debounce ?? defaultDebounce);
    this.ads = new AdsServer({
      sync: this.sync,
      log: options.log,
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

  /** Rebuilds every connected proxy's snapshot from the current model. */
  recompute(): void {
    const end = this.metrics.recomputeSeconds.startTimer();
    this.generation++;
    const model = this.index.model();
    this.translator = new Translator(model);
    this.modelErrors = analyzeModel(model);
    this.updateErrorGauge();
    for (const proxy of this.proxies.values()) this.build(proxy);
    end();
  }

  private build(proxy: ProxyInfo): Snapshot | undefined {
    const id = proxy.node.id;
    const translation = this.translator.translate(proxy);
    if (translation.warnings.length) this.translationWarnings.set(id, translation.warnings);
    else this.translationWarnings.delete(id);
    const snapshot = makeSnapshot(this.generation, translation.parts);
    try {
      this.cache.set(id, snapshot);
      this.snapshotErrors.delete(id);
    } catch (err) {
      if (!(err instanceof InconsistentSnapshotError)) throw err;
      this.metrics.snapshotRejections.inc();
      this.snapshotErrors.set(id, err.problems);
      this.options.log?.(`snapshot: ${err.message}`);
      return this.cache.get(id);
    }
    this.ads.update(id, snapshot);
    return snapshot;
  }

  private connected(proxy: ProxyInfo): Snapshot | undefined {
    this.proxies.set(proxy.node.id, proxy);
    this.metrics.connectedProxies.set(this.proxies.size);
    return this.build(proxy);
  }

  private disconnected(id: string): void {
    this.proxies.delete(id);
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

  /** A connected proxy's certificate as far as this CA knows it (by pod, else by its service account's identity). */
  certificateOf(nodeId: string): CertificateMatch | undefined {
    let node: ProxyNode;
    try {
      node = parseNodeId(nodeId);
    } catch {
      return undefined;
    }
    const sa = this.proxies.get(nodeId)?.metadata.SERVICE_ACCOUNT;
    let spiffeId: string | undefined;
    try {
      spiffeId = typeof sa === 'string' ? formatSpiffeId({ trustDomain: this.index.model().trustDomain, namespace: node.namespace, serviceAccount: sa }) : undefined;
    } catch {
      spiffeId = undefined;
    }
    return this.certificates.forProxy(node, spiffeId);
  }

  /** What a proxy would get now (for `proxy-config` and /debug/configz); does not register it. */
  preview(proxy: ProxyInfo): ReturnType<Translator['translate']> {
    return this.translator.translate(proxy);
  }

  stop(): void {
    this.debouncer.cancel();
  }
}
