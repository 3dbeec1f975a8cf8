/**
 * One bound listener: accepts connections, learns the destination (original destination, or the
 * listener's fixed `destinationPort` in local mode), sniffs the first bytes when chain selection or
 * the codec needs them, selects the filter chain, terminates mTLS where the chain says so, and
 * hands the connection to the TCP proxy or to the HTTP/1.1 or HTTP/2 server of the chain.
 *
 * The listener config can be swapped (`update`) without closing the socket: new connections use
 * the new chains; existing ones keep theirs (and look their chain up by name per request).
 */
import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
import type { FilterChain, HttpConnectionManager, Listener } from '../config/model';
import { needsSniffing, normalizeIp, selectFilterChain, type ConnectionFacts } from '../core/chain-match';
import { sniff, type Sniffed } from '../core/sniff';
import type { ProxyMetrics } from '../admin/metrics';
import { DefaultResetLimits, type ProcessResets, type ResetLimits } from '../core/reset-guard';
import { kConnInfo, type ConnInfo } from '../http/decide';
import type { HttpForwarder } from '../http/forward';
import { serveHttp1, type H1ServerHooks, type LeanConnection } from '../http/h1-server';
import { proxyTcp, type TcpDeps } from '../tcp/tcp-proxy';
import { peerIdentity, type TlsContexts } from '../tls/contexts';
import { handToHttp2, peek, unread } from './handoff';
import { guardResets } from './h2-reset-guard';

/** Original destination of a redirected connection (the init engineer's SO_ORIGINAL_DST addon in pods). */
export type OriginalDst = (socket: net.Socket) => { address: string; port: number } | undefined;

export interface ListenerDeps {
  tls: TlsContexts;
  forwarder: HttpForwarder;
  tcp: TcpDeps;
  metrics: ProxyMetrics;
  originalDst?: OriginalDst;
  /** How long to wait for the first bytes when sniffing (server-first protocols send nothing). Default 1000 ms. */
  sniffTimeoutMs: number;
  /** TLS handshake deadline. */
  handshakeTimeoutMs: number;
  /** Premature HTTP/2 resets of every listener of the process (rapid reset overload). */
  resets: ProcessResets;
  resetLimits?: ResetLimits;
  now(): number;
}

interface ChainServers {
  hcm: HttpConnectionManager;
  h1: H1ServerHooks;
  h2: http2.Http2Server;
}

const SniffBytes = 24; // the h2c preface length; enough for TLS and HTTP/1 method detection

export class ListenerRuntime {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly h1Connections = new Set<LeanConnection>();
  private readonly httpServers = new Map<string, ChainServers>();
  private readonly tlsServers = new Map<string, { key: string; server: tls.Server; release: () => void }>();
  private readonly pendingTls = new Map<string, { chain: FilterChain; facts: ConnectionFacts; destination?: string }>();
  private draining = false;

  constructor(private config: Listener, private readonly deps: ListenerDeps) {}

  get name(): string {
    return this.config.name;
  }
  /** The bound port (useful when the config asked for port 0). */
  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.config.port;
  }
  get activeConnections(): number {
    return this.sockets.size;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.accept(s));
      server.once('error', reject);
      server.listen({ host: this.config.address, port: this.config.port, backlog: 1024 }, () => {
        server.removeListener('error', reject);
        server.on('error', () => undefined);
        resolve();
      });
      this.server = server;
    });
  }

  /** Swaps the listener's config (same address:port); live connections are untouched. */
  update(config: Listener): void {
    this.config = config;
  }

  /** Stops accepting; existing connections continue (drain). */
  stopAccepting(): Promise<void> {
    this.draining = true;
    // HTTP/1.1 keep-alive connections: idle ones close now, busy ones after their current response.
    for (const c of this.h1Connections) if (c.idle) c.socket.end();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Closes everything now. */
  destroy(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
    for (const t of this.tlsServers.values()) t.release();
    this.tlsServers.clear();
  }

  private accept(raw: net.Socket): void {
    raw.setNoDelay(true);
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    raw.on('error', () => raw.destroy());
    if (this.draining) {
      raw.destroy();
      return;
    }
    this.route(raw).catch(() => raw.destroy());
  }

  private async route(raw: net.Socket): Promise<void> {
    const cfg = this.config;
    const facts: ConnectionFacts = {};
    let destinationAddress: string | undefined;
    if (cfg.destinationPort !== undefined) {
      facts.destinationPort = cfg.destinationPort;
    } else {
      const dst = this.deps.originalDst?.(raw);
      if (!dst) {
        this.reject(raw, 'no_original_destination');
        return;
      }
      destinationAddress = normalizeIp(dst.address);
      facts.destinationAddress = destinationAddress;
      facts.destinationPort = dst.port;
    }
    const need = needsSniffing(cfg.filterChains);
    let sniffed: Exclude<Sniffed, { needMore: true }> | undefined;
    let bytes: Buffer = Buffer.alloc(0);
    if (need.transport || need.applicationProtocol) {
      const got = await this.sniff(raw);
      if (!got) return;
      ({ bytes, result: sniffed } = got);
      facts.transport = sniffed.transport;
      facts.applicationProtocol = sniffed.transport === 'plaintext' ? (sniffed.protocol === 'tcp' ? 'tcp' : 'http') : undefined;
    }
    const chain = selectFilterChain(cfg.filterChains, facts) ?? cfg.defaultChain;
    if (!chain) {
      unread(raw, bytes);
      this.reject(raw, facts.transport === 'plaintext' ? 'plaintext_not_allowed' : 'no_filter_chain');
      return;
    }
    if (chain.tls) {
      if (sniffed && sniffed.transport !== 'tls') {
        this.reject(raw, 'tls_required');
        return;
      }
      unread(raw, bytes);
      this.terminateTls(raw, chain, facts, destinationAddress);
      return;
    }
    const conn = this.connInfo(cfg, chain, facts, destinationAddress, raw, false);
    await this.dispatch(raw, chain, conn, bytes, sniffed);
  }

  private async sniff(raw: net.Socket): Promise<{ bytes: Buffer; result: Exclude<Sniffed, { needMore: true }> } | undefined> {
    const got = await peek(raw, this.deps.sniffTimeoutMs, SniffBytes, (b, final) => {
      const s = sniff(b, final);
      return 'needMore' in s ? undefined : s;
    });
    if (!got) raw.destroy();
    return got;
  }

  private connInfo(cfg: Listener, chain: FilterChain, facts: ConnectionFacts, destinationAddress: string | undefined, socket: net.Socket, secure: boolean): ConnInfo {
    return {
      listenerName: cfg.name,
      chainName: chain.name,
      chain,
      direction: cfg.kind === 'inbound' ? 'inbound' : 'outbound',
      secure,
      peer: secure ? peerIdentity(socket as tls.TLSSocket) : undefined,
      sourceAddress: normalizeIp(socket.remoteAddress ?? ''),
      destinationAddress,
      destinationPort: facts.destinationPort ?? 0,
    };
  }

  private terminateTls(raw: net.Socket, chain: FilterChain, facts: ConnectionFacts, destinationAddress: string | undefined): void {
    const t = chain.tls!;
    const key = JSON.stringify([t.requireClientCertificate !== false, t.alpnProtocols ?? ['h2', 'http/1.1']]);
    let entry = this.tlsServers.get(chain.name);
    if (!entry || entry.key !== key) {
      entry?.release();
      const created = this.deps.tls.createServer({ requireClientCertificate: t.requireClientCertificate !== false, alpnProtocols: t.alpnProtocols ?? ['h2', 'http/1.1'], handshakeTimeoutMs: this.deps.handshakeTimeoutMs });
      created.server.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s));
      entry = { key, ...created };
      this.tlsServers.set(chain.name, entry);
    }
    const id = `${raw.remoteAddress}|${raw.remotePort}`;
    this.pendingTls.set(id, { chain, facts, destination: destinationAddress });
    raw.once('close', () => this.pendingTls.delete(id));
    entry.server.emit('connection', raw);
  }

  private onSecure(socket: tls.TLSSocket): void {
    const id = `${socket.remoteAddress}|${socket.remotePort}`;
    const pending = this.pendingTls.get(id);
    this.pendingTls.delete(id);
    socket.on('error', () => socket.destroy());
    if (!pending) {
      socket.destroy();
      return;
    }
    const { chain, facts, destination } = pending;
    const conn = this.connInfo(this.config, chain, facts, destination, socket, true);
    const allowed = chain.tls?.allowedPeerSans;
    if (allowed && (!conn.peer?.spiffeId || !allowed.includes(conn.peer.spiffeId))) {
      this.reject(socket, 'peer_not_allowed');
      return;
    }
    this.dispatch(socket, chain, conn, Buffer.alloc(0), undefined).catch(() => socket.destroy());
  }

  private async dispatch(socket: net.Socket, chain: FilterChain, conn: ConnInfo, bytes: Buffer, sniffed: Exclude<Sniffed, { needMore: true }> | undefined): Promise<void> {
    (socket as unknown as Record<symbol, ConnInfo>)[kConnInfo] = conn;
    const f = chain.filter;
    if (f.type === 'tcp') {
      unread(socket, bytes);
      proxyTcp(socket, conn, f, this.deps.tcp);
      return;
    }
    const servers = this.servers(chain.name, f);
    let useH2: boolean;
    if (f.codec === 'http2') useH2 = true;
    else if (f.codec === 'http1') useH2 = false;
    else if (conn.secure) useH2 = (socket as tls.TLSSocket).alpnProtocol === 'h2';
    else {
      if (!sniffed) {
        const got = await this.sniff(socket);
        if (!got) return;
        ({ bytes, result: sniffed } = got);
      }
      useH2 = sniffed.transport === 'plaintext' && sniffed.protocol === 'h2c';
    }
    if (useH2) {
      // The client's FIN ends the session and its streams (and their upstream requests) at once.
      socket.once('end', () => socket.destroy());
      if (!handToHttp2(servers.h2, socket, bytes)) this.deps.metrics.downstreamErrors.inc({ listener: this.config.name, reason: 'h2_handoff_unsupported' });
      return;
    }
    const c = serveHttp1(socket, bytes, servers.h1);
    this.h1Connections.add(c);
    socket.once('close', () => this.h1Connections.delete(c));
  }

  private servers(chainName: string, hcm: HttpConnectionManager): ChainServers {
    const existing = this.httpServers.get(chainName);
    if (existing && existing.hcm === hcm) return existing;
    if (existing && sameServerSettings(existing.hcm, hcm)) {
      existing.hcm = hcm;
      return existing;
    }
    const maxHeader = hcm.maxRequestHeadersBytes ?? 60 * 1024;
    const maxHeaders = hcm.maxRequestHeadersCount ?? 100;
    const idleTimeoutMs = hcm.idleTimeoutMs ?? 300_000;
    const h1: H1ServerHooks = {
      maxHeaderBytes: maxHeader,
      maxHeaders,
      idleTimeoutMs,
      headersTimeoutMs: hcm.requestHeadersTimeoutMs ?? 10_000,
      handleRequest: (req, res) => this.deps.forwarder.handleRequest(req, res),
      onBadRequest: (reason) => this.deps.metrics.downstreamErrors.inc({ listener: this.config.name, reason }),
      draining: () => this.draining,
    };
    const h2 = http2.createServer({
      maxSessionMemory: 64,
      // Header lines a request may carry, pseudo-headers aside (nghttp2 counts them too); more resets the stream, as Envoy.
      maxHeaderListPairs: maxHeaders + PseudoHeaders,
      settings: { maxHeaderListSize: maxHeader, initialWindowSize: 1 << 20, enablePush: false },
    });
    const handle = guardResets(h2, {
      limits: this.deps.resetLimits ?? DefaultResetLimits,
      process: this.deps.resets,
      now: this.deps.now,
      onShed: (reason) => this.deps.metrics.downstreamErrors.inc({ listener: this.config.name, reason }),
    }, (req, res) => this.deps.forwarder.handleRequest(req, res));
    h2.on('request', handle);
    h2.on('session', (session: http2.ServerHttp2Session) => {
      session.on('error', () => session.destroy());
      session.setTimeout(idleTimeoutMs, () => session.close());
    });
    h2.on('sessionError', () => this.deps.metrics.downstreamErrors.inc({ listener: this.config.name, reason: 'h2_session_error' }));
    const servers = { hcm, h1, h2 };
    this.httpServers.set(chainName, servers);
    return servers;
  }

  private reject(socket: net.Socket, reason: string): void {
    this.deps.metrics.downstreamErrors.inc({ listener: this.config.name, reason });
    socket.destroy();
  }
}

/** `:method`, `:scheme`, `:authority`, `:path` (no extended CONNECT, so no `:protocol`). */
const PseudoHeaders = 4;

/** Whether a chain's HTTP servers can stay when its connection manager changes (the servers bake these in). */
function sameServerSettings(a: HttpConnectionManager, b: HttpConnectionManager): boolean {
  return a.maxRequestHeadersBytes === b.maxRequestHeadersBytes && a.maxRequestHeadersCount === b.maxRequestHeadersCount && a.idleTimeoutMs === b.idleTimeoutMs && a.requestHeadersTimeoutMs === b.requestHeadersTimeoutMs;
}
