/**
 * The sidecar in xDS mode (`skein proxy` without --static-config): environment → workload
 * identity from the CA (join token or projected token) → ADS client → the data plane.
 *
 *   const agent = new ProxyAgent({ env: readProxyEnv(), log });
 *   await agent.start();          // health/admin answer at once (503 until config + certificate)
 *   ...
 *   await agent.drain();          // SIGTERM: not ready, stop accepting, live connections continue
 *   await agent.close();
 *
 * The trust bundle file (SKEIN_ROOT_CERT_PATH, the skein-root-cert ConfigMap in a pod) is watched:
 * when it changes (a root rotation adds or retires a root) the identity adopts it and renews, so the
 * data plane and the control plane connection trust what the bundle says now.
 *
 * The `Proxy` is built from the first complete snapshot and updated with `applyConfig` afterwards;
 * a snapshot that cannot be applied is NACKed (the proxy keeps its last good config). The agent owns
 * the health and admin ports so they answer before the first config exists; admin requests other
 * than `/config_dump` (which adds the xDS status) go to the proxy's own admin server on loopback.
 */
import fs from 'node:fs';
import http from 'node:http';
import { connectWorkloadIdentity, credentialFromFile, type ConnectedIdentity } from '../../ca/src/client';
import { ProxyPorts } from '../../api/src/names';
import { adminRoutes, healthRoutes, serveRoutes, type AdminSource } from './admin/admin';
import { appHealthRoutes } from './admin/app-health';
import type { ProxyConfig } from './config/model';
import type { ProxyEnvironment } from './env';
import type { OriginalDst } from './listeners/listener';
import { Proxy, type ProxyOptions } from './proxy';
import { XdsClient } from './xds/client';
import { nodeSettingsFromEnv } from './xds/from-env';
import { secretsDump } from './admin/secrets-dump';

export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

export interface AgentPorts {
  /** Loopback admin. Default 15000. */
  admin?: number;
  /** `/healthz/ready` on all addresses. Default 15021. */
  health?: number;
  /** Prometheus on all addresses. Default 15090. */
  prometheus?: number;
  /** App probes (`/app-health/…`) on all addresses. Default 15020. */
  agent?: number;
}

export interface AgentOptions {
  env: ProxyEnvironment;
  ports?: AgentPorts;
  /**
   * SO_ORIGINAL_DST lookup for transparent listeners (proxy/src/original-dst.ts in pods). Without
   * it the proxy runs in local mode: only explicit listeners are bound (explicitListenersOnly).
   */
  originalDst?: OriginalDst;
  inboundSource?: false;
  accessLog?: ProxyOptions['accessLog'];
  /** How long listeners removed by a config change keep their connections. */
  drainMs?: number;
  /** stream_idle_timeout where the control plane sets none. */
  streamIdleTimeoutMs?: number;
  /** Called after POST /quitquitquit. */
  onQuit?: () => void;
  /** Operational log lines (never secrets). */
  log: (line: string) => void;
  readFile?: (file: string) => string;
  /** How often the trust bundle file is checked for changes (default 1000 ms). */
  trustBundlePollMs?: number;
}

const certificateCount = (pem: string) => pem.split('-----BEGIN CERTIFICATE-----').length - 1;

/**
 * Without iptables capture (local mode) nothing is redirected to the transparent listeners
 * (:15001 outbound, :15006 inbound), and several proxies on one host would fight over those ports:
 * only the explicit listeners are kept. Pure.
 */
export function explicitListenersOnly(config: ProxyConfig): ProxyConfig {
  return { ...config, listeners: config.listeners.filter((l) => l.kind === 'outbound-explicit' || (l.kind === 'inbound' && l.destinationPort !== undefined)) };
}

export interface AgentStatus {
  ready: boolean;
  reason?: string;
}

export class ProxyAgent {
  private proxy: Proxy | undefined;
  private identity: ConnectedIdentity | undefined;
  private xds: XdsClient | undefined;
  private readonly servers: http.Server[] = [];
  private readonly boundPorts: Partial<Record<'admin' | 'health' | 'agent', number>> = {};
  private draining = false;
  private closed = false;
  private applying: Promise<void> = Promise.resolve();
  private unwatchTrustBundle: (() => void) | undefined;

  constructor(private readonly options: AgentOptions) {
    const e = options.env;
    if (!e.xdsAddress) throw new AgentConfigError('SKEIN_XDS_ADDRESS is not set: xDS mode needs the control plane address (or use --static-config)');
    if (!e.caAddress) throw new AgentConfigError('SKEIN_CA_ADDRESS is not set');
  }

  /** Starts health/admin, asks the CA for a certificate and connects to the control plane. */
  async start(): Promise<void> {
    const e = this.options.env;
    const readFile = this.options.readFile ?? ((f: string) => fs.readFileSync(f, 'utf8'));
    let trustBundlePem: string;
    try {
      trustBundlePem = readFile(e.rootCertPath);
    } catch (err) {
      throw new AgentConfigError(`cannot read the trust bundle ${e.rootCertPath} (SKEIN_ROOT_CERT_PATH): ${(err as Error).message}`);
    }
    if (!trustBundlePem.includes('-----BEGIN CERTIFICATE-----')) throw new AgentConfigError(`${e.rootCertPath} (SKEIN_ROOT_CERT_PATH) holds no PEM certificate`);
    const joinToken = e.joinToken;
    const credential = joinToken !== undefined ? () => joinToken : credentialFromFile(e.tokenPath);
    const node = nodeSettingsFromEnv(e, { prometheusPort: this.options.ports?.prometheus ?? ProxyPorts.prometheus });
    this.identity = connectWorkloadIdentity({
      caAddress: e.caAddress!,
      trustDomain: e.trustDomain,
      namespace: e.podNamespace,
      serviceAccount: e.serviceAccount,
      trustBundlePem,
      credential,
      ...(e.certValiditySeconds !== undefined ? { validitySeconds: e.certValiditySeconds } : {}),
      onError: (err, retryInMs) => this.options.log(`certificate request failed (retrying in ${retryInMs} ms): ${err.message}`),
    });
    const identity = this.identity.identity;
    identity.onChange((cert) => this.options.log(`certificate for ${cert.spiffeId}, valid until ${cert.notAfter.toISOString()}`));
    try {
      this.xds = new XdsClient({
        address: e.xdsAddress!,
        node,
        identity,
        ...(e.xdsProtocol ? { protocol: e.xdsProtocol } : {}),
        onConfig: (config) => this.apply(config),
        log: this.options.log,
      });
    } catch (err) {
      this.identity.close();
      throw err;
    }
    this.watchTrustBundle(e.rootCertPath, trustBundlePem, readFile);
    const src = this.adminSource();
    const ports = this.options.ports ?? {};
    try {
      const health = await serveRoutes('0.0.0.0', ports.health ?? ProxyPorts.health, healthRoutes(src));
      this.servers.push(health.server);
      this.boundPorts.health = health.port;
      const admin = await serveRoutes('127.0.0.1', ports.admin ?? ProxyPorts.admin, { ...adminRoutes(src), 'GET /config_dump': (_q, r) => this.configDump(r), ...this.forwardedAdminRoutes() });
      this.servers.push(admin.server);
      this.boundPorts.admin = admin.port;
      const agent = await serveRoutes('0.0.0.0', ports.agent ?? ProxyPorts.agent, appHealthRoutes(this.options.env.appProbes));
      this.servers.push(agent.server);
      this.boundPorts.agent = agent.port;
    } catch (err) {
      await this.close();
      throw err;
    }
    void identity.start().catch(() => undefined); // failures are retried and reported through onError
    this.xds.start();
  }

  port(which: 'admin' | 'health' | 'agent'): number {
    const p = this.boundPorts[which];
    if (p === undefined) throw new Error(`${which} port is not bound`);
    return p;
  }

  status(): AgentStatus {
    if (this.draining) return { ready: false, reason: 'draining' };
    if (!this.identity?.identity.current()) return { ready: false, reason: 'no workload certificate yet' };
    if (!this.proxy) return { ready: false, reason: 'no configuration from the control plane yet' };
    return this.proxy.ready();
  }

  /** Not ready from now on; listeners stop accepting, live connections continue. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.proxy?.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatchTrustBundle?.();
    await this.xds?.close();
    await this.applying.catch(() => undefined);
    await this.proxy?.close();
    this.identity?.close();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    })));
  }

  /** Adopts a changed trust bundle file (root rotation); an unreadable or PEM-less one is ignored. */
  private watchTrustBundle(file: string, initial: string, readFile: (file: string) => string): void {
    let current = initial;
    const check = () => {
      let next: string;
      try {
        next = readFile(file);
      } catch (err) {
        this.options.log(`trust bundle ${file} unreadable, keeping the current one: ${(err as Error).message}`);
        return;
      }
      if (next === current) return;
      if (!next.includes('-----BEGIN CERTIFICATE-----')) {
        this.options.log(`trust bundle ${file} holds no PEM certificate, keeping the current one`);
        return;
      }
      current = next;
      this.options.log(`trust bundle ${file} changed: ${certificateCount(next)} root(s); renewing the certificate`);
      try {
        this.identity?.identity.updateTrustBundle(next);
      } catch (err) {
        this.options.log(`trust bundle ${file} refused, keeping the current one: ${(err as Error).message}`);
      }
    };
    const listener = () => check();
    fs.watchFile(file, { interval: this.options.trustBundlePollMs ?? 1000, persistent: false }, listener);
    this.unwatchTrustBundle = () => fs.unwatchFile(file, listener);
  }

  /** First snapshot: build and start the proxy; later ones: applyConfig. A throw NACKs. */
  private async apply(received: ProxyConfig): Promise<void> {
    const config = this.options.originalDst ? received : explicitListenersOnly(received);
    const run = async (): Promise<void> => {
      if (this.closed) throw new Error('the proxy is shutting down');
      if (this.proxy) {
        await this.proxy.applyConfig(config);
        this.options.log(`config ${config.version} applied: ${config.listeners.length} listeners, ${config.clusters.length} clusters`);
        return;
      }
      const ports = this.options.ports ?? {};
      const proxy = new Proxy(config, this.identity!.identity, {
        admin: { address: '127.0.0.1', port: 0 },
        health: null,
        prometheus: { port: ports.prometheus ?? ProxyPorts.prometheus },
        ...(this.options.originalDst ? { originalDst: this.options.originalDst } : {}),
        ...(this.options.inboundSource === false ? { inboundSource: false as const } : {}),
        ...(this.options.accessLog ? { accessLog: this.options.accessLog } : {}),
        ...(this.options.drainMs !== undefined ? { drainMs: this.options.drainMs } : {}),
        ...(this.options.streamIdleTimeoutMs !== undefined ? { streamIdleTimeoutMs: this.options.streamIdleTimeoutMs } : {}),
      });
      await proxy.start(); // closes itself on failure; the next snapshot tries again
      this.proxy = proxy;
      this.options.log(`data plane started: config ${config.version}, ${config.listeners.length} listeners`);
    };
    this.applying = run();
    await this.applying;
  }

  private adminSource(): AdminSource {
    const noProxy = (): never => {
      throw new Error('no configuration yet');
    };
    return {
      configDump: () => undefined,
      clusters: noProxy,
      listeners: noProxy,
      ready: () => this.status(),
      metricsText: async () => (this.proxy ? this.proxy.metrics.registry.metrics() : ''),
      metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
      drain: () => this.drain(),
      quit: async () => {
        await this.close();
        this.options.onQuit?.();
      },
    };
  }

  private async configDump(res: http.ServerResponse): Promise<void> {
    const cert = this.identity?.identity.current();
    const inner = this.proxy ? await this.fetchAdmin('/config_dump').then((r) => JSON.parse(r.body) as Record<string, unknown>) : {
      version: null,
      identity: cert ? { spiffeId: cert.spiffeId, notBefore: cert.notBefore, notAfter: cert.notAfter } : null,
      secrets: secretsDump(cert),
      config: null,
    };
    const body = JSON.stringify({ ...inner, ready: this.status(), xds: this.xds?.status() ?? null }, null, 2);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Admin paths served by the proxy itself (it knows its clusters, listeners and metrics). */
  private forwardedAdminRoutes(): Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>> {
    const forward = (path: string) => async (_req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
      if (!this.proxy) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('no configuration from the control plane yet\n');
        return;
      }
      const r = await this.fetchAdmin(path);
      res.writeHead(r.status, { 'content-type': r.contentType });
      res.end(r.body);
    };
    return Object.fromEntries(['/clusters', '/listeners', '/stats', '/stats/prometheus'].map((p) => [`GET ${p}`, forward(p)]));
  }

  private fetchAdmin(path: string): Promise<{ status: number; contentType: string; body: string }> {
    const port = this.proxy!.port('admin');
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, contentType: String(res.headers['content-type'] ?? 'text/plain'), body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('admin request timed out')));
      req.on('error', reject);
    });
  }
}
