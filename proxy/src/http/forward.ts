/**
 * The HTTP data path: takes a parsed downstream request (HTTP/1.1 or HTTP/2, via node:http /
 * node:http2 compat objects), decides (decide.ts), and forwards it to the upstream over a pooled
 * HTTP/2 session or a keep-alive HTTP/1.1 agent; streams bodies both ways, passes trailers (gRPC),
 * enforces the route timeout, and maps every failure through the one error table.
 * Upgrade requests (WebSocket) are tunnelled over a dedicated upstream connection.
 */
import http from 'node:http';
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
import { PassThrough, type Writable } from 'node:stream';
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
import type { LeanRequest, LeanResponse } from './h1-server';
import { decide, errorReply, kConnInfo, type ConnInfo, type DecideDeps, type DownstreamRequest, type Forward, type Reply } from './decide';

export interface ForwarderDeps extends DecideDeps {
  snapshot(): Snapshot;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  node(): NodeInfo;
  /** Source address for inbound → app connections (127.0.0.6), if assignable. */
  inboundSource(): string | undefined;
  /** Access log sink; absent = no access log. */
  accessLog?: (entry: AccessLogEntry) => void;
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

/** The minimal surface shared by http.ServerResponse and http2.Http2ServerResponse. */
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
}

type DownstreamReq = http.IncomingMessage | http2.Http2ServerRequest | LeanRequest;

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

  /** 'request' handler for the downstream http.Server and http2.Server. */
  readonly handleRequest = (rawReq: DownstreamReq, rawRes: http.ServerResponse | http2.Http2ServerResponse | LeanResponse): void => {
    const req = rawReq as http.IncomingMessage;
    const res = rawRes as unknown as DownstreamResponse;
    const conn = connInfo(req.socket);
    if (!conn) {
      res.destroy();
      return;
    }
    const { snap, hcm } = this.current(conn);
    const h2 = req.httpVersionMajor === 2;
    const headers = req.headers as HeaderMap;
    const authority = String((h2 ? headers[':authority'] : undefined) ?? headers.host ?? '');
    const ct = headers['content-type'];
    const dreq: DownstreamRequest = { method: req.method ?? 'GET', path: req.url ?? '/', authority, headers, grpc: typeof ct === 'string' && ct.startsWith('application/grpc') };
    const start = performance.now();
    let d: Reply | Forward;
    try {
      d = decide(snap, conn, hcm, dreq, this.deps);
    } catch {
      d = { kind: 'error', flag: 'DPE' };
    }
    if (d.kind !== 'forward') {
      this.reply(req, res, conn, dreq, d, start);
      return;
    }
    const forward = d;
    if (forward.delayMs > 0) {
      const t = setTimeout(() => this.forward(req, res, conn, dreq, forward, start, h2), forward.delayMs);
      res.once('close', () => clearTimeout(t));
    } else {
      this.forward(req, res, conn, dreq, forward, start, h2);
    }
  };

  /** The newest snapshot and this connection's HTTP connection manager in it (new requests use new config). */
  private current(conn: ConnInfo): { snap: Snapshot; hcm: HttpConnectionManager } {
    const snap = this.deps.snapshot();
    const chain = snap.chain(conn.listenerName, conn.chainName) ?? conn.chain;
    return { snap, hcm: chain.filter as HttpConnectionManager };
  }

  private reply(req: http.IncomingMessage, res: DownstreamResponse, conn: ConnInfo, dreq: DownstreamRequest, d: Reply, start: number): void {
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
  private forward(req: http.IncomingMessage, res: DownstreamResponse, conn: ConnInfo, dreq: DownstreamRequest, f: Forward, start: number, downstreamH2: boolean): void {
    const { upstreams, metrics } = this.deps;
    const cluster = f.cluster.config;
    const breakers = cluster.circuitBreakers ?? {};
    const http1 = cluster.protocol === 'http1' || (cluster.protocol !== 'http2' && !downstreamH2);
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
    const hasBody = requestHasBody(req, downstreamH2);
    const mirrors = action.kind === 'route' ? mirrorTargets(action.mirrorPolicies, this.deps.random) : [];
    const replay = hasBody && (retry || mirrors.length) ? new ReplayableBody(req) : undefined;
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
      this.record(conn, dreq, status, flag ?? (exhausted ? 'URX' : '-'), cluster.name, hostKey, start, contentLength(dreq.headers), responseBytes, grpcStatus, { requestId: ids.requestId, traceId: ids.traceId, attempts }, upstreamMetadata);
    };
    res.once('close', () => {
      if (!finished) done('DC');
    });
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
        a.committed = true;
        if (a.perTry) clearTimeout(a.perTry);
        if (routeTimer) clearTimeout(routeTimer);
        status = upStatus;
        const out = endToEndHeaders(upHeaders);
        upstreamMetadata = answerPeerMetadata(out, this.deps.node(), inbound, exchange);
        mutateHeaders(out, f.responseMutations, 'response');
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
        const chunked = hasBody && req.headers['content-length'] === undefined;
        let head: string;
        try {
          head = serializeRequestHead(dreq.method, f.path, f.authority, f.headers, chunked ? 'chunked' : 'none');
        } catch {
          done('DPE');
          return;
        }
        const handle = upstreams.sendHttp1(cluster, ep, opts, dreq.method, head, bodySource(), chunked, {
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
        });
        a.abort = handle.abort;
      };

      // Hot path: protocol known and the pooled session up → no promises at all.
      const known = upstreams.knownProtocol(cluster, ep, downstreamH2, opts);
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

  private fail(req: http.IncomingMessage, res: DownstreamResponse, conn: ConnInfo, dreq: DownstreamRequest, flag: ResponseFlag, start: number, f: Forward): void {
    req.resume();
    const e = errorReply(flag, dreq.grpc);
    sendSimple(res, e.status, e.headers, e.body);
    this.record(conn, dreq, e.status, flag, f.cluster.config.name, endpointKey(f.endpoint), start, 0, e.body.length, e.headers['grpc-status']);
  }

  /** 'upgrade' handler (HTTP/1.1 only): WebSocket and other Upgrade protocols, tunnelled. */
  readonly handleUpgrade = (req: http.IncomingMessage | LeanRequest, socket: net.Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const conn = connInfo(socket);
    if (!conn) {
      socket.destroy();
      return;
    }
    const { snap, hcm } = this.current(conn);
    const headers = req.headers as HeaderMap;
    const dreq: DownstreamRequest = { method: req.method ?? 'GET', path: req.url ?? '/', authority: String(headers.host ?? ''), headers, grpc: false };
    const start = performance.now();
    const d = decide(snap, conn, hcm, dreq, this.deps);
    if (d.kind !== 'forward') {
      const flag = d.kind === 'error' ? d.flag : 'FI';
      const e = errorReply(flag, false);
      const status = d.kind === 'direct' ? d.status : e.status;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nx-skein-response-flags: ${flag}\r\ncontent-length: ${Buffer.byteLength(e.body)}\r\nconnection: close\r\n\r\n${e.body}`);
      this.record(conn, dreq, status, flag, '', '', start, 0, 0, undefined);
      return;
    }
    const opts: UpstreamOptions = conn.direction === 'inbound' ? { localAddress: this.deps.inboundSource() } : {};
    const release = this.deps.upstreams.track(endpointKey(d.endpoint));
    this.deps.upstreams
      .connect(d.cluster.config, d.endpoint, ['http/1.1'], opts, true)
      .then((up) => {
        if (socket.destroyed) {
          up.destroy();
          release();
          return;
        }
        let requestHead: string;
        try {
          requestHead = serializeRequestHead(dreq.method, d.path, d.authority, { connection: 'Upgrade', upgrade: String(headers.upgrade), ...d.headers }, 'none');
        } catch {
          up.destroy();
          socket.destroy();
          return;
        }
        up.write(requestHead, 'latin1');
        if (head.length > 0) up.write(head);
        up.on('error', () => socket.destroy());
        socket.on('close', () => up.destroy());
        up.on('close', () => {
          socket.destroy();
          release();
        });
        socket.pipe(up).pipe(socket);
        this.record(conn, dreq, 101, '-', d.cluster.config.name, endpointKey(d.endpoint), start, 0, 0, undefined);
      })
      .catch((err: { code?: string }) => {
        release();
        const flag = flagForUpstreamError(err);
        const e = errorReply(flag, false);
        socket.end(`HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? ''}\r\nx-skein-response-flags: ${flag}\r\ncontent-length: ${Buffer.byteLength(e.body)}\r\nconnection: close\r\n\r\n${e.body}`);
        this.record(conn, dreq, e.status, flag, d.cluster.config.name, endpointKey(d.endpoint), start, 0, 0, undefined);
      });
  };

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

function contentLength(headers: HeaderMap): number {
  const v = headers['content-length'];
  return typeof v === 'string' ? Number(v) || 0 : 0;
}

function requestHasBody(req: http.IncomingMessage, h2: boolean): boolean {
  if (h2) return !(req as unknown as http2.Http2ServerRequest).stream.endAfterHeaders;
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}
