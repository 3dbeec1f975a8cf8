/**
 * The sidecar proxy: owns the listeners, the upstream pools, the TLS contexts, the admin/health/
 * Prometheus endpoints, and the current config snapshot.
 *
 *   const proxy = new Proxy(config, identityProvider, { originalDst });
 *   await proxy.start();
 *   await proxy.applyConfig(next);   // validated first; a bad config throws and changes nothing
 *
 * `applyConfig` never drops live connections: listeners whose address:port stays are updated in
 * place; requests in flight finish on the snapshot they started with; new requests use the new one.
 */
import net from 'node:net';
import type { IdentityProvider } from '../../api/src/identity';
import { InboundPassthroughSource, ProxyPorts } from '../../api/src/names';
import { adminRoutes, healthRoutes, prometheusRoutes, serveRoutes, type AdminSource } from './admin/admin';
import { ProxyMetrics } from './admin/metrics';
import type { ProxyConfig } from './config/model';
import { validateConfig } from './config/validate';
import { DefaultResetLimits, ProcessResets, type ResetLimits } from './core/reset-guard';
import { HttpForwarder, type AccessLogEntry } from './http/forward';
import { ListenerRuntime, type OriginalDst } from './listeners/listener';
import { Snapshot } from './runtime/snapshot';
import { TlsContexts } from './tls/contexts';
import { poolKey, Upstreams } from './upstream/upstreams';
import type http from 'node:http';
import { secretsDump } from './admin/secrets-dump';

export interface ProxyOptions {
  /** Admin API bind (loopback only). Default 127.0.0.1:15000; port 0 picks a free one; `null` disables. */
  admin?: { address?: string; port?: number } | null;
  /** Health (`/healthz/ready`). Default 0.0.0.0:15021. */
  health?: { address?: string; port?: number } | null;
  /** Prometheus. Default 0.0.0.0:15090. */
  prometheus?: { address?: string; port?: number } | null;
  /** Original destination lookup for transparent listeners (SO_ORIGINAL_DST in pods). */
  originalDst?: OriginalDst;
  /**
   * Source address for inbound connections to the app. Default: 127.0.0.6 (InboundPassthroughSource)
   * when it can be bound on this host, otherwise none (the kernel picks). `false`: never.
   */
  inboundSource?: string | false;
  random?: () => number;
  now?: () => number;
  sniffTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** How long removed listeners keep serving their live connections before they are closed. Default 10000 ms. */
  drainMs?: number;
  accessLog?: (entry: AccessLogEntry) => void;
  /** Include process metrics (CPU, RSS, event loop) in /stats. Default true. */
  processMetrics?: boolean;
  /** Called after POST /quitquitquit closed the proxy (the CLI exits the process). */
  onQuit?: () => void;
  /** stream_idle_timeout for connection managers that set none (`--stream-idle-timeout`). Default 5 min; 0: none. */
  streamIdleTimeoutMs?: number;
  /** HTTP/2 premature-reset limits (rapid reset); Envoy's defaults. */
  resetLimits?: ResetLimits;
}

export class Proxy {
  readonly metrics: ProxyMetrics;
  private snapshot: Snapshot;
  private readonly tls: TlsContexts;
  private readonly upstreams: Upstreams;
  private readonly forwarder: HttpForwarder;
  /** Premature HTTP/2 resets across every connection of every listener. */
  private readonly resets: ProcessResets;
  private readonly listeners = new Map<string, ListenerRuntime>();
  private readonly servers: http.Server[] = [];
  private readonly ports: Record<'admin' | 'health' | 'prometheus', number | undefined> = { admin: undefined, health: undefined, prometheus: undefined };
  private inboundSource: string | undefined;
  private closed = false;
  private started = false;

  constructor(config: ProxyConfig | unknown, identity: IdentityProvider, private readonly options: ProxyOptions = {}) {
    this.snapshot = new Snapshot(validateConfig(config));
    this.metrics = new ProxyMetrics(options.processMetrics !== false);
    this.tls = new TlsContexts(identity);
    this.upstreams = new Upstreams(this.tls);
    this.resets = new ProcessResets(options.resetLimits ?? DefaultResetLimits);
    this.forwarder = new HttpForwarder({
      ...this.commonDeps(),
      now: options.now ?? Date.now,
      activeRequests: this.upstreams.activeRequests,
      accessLog: options.accessLog,
      streamIdleTimeoutMs: options.streamIdleTimeoutMs,
    });
  }

  private commonDeps() {
    return {
      snapshot: () => this.snapshot,
      upstreams: this.upstreams,
      metrics: this.metrics,
      random: this.options.random ?? Math.random,
      ownId: () => this.tls.spiffeId,
      node: () => this.snapshot.config.node,
      inboundSource: () => this.inboundSource,
    };
  }

  /** Binds every listener and the admin/health/Prometheus ports. */
  async start(): Promise<void> {
    if (this.started) throw new Error('proxy already started');
    this.started = true;
    this.inboundSource = this.options.inboundSource === false ? undefined : (this.options.inboundSource ?? ((await canBind(InboundPassthroughSource)) ? InboundPassthroughSource : undefined));
    try {
      for (const l of this.snapshot.config.listeners) await this.openListener(l);
      const src = this.adminSource();
      const o = this.options;
      const bind = async (which: 'admin' | 'health' | 'prometheus', opt: { address?: string; port?: number } | null | undefined, address: string, port: number, routes: Parameters<typeof serveRoutes>[2]): Promise<void> => {
        if (opt === null) return;
        const s = await serveRoutes(opt?.address ?? address, opt?.port ?? port, routes);
        this.servers.push(s.server);
        this.ports[which] = s.port;
      };
      await bind('admin', o.admin, '127.0.0.1', ProxyPorts.admin, adminRoutes(src));
      await bind('health', o.health, '0.0.0.0', ProxyPorts.health, healthRoutes(src));
      await bind('prometheus', o.prometheus, '0.0.0.0', ProxyPorts.prometheus, prometheusRoutes(src));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Validates and applies a new snapshot. Throws ConfigError (keeping the current config) if it is
   * invalid, or the bind error if a new listener cannot bind (listeners opened so far are kept).
   */
  async applyConfig(input: ProxyConfig | unknown): Promise<void> {
    let config: ProxyConfig;
    try {
      config = validateConfig(input);
    } catch (err) {
      this.metrics.configApplied.inc({ result: 'rejected' });
      throw err;
    }
    const next = new Snapshot(config);
    const wanted = new Map(config.listeners.map((l) => [l.name, l]));
    // Open new listeners first so a bind failure leaves the old config in place.
    const opened: ListenerRuntime[] = [];
    try {
      for (const l of config.listeners) {
        const cur = this.listeners.get(l.name);
        const old = this.snapshot.listeners.get(l.name);
        if (cur && old && old.address === l.address && old.port === l.port) continue;
        if (cur) this.retire(cur);
        opened.push(await this.openListener(l));
      }
    } catch (err) {
      for (const o of opened) o.destroy();
      this.metrics.configApplied.inc({ result: 'rejected' });
      throw err;
    }
    this.snapshot = next;
    for (const l of config.listeners) this.listeners.get(l.name)?.update(l);
    for (const [name, rt] of this.listeners) if (!wanted.has(name)) this.retire(rt);
    const used = new Set<string>();
    for (const c of next.clusters.values()) {
      for (const e of c.endpoints) {
        used.add(poolKey(c.config, e, {}));
        used.add(poolKey(c.config, e, { localAddress: this.inboundSource }));
      }
    }
    this.upstreams.retain((key) => used.has(key) || key.includes('original-dst'));
    this.metrics.configApplied.inc({ result: 'applied' });
  }

  get config(): ProxyConfig {
    return this.snapshot.config;
  }

  /** The bound port of a listener (by name), e.g. when the config asked for port 0. */
  listenerPort(name: string): number {
    const l = this.listeners.get(name);
    if (!l) throw new Error(`no listener "${name}"`);
    return l.port;
  }

  port(which: 'admin' | 'health' | 'prometheus'): number {
    const p = this.ports[which];
    if (p === undefined) throw new Error(`${which} endpoint is disabled`);
    return p;
  }

  ready(): { ready: boolean; reason?: string } {
    if (!this.tls.ready) return { ready: false, reason: 'no workload certificate yet' };
    if (this.snapshot.config.listeners.length === 0) return { ready: false, reason: 'no listeners configured' };
    return { ready: true };
  }

  /** Stops accepting new connections; live ones continue. */
  async drain(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.stopAccepting()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners.values()) l.destroy();
    this.listeners.clear();
    this.upstreams.close();
    this.forwarder.close();
    this.tls.close();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    })));
  }

  private async openListener(l: ProxyConfig['listeners'][number]): Promise<ListenerRuntime> {
    const rt = new ListenerRuntime(l, {
      tls: this.tls,
      forwarder: this.forwarder,
      tcp: this.commonDeps(),
      metrics: this.metrics,
      originalDst: this.options.originalDst,
      sniffTimeoutMs: this.options.sniffTimeoutMs ?? 1000,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 10_000,
      resets: this.resets,
      resetLimits: this.options.resetLimits,
      now: this.options.now ?? Date.now,
    });
    await rt.listen();
    this.listeners.set(l.name, rt);
    return rt;
  }

  private retire(rt: ListenerRuntime): void {
    if (this.listeners.get(rt.name) === rt) this.listeners.delete(rt.name);
    void rt.stopAccepting();
    const t = setTimeout(() => rt.destroy(), this.options.drainMs ?? 10_000);
    t.unref();
  }

  private adminSource(): AdminSource {
    return {
      configDump: () => {
        const cert = this.tls.certificate;
        return {
          version: this.snapshot.config.version,
          identity: cert ? { spiffeId: cert.spiffeId, notBefore: cert.notBefore, notAfter: cert.notAfter } : null,
          secrets: secretsDump(cert),
          config: this.snapshot.config,
        };
      },
      clusters: () => [...this.snapshot.clusters.values()].map((c) => ({
        name: c.config.name,
        type: c.config.type,
        lbPolicy: c.config.lbPolicy,
        protocol: c.config.protocol,
        transport: c.config.transport?.kind,
        activeRequests: this.upstreams.activeRequests(c.config.name),
        endpoints: c.allEndpoints.map((e) => ({ address: e.address, port: e.port, weight: e.weight, health: e.health, activeRequests: this.upstreams.activeRequests(`${e.address}:${e.port}`) })),
      })),
      listeners: () => [...this.listeners.values()].map((l) => ({ name: l.name, port: l.port, activeConnections: l.activeConnections })),
      ready: () => this.ready(),
      metricsText: () => this.metrics.registry.metrics(),
      metricsContentType: this.metrics.registry.contentType,
      drain: () => this.drain(),
      quit: async () => {
        await this.close();
        this.options.onQuit?.();
      },
    };
  }
}

function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, address, () => s.close(() => resolve(true)));
  });
}
