/**
 * Upstream connections, shared across config snapshots so that a config push does not reconnect:
 * - HTTP/2: ONE session per (endpoint, transport), multiplexing every request (between sidecars
 *   this is the pooled mTLS connection with ALPN h2: one handshake, not one per request);
 * - HTTP/1.1: pooled keep-alive connections per (endpoint, transport, source) in the lean client
 *   (h1-client.ts); `sendHttp1` is the per-attempt seam;
 * - raw connections (TCP proxy, WebSocket tunnels).
 * mTLS uses the shared SecureContext and verifies the peer's SPIFFE id against the cluster's
 * expected SANs.
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Cluster, LbEndpoint } from '../config/model';
import { spiffeServerCheck, type TlsContexts } from '../tls/contexts';
import { H1Client, type BodySource, type H1Exchange, type H1Handle, type H1Target } from './h1-client';

export interface UpstreamOptions {
  /** Source address for connections (inbound passthrough: 127.0.0.6). */
  localAddress?: string;
}

type Protocol = 'h2' | 'http1';

/** Endpoints whose TLS session is kept for resumption (per client identity). */
const MaxResumableSessions = 4096;
/** HTTP/1.1 pool targets kept between requests (a dropped one is rebuilt on its next request). */
const MaxCachedTargets = 4096;

export class Upstreams {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
  private readonly pendingSessions = new Map<string, Promise<http2.ClientHttp2Session>>();
  /** Requests sent on each pooled HTTP/2 session (for maxRequestsPerConnection). */
  private readonly sessionRequests = new WeakMap<http2.ClientHttp2Session, number>();
  /** ALPN result per endpoint for `auto` clusters over TLS. */
  private readonly negotiated = new Map<string, Protocol>();
  private readonly probes = new Map<string, Promise<Protocol>>();
  private readonly active = new Map<string, number>();
  private readonly connections = new Map<string, number>();

  private readonly h1 = new H1Client();
  /** The HTTP/1.1 pool target per pool key, rebuilt when the cluster's config object changes (a push). */
  private readonly h1Targets = new Map<string, H1Target & { cluster: Cluster }>();
  /**
   * TLS sessions to resume, per client identity (SecureContext: a rotation starts afresh) and per
   * endpoint + SNI + expected SANs + ALPN. A resumed handshake skips the certificate exchange and
   * verification (a new TCP-proxied connection through a sidecar pair: 8.7 → 5.5 ms of CPU); TLS 1.3
   * resumption still runs ECDHE, so forward secrecy holds. Node does not re-run the SAN check on a resumed session, which is why the
   * expected SANs are part of the key: only a server that passed this very check in a full
   * handshake holds the ticket key that can resume it (a reused pod IP with another workload fails
   * to decrypt the ticket and gets a full, checked handshake).
   */
  private readonly tlsSessions = new WeakMap<tls.SecureContext, Map<string, Buffer>>();

  constructor(private readonly tlsContexts: TlsContexts) {}

  /**
   * THE SEAM for per-request upstream work on HTTP/1.1: sends one request (head already serialized,
   * body streamed from `body`) to this endpoint over a pooled keep-alive connection and reports the
   * response (or the error, before or after the head) to `exchange`. Retries, outlier detection and
   * circuit breaking hook in here (one call = one attempt).
   */
  sendHttp1(cluster: Cluster, ep: LbEndpoint, opts: UpstreamOptions, method: string, head: string, body: BodySource | undefined, chunked: boolean, exchange: H1Exchange): H1Handle {
    const key = poolKey(cluster, ep, opts);
    let target = this.h1Targets.get(key);
    if (!target || target.cluster !== cluster) {
      const alpn = cluster.transport?.kind === 'mtls' ? ['http/1.1'] : undefined;
      target = {
        key,
        cluster,
        connect: () => this.connect(cluster, ep, alpn, opts),
        maxConnections: cluster.circuitBreakers?.maxConnections ?? 1024,
        ...(cluster.maxRequestsPerConnection !== undefined ? { maxRequestsPerConnection: cluster.maxRequestsPerConnection } : {}),
        ...(cluster.upstreamIdleTimeoutMs !== undefined ? { idleTimeoutMs: cluster.upstreamIdleTimeoutMs } : {}),
      };
      // Original-destination (passthrough) traffic makes a key per destination: keep the newest.
      setNewest(this.h1Targets, key, target, MaxCachedTargets);
    }
    return this.h1.send(target, method, head, body, chunked, exchange);
  }

  activeRequests = (hostKey: string): number => this.active.get(hostKey) ?? 0;
  connectionCount = (clusterName: string): number => this.connections.get(clusterName) ?? 0;

  /** Counts a request against an endpoint (least request, circuit breaking); returns the release. */
  track(hostKey: string): () => void {
    this.active.set(hostKey, (this.active.get(hostKey) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.active.get(hostKey) ?? 1) - 1;
      if (n <= 0) this.active.delete(hostKey);
      else this.active.set(hostKey, n);
    };
  }

  /**
   * The HTTP protocol to use towards this endpoint. `downstreamH2`: the downstream request came as
   * HTTP/2 (used by `auto` over plaintext).
   */
  async protocolFor(cluster: Cluster, ep: LbEndpoint, downstreamH2: boolean, opts: UpstreamOptions): Promise<Protocol> {
    const p = cluster.protocol ?? 'http1';
    if (p === 'http2') return 'h2';
    if (p === 'http1') return 'http1';
    // auto: HTTP/1.1 requests go over pooled keep-alive HTTP/1.1 (also between sidecars, where
    // it measured faster than one shared h2 session — ADR 0004); h2/gRPC requests go h2 when the
    // peer offers it.
    if (cluster.transport?.kind !== 'mtls' || !downstreamH2) return downstreamH2 ? 'h2' : 'http1';
    const key = poolKey(cluster, ep, opts);
    const known = this.negotiated.get(key);
    if (known) return known;
    if (this.sessions.has(key) || this.pendingSessions.has(key)) return 'h2';
    // Learn it from ALPN on a first connection (one probe, shared by concurrent requests); keep
    // that connection as the h2 session when h2 was chosen.
    let probe = this.probes.get(key);
    if (!probe) {
      probe = this.connect(cluster, ep, ['h2', 'http/1.1'], opts).then((socket) => {
        const proto: Protocol = (socket as tls.TLSSocket).alpnProtocol === 'h2' ? 'h2' : 'http1';
        this.negotiated.set(key, proto);
        if (proto === 'h2') this.adoptSession(key, cluster, socket);
        else socket.destroy();
        return proto;
      });
      this.probes.set(key, probe);
      const clear = (): boolean => this.probes.delete(key);
      probe.then(clear, clear);
    }
    return probe;
  }

  /** The protocol towards this endpoint if it is known without connecting (sync hot path). */
  knownProtocol(cluster: Cluster, ep: LbEndpoint, downstreamH2: boolean, opts: UpstreamOptions): Protocol | undefined {
    const p = cluster.protocol ?? 'http1';
    if (p === 'http2') return 'h2';
    if (p === 'http1') return 'http1';
    if (cluster.transport?.kind !== 'mtls' || !downstreamH2) return downstreamH2 ? 'h2' : 'http1';
    const key = poolKey(cluster, ep, opts);
    return this.negotiated.get(key) ?? (this.sessions.has(key) ? 'h2' : undefined);
  }

  /** The pooled HTTP/2 session if it is connected and usable now (sync hot path). */
  readySession(cluster: Cluster, ep: LbEndpoint, opts: UpstreamOptions): http2.ClientHttp2Session | undefined {
    const key = poolKey(cluster, ep, opts);
    const s = this.sessions.get(key);
    return s && !s.closed && !s.destroyed ? this.counted(key, cluster, s) : undefined;
  }

  /**
   * Counts one request on a session (the caller opens its stream in this same turn). At the
   * cluster's maxRequestsPerConnection the session leaves the pool and closes gracefully once that
   * request has started: its streams finish, the next request opens a new session.
   */
  private counted(key: string, cluster: Cluster, s: http2.ClientHttp2Session): http2.ClientHttp2Session {
    const max = cluster.maxRequestsPerConnection;
    if (max === undefined) return s;
    const served = (this.sessionRequests.get(s) ?? 0) + 1;
    this.sessionRequests.set(s, served);
    if (served >= max) {
      if (this.sessions.get(key) === s) this.sessions.delete(key);
      setImmediate(() => s.close());
    }
    return s;
  }

  /** The pooled HTTP/2 session for an endpoint, connecting if needed. */
  async session(cluster: Cluster, ep: LbEndpoint, opts: UpstreamOptions): Promise<http2.ClientHttp2Session> {
    const key = poolKey(cluster, ep, opts);
    const s = this.sessions.get(key);
    if (s && !s.closed && !s.destroyed) return this.counted(key, cluster, s);
    const pending = this.pendingSessions.get(key);
    if (pending) return pending.then((session) => this.counted(key, cluster, session));
    const p = this.connect(cluster, ep, ['h2'], opts).then((socket) => this.adoptSession(key, cluster, socket));
    this.pendingSessions.set(key, p);
    p.then(
      () => this.pendingSessions.delete(key),
      () => this.pendingSessions.delete(key),
    );
    return p.then((session) => this.counted(key, cluster, session));
  }

  private adoptSession(key: string, cluster: Cluster, socket: net.Socket): http2.ClientHttp2Session {
    if (socket.destroyed) throw Object.assign(new Error('upstream closed the connection during setup'), { code: 'ECONNRESET' });
    const secure = cluster.transport?.kind === 'mtls';
    const session = http2.connect(`${secure ? 'https' : 'http'}://${key.split('|')[0]}`, {
      createConnection: () => socket,
      settings: { enablePush: false, initialWindowSize: 1 << 20 },
      maxSessionMemory: 64,
    });
    // A big connection-level window: the default 64 KiB throttles bulk transfers.
    session.on('connect', () => {
      try {
        session.setLocalWindowSize(8 << 20);
      } catch {
        // older peers: keep the default window
      }
    });
    session.on('error', () => session.destroy());
    // TLS 1.3: a server that rejects our certificate does so after our handshake completed; the
    // session must notice the socket closing even before it has read anything.
    socket.once('close', () => session.destroy());
    socket.once('end', () => session.destroy());
    session.on('goaway', () => this.sessions.get(key) === session && this.sessions.delete(key));
    session.on('close', () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
      this.countConnection(cluster.name, -1);
    });
    this.countConnection(cluster.name, 1);
    session.unref();
    this.sessions.set(key, session);
    return session;
  }

  /**
   * A connected (and, for mTLS, verified) socket to the endpoint, within the connect timeout.
   * `halfOpen`: keep writing after the peer's FIN (tunnels pass half-close through); never for
   * HTTP/2 sessions, which must see the peer's close at once (TLS 1.3 rejects a client certificate
   * only after the client's handshake is done, by closing).
   */
  private resumable(context: tls.SecureContext): Map<string, Buffer> {
    let sessions = this.tlsSessions.get(context);
    if (!sessions) this.tlsSessions.set(context, (sessions = new Map()));
    return sessions;
  }

  connect(cluster: Cluster, ep: LbEndpoint, alpn: string[] | undefined, opts: UpstreamOptions, halfOpen = false): Promise<net.Socket> {
    const t = cluster.transport;
    const timeoutMs = cluster.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => onError(Object.assign(new Error(`connect timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      const ready = (): void => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.setNoDelay(true);
        resolve(socket);
      };
      if (t?.kind === 'mtls') {
        let secureContext: tls.SecureContext;
        try {
          secureContext = this.tlsContexts.clientSecureContext();
        } catch (err) {
          clearTimeout(timer);
          reject(err as Error);
          return;
        }
        const sessions = this.resumable(secureContext);
        const sessionKey = `${ep.address}|${ep.port}|${t.sni ?? ''}|${t.expectedSans.join(',')}|${alpn?.join(',') ?? ''}`;
        const options: tls.ConnectionOptions & { localAddress?: string; allowHalfOpen: boolean } = {
          session: sessions.get(sessionKey),
          allowHalfOpen: halfOpen,
          host: ep.address,
          port: ep.port,
          localAddress: opts.localAddress,
          secureContext,
          servername: t.sni,
          ALPNProtocols: alpn,
          rejectUnauthorized: true,
          checkServerIdentity: spiffeServerCheck(t.expectedSans),
          minVersion: 'TLSv1.2',
        };
        socket = tls.connect(options, ready);
        socket.on('session', (session: Buffer) => setNewest(sessions, sessionKey, session, MaxResumableSessions));
      } else {
        socket = net.connect({ host: ep.address, port: ep.port, localAddress: opts.localAddress, allowHalfOpen: halfOpen }, ready);
      }
      socket.once('error', onError);
    });
  }

  private countConnection(cluster: string, delta: number): void {
    this.connections.set(cluster, (this.connections.get(cluster) ?? 0) + delta);
  }

  /** For /clusters: live pooled connections. */
  describe(): { sessions: string[]; agents: string[] } {
    return { sessions: [...this.sessions.keys()], agents: this.h1.keys() };
  }

  /** Closes pools whose endpoint is no longer used (after a config change); in-flight streams finish. */
  retain(isUsed: (key: string) => boolean): void {
    this.h1.retain(isUsed);
    for (const key of this.h1Targets.keys()) if (!isUsed(key)) this.h1Targets.delete(key);
    for (const [key, s] of this.sessions) {
      if (!isUsed(key)) {
        this.sessions.delete(key);
        s.close();
      }
    }
  }

  close(): void {
    this.h1.close();
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}

/** Sets `key` as the map's newest entry (maps iterate in insertion order), dropping the oldest beyond `max`. */
function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Pool identity: endpoint + everything about the transport that changes the connection. */
export function poolKey(cluster: Cluster, ep: LbEndpoint, opts: UpstreamOptions): string {
  let transport = transportKeys.get(cluster);
  if (transport === undefined) {
    const t = cluster.transport;
    transport = t?.kind === 'mtls' ? `mtls:${t.expectedSans.join(',')}:${t.sni ?? ''}` : 'plain';
    transportKeys.set(cluster, transport);
  }
  return `${ep.address}:${ep.port}|${transport}|${opts.localAddress ?? ''}`;
}
const transportKeys = new WeakMap<Cluster, string>();
