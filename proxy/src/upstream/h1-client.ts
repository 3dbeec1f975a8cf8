/**
 * The lean HTTP/1.1 upstream client: pooled keep-alive connections (plain or mTLS, from
 * `Upstreams.connect`), request heads written as one string, response heads parsed with the pure
 * codec (core/http1.ts) straight from the socket's Buffers, bodies passed through as Buffer views.
 * No http.Agent, ClientRequest or IncomingMessage on the hot path.
 *
 *   const abort = pool.send(target, head, body, exchange);   // exchange gets head, data, end | error
 *
 * One exchange per connection at a time (no pipelining). A reused idle connection that the server
 * closed before answering is retried once on a new connection when the request had no body (the
 * keep-alive race every HTTP/1.1 client must handle); anything else is reported to the exchange.
 *
 * Connections are opened as requests need them, but a burst does not open one per request: while
 * connections are being set up, no more are started than are already up (at least one), so
 * requests wait for the connection being established and the pool grows by doubling. When the
 * last connection attempt fails, the requests waiting for it fail with it.
 *
 * An upgrade request (`exchange.upgrade`) whose response switches protocols (101, or a 2xx to
 * CONNECT) takes its connection out of the pool and hands the socket to `onUpgrade`; any other
 * response is an ordinary one (and the connection is not reused).
 */
import type net from 'node:net';
import { ChunkedDecoder, parseResponseHead, type BodyFraming } from '../core/http1';
import type { HeaderMap } from '../core/headers';
import { switchesProtocols } from '../core/upgrade';

/** What the forwarder hears back about one request. `onData` returning false pauses the upstream until `resume()`. */
export interface H1Exchange {
  onHead(status: number, headers: HeaderMap): void;
  onData(chunk: Buffer): boolean;
  onEnd(trailers: HeaderMap | undefined): void;
  onError(err: { code?: string; message?: string }): void;
  /** The request asks to switch protocols. */
  upgrade?: boolean;
  /** The upstream switched: the socket is the caller's now, `rest` the bytes read after the head. */
  onUpgrade?(status: number, headers: HeaderMap, socket: net.Socket, rest: Buffer): void;
}

/** A request body source (the downstream IncomingMessage): flowing data with backpressure. */
export interface BodySource {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface H1Target {
  /** Pool identity (endpoint + transport + source address). */
  key: string;
  /** Opens a new connected (and for mTLS verified) socket. */
  connect(): Promise<net.Socket>;
  /** Connections allowed at once to this target (circuit breaker maxConnections). */
  maxConnections: number;
  /** Requests one connection may serve before it is closed (undefined: unlimited). */
  maxRequestsPerConnection?: number;
  /** Close a pooled connection idle this long. Default 60 s. */
  idleTimeoutMs?: number;
}

/** Controls of an exchange in progress. */
export interface H1Handle {
  abort(): void;
  /** Resumes reading the response after `onData` returned false. */
  resume(): void;
}

/** Response heads: Envoy's defaults for upstream responses (96 KiB, 100 header lines). */
const ResponseHeadLimit = { maxHeaderBytes: 96 * 1024, maxHeaders: 100 };
const DefaultIdleTimeoutMs = 60_000;

interface Pool {
  idle: Conn[];
  /** Connections up or being set up. */
  open: number;
  /** Of `open`, those being set up. */
  connecting: number;
  waiting: Request[];
}

interface Request {
  target: H1Target;
  head: string;
  body: BodySource | undefined;
  chunked: boolean;
  method: string;
  ex: H1Exchange;
  aborted: boolean;
  conn?: Conn;
  retried: boolean;
}

export class H1Client {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  /** Sends one request; `chunked`: frame the body with chunked encoding (length unknown). */
  send(target: H1Target, method: string, head: string, body: BodySource | undefined, chunked: boolean, ex: H1Exchange): H1Handle {
    const r: Request = { target, head, body, chunked, method, ex, aborted: false, retried: false };
    this.dispatch(r);
    return {
      abort: () => {
        if (r.aborted) return;
        r.aborted = true;
        r.conn?.socket.destroy();
        const p = this.pools.get(target.key);
        if (p) p.waiting = p.waiting.filter((w) => w !== r);
      },
      resume: () => r.conn?.socket.resume(),
    };
  }

  /** Keys of pools with open connections (for /clusters). */
  keys(): string[] {
    return [...this.pools.keys()];
  }

  /** Closes idle connections of pools no longer used; busy ones close when their exchange ends. */
  retain(isUsed: (key: string) => boolean): void {
    for (const [key, p] of this.pools) {
      if (isUsed(key)) continue;
      this.pools.delete(key);
      for (const c of p.idle) c.socket.destroy();
      p.idle.length = 0;
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pools.values()) {
      for (const c of p.idle) c.socket.destroy();
      for (const w of p.waiting) w.ex.onError({ code: 'ECONNRESET', message: 'proxy closing' });
    }
    this.pools.clear();
  }

  private pool(key: string): Pool {
    let p = this.pools.get(key);
    if (!p) this.pools.set(key, (p = { idle: [], open: 0, connecting: 0, waiting: [] }));
    return p;
  }

  private dispatch(r: Request): void {
    if (r.aborted) return;
    const p = this.pool(r.target.key);
    let c: Conn | undefined;
    while ((c = p.idle.pop())) {
      if (!c.socket.destroyed && c.socket.writable) return c.start(r, true);
    }
    if (!mayConnect(p, r.target)) {
      p.waiting.push(r);
      return;
    }
    this.open(p, r);
  }

  /** Opens a connection for `r`. */
  private open(p: Pool, r: Request): void {
    p.open++;
    p.connecting++;
    r.target.connect().then(
      (socket) => {
        p.connecting--;
        const conn = new Conn(socket, this, p, r.target);
        if (r.aborted) this.release(conn);
        else conn.start(r, false);
        this.grow(p);
      },
      (err: { code?: string }) => {
        p.open--;
        p.connecting--;
        if (p.open === 0) {
          // Nothing else is up or coming: the waiting requests would only try the same and wait longer.
          for (const w of p.waiting.splice(0)) if (!w.aborted) w.ex.onError(err);
        } else {
          this.grow(p);
        }
        if (!r.aborted) r.ex.onError(err);
      },
    );
  }

  /** Opens connections for waiting requests as far as the pool may grow now. */
  private grow(p: Pool): void {
    while (p.waiting.length > 0 && mayConnect(p, p.waiting[0]!.target)) this.open(p, p.waiting.shift()!);
  }

  /** A connection finished an exchange and may be reused. */
  release(c: Conn): void {
    const p = this.pools.get(c.target.key) === c.pool ? c.pool : undefined;
    if (this.closed || !p || c.socket.destroyed) {
      c.socket.destroy();
      return;
    }
    const w = p.waiting.shift();
    if (w) return c.start(w, true);
    p.idle.push(c);
  }

  /** A connection closed (or left the pool as a tunnel). */
  gone(c: Conn): void {
    c.pool.open--;
    const i = c.pool.idle.indexOf(c);
    if (i >= 0) c.pool.idle.splice(i, 1);
    this.grow(c.pool);
  }

  /** Retries a request whose reused connection was closed by the server before any response. */
  retry(r: Request): void {
    r.retried = true;
    r.conn = undefined;
    this.dispatch(r);
  }

}

/** Below maxConnections, and no more connections being set up than are up (at least one). */
function mayConnect(p: Pool, target: H1Target): boolean {
  return p.open < target.maxConnections && p.connecting < Math.max(1, p.open - p.connecting);
}

/** One pooled connection and the exchange on it. */
class Conn {
  private req: Request | undefined;
  private reused = false;
  private buf: Buffer | undefined;
  private framing: BodyFraming | undefined;
  private remaining = 0;
  private chunked: ChunkedDecoder | undefined;
  private gotBytes = false;
  private requestDone = false;
  private responseDone = false;
  private keepAlive = false;
  /** Requests started on this connection. */
  private served = 0;

  constructor(readonly socket: net.Socket, private readonly client: H1Client, readonly pool: Pool, readonly target: H1Target) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.once('close', this.onClose);
    // One inactivity timer for the connection's life (Node re-arms it on every read and write):
    // it closes the connection only while it sits idle in the pool; during an exchange the
    // forwarder's route and per-try timeouts are what cut a slow upstream.
    socket.setTimeout(target.idleTimeoutMs ?? DefaultIdleTimeoutMs);
    socket.on('timeout', this.onTimeout);
  }

  private readonly onError = (): void => void this.socket.destroy();
  private readonly onTimeout = (): void => {
    if (!this.req) this.socket.destroy();
  };

  /** The upstream switched protocols: the socket leaves the pool and goes to the exchange, paused, listeners off. */
  private switchProtocols(r: Request, status: number, headers: HeaderMap, rest: Buffer): void {
    this.req = undefined;
    const s = this.socket;
    s.pause();
    s.removeListener('data', this.onData);
    s.removeListener('error', this.onError);
    s.removeListener('close', this.onClose);
    s.removeListener('timeout', this.onTimeout);
    s.setTimeout(0);
    this.client.gone(this);
    r.ex.onUpgrade!(status, headers, s, Buffer.from(rest));
  }

  start(r: Request, reused: boolean): void {
    this.served += 1;
    this.req = r;
    r.conn = this;
    this.reused = reused;
    this.buf = undefined;
    this.framing = undefined;
    this.chunked = undefined;
    this.gotBytes = false;
    this.requestDone = false;
    this.responseDone = false;
    this.socket.resume();
    const s = this.socket;
    // Heads are latin1 text (parsed as latin1): written back byte for byte.
    if (!r.body) {
      s.write(r.head, 'latin1');
      this.requestDone = true;
      return;
    }
    s.cork();
    s.write(r.head, 'latin1');
    const body = r.body;
    const onDrain = (): void => void body.resume();
    s.on('drain', onDrain);
    body.on('data', (chunk: Buffer) => {
      if (this.req !== r || s.destroyed) return;
      if (chunk.length === 0) return;
      const ok = r.chunked ? (s.write(`${chunk.length.toString(16)}\r\n`), s.write(chunk), s.write('\r\n')) : s.write(chunk);
      if (!ok) body.pause();
    });
    body.on('end', () => {
      s.removeListener('drain', onDrain);
      if (this.req !== r || s.destroyed) return;
      if (r.chunked) s.write('0\r\n\r\n');
      this.requestDone = true;
      if (this.responseDone) this.finish();
    });
    process.nextTick(() => s.uncork());
  }

  private readonly onData = (chunk: Buffer): void => {
    const r = this.req;
    if (!r || r.aborted) {
      // Bytes from the server outside an exchange: the connection is unusable.
      this.socket.destroy();
      return;
    }
    this.gotBytes = true;
    if (!this.framing) {
      const buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
      let at = 0;
      for (;;) {
        const h = parseResponseHead(buf, at, ResponseHeadLimit, r.method);
        if (h.kind === 'incomplete') {
          this.buf = buf.subarray(at);
          return;
        }
        if (h.kind === 'error') return this.fail({ code: 'HPE_INVALID_RESPONSE', message: h.reason });
        at = h.end;
        const status = h.head.status;
        if (r.ex.upgrade && switchesProtocols(r.method, status)) return this.switchProtocols(r, status, h.head.headers, buf.subarray(at));
        if (status === 101) return this.fail({ code: 'HPE_UNEXPECTED_UPGRADE', message: 'upgrade response to a plain request' });
        if (status < 200) continue; // 100 Continue / 103 Early Hints: not forwarded
        this.buf = undefined;
        this.framing = h.head.framing;
        // A refused upgrade is an ordinary response, but the connection is not trusted with another request.
        this.keepAlive = h.head.keepAlive && !r.ex.upgrade;
        if (this.framing.kind === 'length') this.remaining = this.framing.length;
        else if (this.framing.kind === 'chunked') this.chunked = new ChunkedDecoder();
        r.ex.onHead(status, h.head.headers);
        if (this.req !== r || r.aborted) return;
        if (this.framing.kind === 'none' || (this.framing.kind === 'length' && this.remaining === 0)) {
          if (at < buf.length) this.keepAlive = false; // bytes after a complete response: not reusable
          return this.responseEnd(undefined);
        }
        if (at < buf.length) this.body(buf.subarray(at));
        return;
      }
    }
    this.body(chunk);
  }

  private body(chunk: Buffer): void {
    const r = this.req!;
    const f = this.framing!;
    if (f.kind === 'until-close') {
      if (!r.ex.onData(chunk)) this.socket.pause();
      return;
    }
    if (f.kind === 'length') {
      const take = Math.min(this.remaining, chunk.length);
      if (take > 0 && !r.ex.onData(take === chunk.length ? chunk : chunk.subarray(0, take))) this.socket.pause();
      this.remaining -= take;
      if (take < chunk.length) this.keepAlive = false;
      if (this.remaining === 0) this.responseEnd(undefined);
      return;
    }
    const out = this.chunked!.feed(chunk);
    if (out.error) return this.fail({ code: 'HPE_INVALID_CHUNK_SIZE', message: out.error });
    let ok = true;
    for (const d of out.data) ok = r.ex.onData(d) && ok;
    if (!ok) this.socket.pause();
    if (out.done) {
      if (out.consumed < chunk.length) this.keepAlive = false;
      this.responseEnd(out.trailers);
    }
  }

  private responseEnd(trailers: HeaderMap | undefined): void {
    const r = this.req!;
    this.responseDone = true;
    r.ex.onEnd(trailers);
    // The response can complete before the request body did (an early error answer): then the
    // connection cannot be reused.
    if (this.requestDone) {
      this.finish();
    } else {
      this.req = undefined;
      this.socket.destroy();
    }
  }

  private finish(): void {
    this.req = undefined;
    const max = this.target.maxRequestsPerConnection;
    if (!this.keepAlive || (max !== undefined && this.served >= max)) {
      this.socket.destroy();
      return;
    }
    this.client.release(this);
  }

  private fail(err: { code: string; message: string }): void {
    const r = this.req;
    this.req = undefined;
    this.socket.destroy();
    if (r && !r.aborted) r.ex.onError(err);
  }

  private readonly onClose = (): void => {
    this.client.gone(this);
    const r = this.req;
    if (!r || r.aborted) return;
    this.req = undefined;
    if (this.framing?.kind === 'until-close') {
      r.ex.onEnd(undefined);
      return;
    }
    if (this.reused && !this.gotBytes && !r.body && !r.retried) {
      this.client.retry(r);
      return;
    }
    r.ex.onError({ code: 'ECONNRESET', message: 'upstream closed the connection' });
  }
}
