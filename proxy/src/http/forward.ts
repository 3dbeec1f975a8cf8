/**
 * The HTTP data path: takes a downstream request (lean HTTP/1.1 or node:http2 compat), reads it
 * once (downstream.ts: normalized path, checked authority, parsed framing, upgrade decision),
 * decides (decide.ts), and forwards it to the upstream over a pooled HTTP/2 session or a pooled
 * HTTP/1.1 connection; streams bodies both ways, passes trailers (gRPC), enforces the route and
 * stream idle timeouts, and maps every failure through the one error table.
 * Upgrade requests (WebSocket, CONNECT when configured) are requests like any other over HTTP/1.1;
 * only when the upstream switches protocols do both connections become a tunnel (tunnel.ts).
 */
import type http2 from 'node:http2';
import type net from 'node:net';
import type { HttpConnectionManager, NodeInfo } from '../config/model';
import { errorResponse, flagForUpstreamError, type ResponseFlag } from '../core/errors';
import { endToEndHeaders, mutateHeaders, type HeaderMap } from '../core/headers';
import { serializeRequestHead } from '../core/http1';
import type { ProxyMetrics } from '../admin/metrics';
import { answerPeerMetadata, offerPeerMetadata, PeerMetadataHeader, requestLabels } from '../admin/workload-labels';
import { endpointKey, type Snapshot } from '../runtime/snapshot';
import type { BodySource } from '../upstream/h1-client';
import type { Upstreams, UpstreamOptions } from '../upstream/upstreams';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { LbEndpoint } from '../config/model';
import { type HostResult, hostResultForStatus } from '../core/resilience/outlier';
import { admitRequest } from '../core/resilience/breaker';
import { mirrorTargets, shadowAuthority } from '../core/resilience/mirror';
import { pickAvoiding } from '../core/resilience/pick';
import { type AttemptOutcome, RetryState, retriableOutcome, retryAllowed } from '../core/resilience/retry';
import { pooledRandomHex } from '../observability/random-pool';
import { propagateTraceContext } from '../observability/trace-context';
import { HealthCheckRegistry } from '../resilience/health-checker';
import { OutlierRegistry } from '../resilience/outlier-registry';
import { sendShadow } from '../resilience/mirror-sender';
import { ReplayableBody } from '../resilience/replayable-body';
import { readDownstream, type DownstreamReq, type ParsedRequest } from './downstream';
import type { LeanResponse } from './h1-server';
import { decide, errorReply, kConnInfo, type ConnInfo, type DecideDeps, type DownstreamRequest, type Forward, type Reply } from './decide';
import { tunnel } from './tunnel';

/** Envoy's default stream_idle_timeout. */
export const DefaultStreamIdleTimeoutMs = 300_000;

export interface ForwarderDeps extends DecideDeps {
  snapshot(): Snapshot;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  node(): NodeInfo;
  /** Source address for inbound → app connections (127.0.0.6), if assignable. */
  inboundSource(): string | undefined;
  /** Access log sink; absent = no access log. */
  accessLog?: (entry: AccessLogEntry) => void;
  /** stream_idle_timeout where the HTTP connection manager sets none (0: none). Default 5 min. */
  streamIdleTimeoutMs?: number;
}

export interface AccessLogEntry {
  method: string;
  path: string;
  authority: string;
  status: number;
  flags: string;
  durationMs: number;
  upstreamCluster: string;
  upstreamHost: string;
  peer: string;
  /** x-request-id sent upstream. */
  requestId?: string;
  /** W3C trace id the request belongs to. */
  traceId?: string;
  /** Upstream attempts made (1 + retries). */
  attempts?: number;
}

/** The minimal surface shared by LeanResponse and http2.Http2ServerResponse. */
interface DownstreamResponse {
  headersSent: boolean;
  writableEnded: boolean;
  writeHead(status: number, headers?: HeaderMap): unknown;
  write(chunk: unknown): boolean;
  end(chunk?: unknown): unknown;
  addTrailers(headers: HeaderMap): void;
  destroy(err?: Error): unknown;
  once(event: 'close' | 'finish', listener: () => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
  /** The stream idle timeout: `fn` when no byte moved either way for `ms` (0: none). */
  setTimeout(ms: number, fn: () => void): unknown;
}

/** The request's body, as both kinds of downstream request offer it. */
type DownstreamBody = DownstreamReq & BodySource & { pipe<T extends NodeJS.WritableStream>(dest: T): T; once(event: 'error', fn: () => void): unknown };

function connInfo(socket: unknown): ConnInfo | undefined {
  try {
    return (socket as Record<symbol, ConnInfo | undefined>)[kConnInfo];
  } catch {
    return undefined; // http2 compat: the session's socket is already gone
  }
}

/** One upstream attempt of a request. */
interface Attempt {
  /** Finished: failed, retried away, or the request ended. */
  closed: boolean;
  /** Its response is being sent downstream; it can no longer be retried. */
  committed?: boolean;
  perTry?: NodeJS.Timeout;
  abort?: () => void;
  /** Releases the host's (and the retry's) active-request count. */
  release: () => void;
}

/** Request, trace and span ids (the trace context every forwarded request carries). */
const randomIds = pooledRandomHex();

export class HttpForwarder {
  /** Passive health per cluster; swept on each cluster's interval. */
  private readonly outliers: OutlierRegistry;
  /** Active health checks per cluster. */
  private readonly health: HealthCheckRegistry;

  constructor(private readonly deps: ForwarderDeps) {
    this.outliers = new OutlierRegistry(() => deps.now());
    this.health = new HealthCheckRegistry(deps.upstreams);
  }

  /** Stops the outlier sweep and health check timers. */
  close(): void {
    this.outliers.close();
    this.health.close();
  }

  /** 'request' handler of the lean HTTP/1.1 server and the http2 server. */
  readonly handleRequest = (rawReq: DownstreamReq, rawRes: http2.Http2ServerResponse | LeanResponse): void => {
    const req = rawReq as DownstreamBody;
    const res = rawRes as unknown as DownstreamResponse;
    const conn = connInfo(req.socket);
    if (!conn) {
      res.destroy();
      return;
    }
    const { snap, hcm } = this.current(conn);
    const start = performance.now();
    const { request: dreq, refusal } = readDownstream(req, hcm);
    let d: Reply | Forward;
    if (refusal) d = refusal;
    else {
      try {
        d = decide(snap, conn, hcm, dreq, this.deps);
      } catch {
        d = { kind: 'error', flag: 'DPE' };
      }
    }
    if (d.kind !== 'forward') {
      this.reply(req, res, conn, dreq, d, start);
      return;
    }
    const forward = d;
    const idleMs = hcm.streamIdleTimeoutMs ?? this.deps.streamIdleTimeoutMs ?? DefaultStreamIdleTimeoutMs;
    if (forward.delayMs > 0) {
      let delayed = true;
      const t = setTimeout(() => {
        delayed = false;
        this.forward(req, res, conn, dreq, forward, start, idleMs);
      }, forward.delayMs);
      res.once('close', () => clearTimeout(t));
      // A malformed body while the fault delay runs: nothing was sent upstream yet (after it, forward() answers).
      req.once('error', () => {
        if (!delayed) return;
        clearTimeout(t);
        this.reply(req, res, conn, dreq, { kind: 'error', flag: 'DPE' }, start);
      });
    } else {
      this.forward(req, res, conn, dreq, forward, start, idleMs);
    }
  };

  /** The newest snapshot and this connection's HTTP connection manager in it (new requests use new config). */
  private current(conn: ConnInfo): { snap: Snapshot; hcm: HttpConnectionManager } {
    const snap = this.deps.snapshot();
    const chain = snap.chain(conn.listenerName, conn.chainName) ?? conn.chain;
    return { snap, hcm: chain.filter as HttpConnectionManager };
  }

  private reply(req: DownstreamBody, res: DownstreamResponse, conn: ConnInfo, dreq: DownstreamRequest, d: Reply, start: number): void {
    if (res.headersSent || res.writableEnded) return;
    let status: number;
    let headers: HeaderMap;
    let body: string;
    let flag = '-';
    if (d.kind === 'error') {
      ({ status, headers, body } = errorReply(d.flag, dreq.grpc));
      flag = d.flag;
    } else if (d.kind === 'fault-abort') {
      flag = 'FI';
      if (dreq.grpc || d.grpcStatus !== undefined) {
        status = 200;
        headers = { 'content-type': 'application/grpc', 'grpc-status': String(d.grpcStatus ?? 14), 'grpc-message': 'fault%20filter%20abort', 'x-skein-response-flags': 'FI' };
        body = '';
      } else {
        status = d.status;
        headers = { 'content-type': 'text/plain', 'x-skein-response-flags': 'FI' };
        body = errorResponse('FI').body;
      }
    } else {
      status = d.status;
      headers = d.headers;
      body = d.body ?? '';
    }
    req.resume(); // drain an unread body so keep-alive continues
    sendSimple(res, status, headers, body);
    this.record(conn, dreq, status, flag, '', '', start, 0, body.length, headers['grpc-status']);
  }

  /**
   * One request through its upstream attempts: the first on the endpoint `decide` chose (or another
   * when outlier detection ejected it), then retries as the route's policy allows
   * (core/resilience/retry.ts: conditions, back-off, budget, body and method rules), each on an
   * endpoint not tried yet. Every attempt's result feeds outlier detection. The route timeout
   * covers all attempts; the per-try timeout one attempt. A response is committed downstream only
   * when it will not be retried.
   */
  private forward(req: DownstreamBody, res: DownstreamResponse, conn: ConnInfo, dreq: ParsedRequest, f: Forward, start: number, idleMs: number): void {
    const { upstreams, metrics } = this.deps;
    const cluster = f.cluster.config;
    const breakers = cluster.circuitBreakers ?? {};
    const downstreamH2 = req.httpVersionMajor === 2;
    // A tunnel is an HTTP/1.1 exchange whatever the cluster's protocol (no extended CONNECT upstream).
    const upgrade = dreq.upgrade;
    const http1 = upgrade !== undefined || cluster.protocol === 'http1' || (cluster.protocol !== 'http2' && !downstreamH2);
    if (!admitRequest(upstreams.activeRequests(cluster.name), breakers, http1)) {
      this.fail(req, res, conn, dreq, 'UO', start, f);
      return;
    }
    const outlier = this.outliers.detector(cluster);
    const health = this.health.tracker(cluster, f.cluster.endpoints);
    /** Out of load balancing: ejected by outlier detection or failing active health checks. */
    const excluded = (k: string): boolean => (outlier?.isEjected(k) ?? false) || (health?.isUnhealthy(k) ?? false);
    const panic = cluster.panicThresholdPercent ?? 50;
    const lbContext = { random: this.deps.random, activeRequests: this.deps.activeRequests };
    const choose = (tried?: ReadonlySet<string>): LbEndpoint | undefined =>
      cluster.type === 'original-dst'
        ? f.endpoint
        : pickAvoiding({ pick: () => f.cluster.pick(lbContext), all: f.cluster.endpoints, key: endpointKey, ejected: excluded, tried, panicThresholdPercent: panic });
    let endpoint: LbEndpoint | undefined = f.endpoint;
    if (((outlier && outlier.ejected > 0) || health) && excluded(endpointKey(f.endpoint))) endpoint = choose();
    if (!endpoint) {
      this.fail(req, res, conn, dreq, 'UH', start, f);
      return;
    }
    const releaseCluster = upstreams.track(cluster.name);
    const opts: UpstreamOptions = conn.direction === 'inbound' ? { localAddress: this.deps.inboundSource() } : {};
    const action = f.route.action;
    const policy = action.kind === 'route' ? action.retryPolicy : undefined;
    const retry = policy && policy.numRetries > 0 ? new RetryState(policy) : undefined;
    const framing = dreq.framing;
    const hasBody = framing.kind === 'chunked' || (framing.kind === 'length' && framing.length > 0);
    const mirrors = action.kind === 'route' && upgrade === undefined ? mirrorTargets(action.mirrorPolicies, this.deps.random) : [];
    const replay = hasBody && (retry || mirrors.length) ? new ReplayableBody(req as unknown as Readable) : undefined;
    const retryKey = retry ? `retry|${cluster.name}` : '';
    /** Endpoints attempted (only kept when the request may be retried). */
    const tried = retry ? new Set<string>() : undefined;
    const ids = propagateTraceContext(f.headers, randomIds);
    // Metadata exchange with the peer's sidecar, only over verified mTLS (admin/workload-labels.ts).
    const inbound = conn.direction === 'inbound';
    const exchange = inbound ? conn.peer?.spiffeId !== undefined : cluster.transport?.kind === 'mtls';
    offerPeerMetadata(f.headers, this.deps.node(), !inbound && exchange);
    let upstreamMetadata: string | undefined;
    if (mirrors.length) this.mirror(mirrors, dreq.method, f, replay);
    let hostKey = endpointKey(endpoint);
    let finished = false;
    let exhausted = false;
    let attempts = 0;
    let responseBytes = 0;
    let status = 0;
    let grpcStatus: string | undefined;
    let routeTimer: NodeJS.Timeout | undefined;
    let backoff: { timer: NodeJS.Timeout; release: () => void } | undefined;
    let current: Attempt | undefined;

    const closeAttempt = (a: Attempt, abort: boolean): void => {
      if (a.closed) return;
      a.closed = true;
      if (a.perTry) clearTimeout(a.perTry);
      if (abort) a.abort?.();
      replay?.detach();
      a.release();
    };
    const done = (flag: ResponseFlag | undefined): void => {
      if (finished) return;
      finished = true;
      if (routeTimer) clearTimeout(routeTimer);
      if (backoff) {
        clearTimeout(backoff.timer);
        backoff.release();
      }
      if (current) closeAttempt(current, flag !== undefined);
      releaseCluster();
      if (flag) {
        if (!res.headersSent && !res.writableEnded) {
          req.resume();
          const e = errorReply(flag, dreq.grpc);
          sendSimple(res, e.status, e.headers, e.body);
          status = e.status;
          grpcStatus = e.headers['grpc-status'] as string | undefined;
        } else {
          res.destroy();
        }
      }
      this.record(conn, dreq, status, flag ?? (exhausted ? 'URX' : '-'), cluster.name, hostKey, start, framing.kind === 'length' ? framing.length : 0, responseBytes, grpcStatus, { requestId: ids.requestId, traceId: ids.traceId, attempts }, upstreamMetadata);
    };
    res.once('close', () => {
      if (!finished) done('DC');
    });
    // A malformed request body (bad chunk framing): 400 if nothing was answered yet, else a reset.
    req.once('error', () => done('DPE'));
    res.setTimeout(idleMs, () => done('SI'));
    if (f.timeoutMs > 0) routeTimer = setTimeout(() => done('UT'), f.timeoutMs);

    const recordHost = (result: HostResult): void => {
      if (outlier && outlier.record(hostKey, result, this.deps.now(), f.cluster.endpoints.length)) metrics.outlierEjections.inc({ cluster: cluster.name });
    };
    /** Starts the next attempt after a failed one, if the policy allows; false → the failure stands. */
    const retryAfter = (outcome: AttemptOutcome): boolean => {
      if (!retry || finished) return false;
      const v = retry.next(outcome, {
        method: dreq.method,
        grpc: dreq.grpc,
        replayable: !hasBody || (replay?.replayable ?? false),
        random: this.deps.random,
        admit: () => retryAllowed(upstreams.activeRequests(retryKey), upstreams.activeRequests(cluster.name), breakers.retryBudget, breakers.maxRetries ?? 3),
      });
      if (v.retry || v.reason !== 'not-retriable') metrics.upstreamRetries.inc({ cluster: cluster.name, result: v.retry ? 'retried' : v.reason });
      if (!v.retry) {
        exhausted = v.reason === 'exhausted' && retry.retriesDone > 0;
        return false;
      }
      const next = choose(tried);
      if (!next) return false;
      endpoint = next;
      const release = upstreams.track(retryKey);
      backoff = { release, timer: setTimeout(() => {
        backoff = undefined;
        attempt(release);
      }, v.delayMs) };
      return true;
    };
    const attemptFailed = (a: Attempt, outcome: AttemptOutcome, flag: ResponseFlag): void => {
      if (finished || a.closed) return;
      closeAttempt(a, true);
      recordHost('gateway-error');
      if (!retryAfter(outcome)) done(flag);
    };

    const attempt = (releaseRetry?: () => void): void => {
      if (finished) return;
      const ep = endpoint!;
      hostKey = endpointKey(ep);
      tried?.add(hostKey);
      attempts++;
      const releaseHost = upstreams.track(hostKey);
      const a: Attempt = { closed: false, release: releaseRetry ? () => (releaseHost(), releaseRetry()) : releaseHost };
      current = a;
      if (policy?.perTryTimeoutMs) a.perTry = setTimeout(() => attemptFailed(a, { kind: 'per-try-timeout' }, 'UT'), policy.perTryTimeoutMs);
      const onError = (err: { code?: string } | undefined, refused = false): void => {
        if (a.committed) {
          done('UC');
          return;
        }
        const flag = flagForUpstreamError(err);
        attemptFailed(a, { kind: refused ? 'refused-stream' : flag === 'UF' ? 'connect-failure' : 'reset' }, flag);
      };
      const sendBody = (sink: NodeJS.WritableStream): void => {
        if (replay) replay.attach(sink as unknown as Writable);
        else req.pipe(sink);
      };
      /** The body source of an HTTP/1.1 attempt: the request itself, or a replay of it when retries may resend it. */
      const bodySource = (): BodySource | undefined => {
        if (!hasBody) return undefined;
        if (!replay) return req;
        const copy = new PassThrough();
        replay.attach(copy);
        return copy;
      };
      /** This attempt answers the client: timers stop; the headers it sends downstream (metadata exchange, mutations). */
      const commit = (upStatus: number, upHeaders: HeaderMap): HeaderMap => {
        a.committed = true;
        if (a.perTry) clearTimeout(a.perTry);
        if (routeTimer) clearTimeout(routeTimer);
        status = upStatus;
        const out = endToEndHeaders(upHeaders);
        upstreamMetadata = answerPeerMetadata(out, this.deps.node(), inbound, exchange);
        mutateHeaders(out, f.responseMutations, 'response');
        return out;
      };
      /**
       * Response head from the upstream: retried (discarded) when the policy says so, otherwise
       * committed — headers mutated and written downstream. False: nothing more to send.
       */
      const startResponse = (upStatus: number, upHeaders: HeaderMap, endOfStream: boolean): boolean => {
        if (finished || a.closed) return false;
        const g = upHeaders['grpc-status'];
        recordHost(hostResultForStatus(upStatus));
        if (retry && (upStatus >= 400 || g !== undefined)) {
          const outcome: AttemptOutcome = { kind: 'response', status: upStatus, grpcStatus: typeof g === 'string' ? Number(g) : undefined };
          if (retriableOutcome(policy!, outcome) && retryAfter(outcome)) {
            closeAttempt(a, true); // discard this response; the retry answers
            return false;
          }
        }
        const out = commit(upStatus, upHeaders);
        if (f.setCookie) out['set-cookie'] = [...[out['set-cookie'] ?? []].flat(), f.setCookie];
        if (typeof out['grpc-status'] === 'string') grpcStatus = out['grpc-status'];
        if (endOfStream && sendTrailersOnly(res, upStatus, out)) {
          done(undefined);
          return false;
        }
        try {
          res.writeHead(upStatus, out);
        } catch {
          done('UPE');
          return false;
        }
        res.once('finish', () => done(undefined));
        return true;
      };
      // h2 upstream body → any downstream (lean HTTP/1.1 or http2 compat): written with backpressure.
      const onResponse = (upStatus: number, upHeaders: HeaderMap, body: NodeJS.ReadableStream, endOfStream = false): void => {
        if (!startResponse(upStatus, upHeaders, endOfStream)) return;
        body.on('data', (c: Buffer) => {
          responseBytes += c.length;
          if (!finished && !res.write(c)) body.pause();
        });
        res.on('drain', () => body.resume());
        body.on('end', () => {
          if (!finished) res.end();
        });
      };
      const onTrailers = (trailers: HeaderMap): void => {
        if (a.closed) return;
        const t = endToEndHeaders(trailers);
        if (typeof t['grpc-status'] === 'string') grpcStatus = t['grpc-status'];
        if (Object.keys(t).length > 0) res.addTrailers(t);
      };

      const viaH2 = (session: http2.ClientHttp2Session): void => {
        if (finished || a.closed) return;
        const secure = cluster.transport?.kind === 'mtls';
        const h2headers: http2.OutgoingHttpHeaders = { ...f.headers, ':method': dreq.method, ':path': f.path, ':authority': f.authority, ':scheme': secure ? 'https' : 'http' };
        if (framing.kind === 'length') h2headers['content-length'] = String(framing.length);
        let stream: http2.ClientHttp2Stream;
        try {
          stream = session.request(h2headers, { endStream: !hasBody });
        } catch (err) {
          onError(err as { code?: string });
          return;
        }
        a.abort = () => stream.close(8 /* NGHTTP2_CANCEL */);
        stream.on('response', (h, flags) => onResponse(Number(h[':status']), h as HeaderMap, stream, (flags & 1) === 1 /* END_STREAM: gRPC trailers-only */));
        stream.on('trailers', (t) => onTrailers(t as HeaderMap));
        stream.on('error', onError);
        stream.on('close', () => {
          const refused = stream.rstCode === 7; /* REFUSED_STREAM */
          if (!a.committed && !a.closed) onError({ code: refused ? 'ERR_HTTP2_STREAM_ERROR' : 'ECONNRESET' }, refused);
        });
        if (hasBody) sendBody(stream);
      };
      // HTTP/1.1 upstream: the lean client (pooled connections, own codec); see upstream/h1-client.ts.
      const viaHttp1 = (): void => {
        if (finished || a.closed) return;
        // Framed as the downstream body was parsed, never from its headers (an HTTP/2 body without a length goes chunked).
        let head: string;
        try {
          head = serializeRequestHead(dreq.method, f.path, f.authority, f.headers, framing, upgrade === 'CONNECT' ? undefined : upgrade);
        } catch {
          done('DPE');
          return;
        }
        const handle = upstreams.sendHttp1(cluster, ep, opts, dreq.method, head, bodySource(), framing.kind === 'chunked', {
          onHead: (upStatus, upHeaders) => {
            if (startResponse(upStatus, upHeaders, false)) res.on('drain', handle.resume);
          },
          onData: (chunk) => {
            if (finished || !a.committed) return true;
            responseBytes += chunk.length;
            return res.write(chunk);
          },
          onEnd: (trailers) => {
            if (finished || !a.committed) return;
            if (trailers) onTrailers(trailers);
            res.end();
          },
          onError,
          ...(upgrade !== undefined ? { upgrade: true, onUpgrade } : {}),
        });
        a.abort = handle.abort;
      };
      /** The upstream switched protocols: answer the client the same and join the two connections. */
      const onUpgrade = (upStatus: number, upHeaders: HeaderMap, upSocket: net.Socket, rest: Buffer): void => {
        if (finished || a.closed) {
          upSocket.destroy();
          return;
        }
        recordHost(hostResultForStatus(upStatus));
        const out = commit(upStatus, upHeaders);
        const answered = typeof upHeaders.upgrade === 'string' ? upHeaders.upgrade : upgrade;
        let down: { socket: net.Socket; buffered: Buffer };
        try {
          down = (res as unknown as LeanResponse).switchProtocols(upStatus, out, dreq.method === 'CONNECT' ? undefined : answered);
        } catch {
          upSocket.destroy();
          done('UPE');
          return;
        }
        tunnel(down.socket, upSocket, { toUpstream: down.buffered, toDownstream: rest, idleTimeoutMs: idleMs }, (end) => {
          responseBytes = end.bytesToDownstream;
          done(end.idle ? 'SI' : undefined);
        });
      };

      // Hot path: protocol known and the pooled session up → no promises at all.
      const known = upgrade !== undefined ? 'http1' : upstreams.knownProtocol(cluster, ep, downstreamH2, opts);
      const ready = known === 'h2' ? upstreams.readySession(cluster, ep, opts) : undefined;
      try {
        if (known === 'http1') return viaHttp1();
        if (ready) return viaH2(ready);
      } catch (err) {
        onError(err as { code?: string });
        return;
      }
      upstreams
        .protocolFor(cluster, ep, downstreamH2, opts)
        .then(async (proto) => {
          if (proto === 'h2') viaH2(await upstreams.session(cluster, ep, opts));
          else viaHttp1();
        })
        .catch(onError);
    };

    attempt();
  }

  /** Shadow copies to the mirror clusters, once the body (if any) is complete; a body over the buffer limit is not mirrored. */
  private mirror(clusters: string[], method: string, f: Forward, body: ReplayableBody | undefined): void {
    const snap = this.deps.snapshot();
    const send = (payload: Buffer | undefined): void => {
      for (const name of clusters) {
        const target = snap.clusters.get(name);
        if (!target) continue;
        sendShadow(this.deps.upstreams, target, { method, path: f.path, authority: shadowAuthority(f.authority), headers: f.headers, body: payload }, this.deps.random, f.timeoutMs || 15_000);
      }
    };
    if (!body) send(undefined);
    else body.whenComplete((payload) => payload && send(payload));
  }

  private fail(req: DownstreamBody, res: DownstreamResponse, conn: ConnInfo, dreq: DownstreamRequest, flag: ResponseFlag, start: number, f: Forward): void {
    req.resume();
    const e = errorReply(flag, dreq.grpc);
    sendSimple(res, e.status, e.headers, e.body);
    this.record(conn, dreq, e.status, flag, f.cluster.config.name, endpointKey(f.endpoint), start, 0, e.body.length, e.headers['grpc-status']);
  }

  /** `upstreamMetadata`: what the upstream's sidecar answered in the metadata exchange (outbound). */
  private record(conn: ConnInfo, dreq: DownstreamRequest, status: number, flags: string, clusterName: string, host: string, start: number, reqBytes: number, resBytes: number, grpcStatus: unknown, extra?: Pick<AccessLogEntry, 'requestId' | 'traceId' | 'attempts'>, upstreamMetadata?: string): void {
    const node = this.deps.node();
    const ownId = this.deps.ownId();
    const grpc = grpcStatus === undefined ? '' : String(grpcStatus);
    const inbound = conn.direction === 'inbound';
    const peerMetadata = inbound ? dreq.headers[PeerMetadataHeader] : upstreamMetadata;
    // Requests on a connection mostly repeat the previous one's labels: reuse its series then.
    const last = conn.lastSeries;
    let series: number;
    if (last && last.status === status && last.flags === flags && last.cluster === clusterName && last.grpc === grpc && last.ownId === ownId && last.node === node && last.peerMetadata === peerMetadata) {
      series = last.series;
    } else {
      const transport = inbound ? undefined : this.deps.snapshot().clusters.get(clusterName)?.config.transport;
      const upstreamSans = transport?.kind === 'mtls' ? transport.expectedSans : undefined;
      series = this.deps.metrics.requestSeriesOf(requestLabels({ inbound, node, ownId, peerId: conn.peer?.spiffeId, peerMetadata, upstreamSans, cluster: clusterName, status, flags, grpc }));
      conn.lastSeries = { status, flags, cluster: clusterName, grpc, ownId, node, peerMetadata, series };
    }
    const durationMs = performance.now() - start;
    this.deps.metrics.recordRequestIn(series, durationMs, reqBytes, resBytes);
    this.deps.accessLog?.({ method: dreq.method, path: dreq.path, authority: dreq.authority, status, flags, durationMs, upstreamCluster: clusterName, upstreamHost: host, peer: conn.peer?.spiffeId ?? '-', ...extra });
  }
}

/** HTTP/2 downstream: one HEADERS frame with END_STREAM (gRPC "trailers-only"). False for HTTP/1.1. */
function sendTrailersOnly(res: DownstreamResponse, status: number, headers: HeaderMap): boolean {
  const stream = (res as unknown as { stream?: http2.ServerHttp2Stream }).stream;
  if (!stream || res.headersSent || stream.headersSent || stream.destroyed) return false;
  try {
    stream.respond({ ...headers, ':status': status }, { endStream: true });
    return true;
  } catch {
    return false;
  }
}

function sendSimple(res: DownstreamResponse, status: number, headers: HeaderMap, body: string): void {
  if (body === '' && headers['grpc-status'] !== undefined && sendTrailersOnly(res, status, headers)) return;
  try {
    if (!res.headersSent) res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  } catch {
    res.destroy();
  }
}
