/**
 * The lean downstream HTTP/1.1 server: one loop per connection that parses request heads with the
 * strict codec (core/http1.ts) straight from the socket's Buffers and hands each request to the
 * forwarder as small request/response objects with the surface the forwarder uses (no
 * IncomingMessage/ServerResponse, no llhttp callbacks). Requests are served one at a time in order
 * (pipelined requests wait in the buffer, unparsed, until the one before is answered); bodies
 * stream in with backpressure; responses are framed by Content-Length when known, chunked
 * otherwise.
 *
 * Upgrade requests are requests like any other: the bytes behind one stay unparsed until its
 * response is known. Only when the forwarder switches protocols (`LeanResponse.switchProtocols`,
 * after the upstream answered 101) does the connection leave HTTP, with those bytes; after any
 * other response the next request is parsed, routed and authorized as usual.
 *
 * The client's FIN ends the connection at once: the exchange in flight is aborted (the forwarder
 * hears `close`), nothing waits in CLOSE-WAIT. A malformed body answers 400 (the forwarder's
 * error reply) and closes.
 */
import http from 'node:http';
import type net from 'node:net';
import { Readable } from 'node:stream';
import { ChunkedDecoder, parseRequestHead, serializeFields, type MessageFraming, type RequestHead } from '../core/http1';
import type { HeaderMap } from '../core/headers';

export interface H1ServerHooks {
  maxHeaderBytes: number;
  /** Header lines a request may have (Envoy max_headers_count); more → 431. */
  maxHeaders: number;
  /** A connection with no request in flight and no bytes either way this long is closed. */
  idleTimeoutMs: number;
  /** Slow-loris guard: a request head must be complete this long after its first byte (the first request: after connect). */
  headersTimeoutMs: number;
  handleRequest(req: LeanRequest, res: LeanResponse): void;
  /** A malformed request was answered and the connection closed. */
  onBadRequest(reason: 'headers_too_large' | 'too_many_headers' | 'malformed_request' | 'request_headers_timeout'): void;
  /** Whether the listener drains (answer with `connection: close`). */
  draining(): boolean;
}

const continueLine = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Body chunks up to this size are copied behind the head into one buffer; larger ones are written beside it. */
const CopyLimit = 16 * 1024;

/** Serves HTTP/1.1 on a socket (plain or TLS) whose first bytes may already have been read. */
export function serveHttp1(socket: net.Socket, initial: Buffer, hooks: H1ServerHooks): LeanConnection {
  const c = new LeanConnection(socket, hooks);
  if (initial.length > 0) c.onData(initial);
  return c;
}

/** The request as the forwarder sees it (the subset of IncomingMessage it uses). */
export interface LeanRequest {
  readonly socket: net.Socket;
  readonly httpVersionMajor: number;
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderMap;
  /** How the body is delimited, as parsed (`none`, `length`, `chunked`). */
  readonly framing: MessageFraming;
  resume(): unknown;
  pause(): unknown;
  on(event: string, fn: (...args: never[]) => void): unknown;
  once(event: string, fn: (...args: never[]) => void): unknown;
  pipe<T extends NodeJS.WritableStream>(dest: T): T;
}

export class LeanConnection {
  private buf: Buffer | undefined;
  private busy = false;
  private closed = false;
  /** The connection left HTTP (a tunnel) or can carry no further request (a broken body). */
  private detached = false;
  private broken = false;
  private body: BodyReader | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private serving = false;
  private pending = false;
  /** The socket's inactivity timeout now (the idle one, or a request's stream idle timeout). */
  private timeoutMs: number;
  /** The response being served. */
  private response: LeanResponse | undefined;

  constructor(readonly socket: net.Socket, private readonly hooks: H1ServerHooks) {
    socket.on('data', this.onData);
    // One 'close' and one 'drain' listener for the connection's life, passed on to the response
    // being served (not added and removed per request).
    socket.once('close', () => {
      this.closed = true;
      this.clearHeadTimer();
      this.response?.socketClosed();
    });
    socket.on('drain', () => this.response?.drained());
    // The client's FIN: HTTP/1.1 has no half-closed exchanges here (as Envoy); end it all now.
    socket.on('end', this.onEnd);
    this.timeoutMs = hooks.idleTimeoutMs;
    socket.setTimeout(hooks.idleTimeoutMs);
    socket.on('timeout', this.onTimeout);
    this.armHeadTimer();
    socket.resume();
  }

  private readonly onEnd = (): void => {
    if (!this.detached) this.socket.destroy();
  };

  /** Inactivity: the request in flight hears it (stream idle timeout); an idle connection closes. */
  private readonly onTimeout = (): void => {
    if (this.detached) return;
    if (this.response?.timedOut()) return;
    this.socket.destroy();
  };

  /** The socket's inactivity timeout while a request is in flight (its stream idle timeout); 0: none. */
  setRequestTimeout(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  private armHeadTimer(): void {
    if (this.headTimer) return;
    this.headTimer = setTimeout(() => {
      this.headTimer = undefined;
      if (this.busy || this.closed) return;
      this.reject('request_headers_timeout', '408 Request Timeout');
    }, this.hooks.headersTimeoutMs);
    this.headTimer.unref();
  }

  private clearHeadTimer(): void {
    if (!this.headTimer) return;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  /** Answers a request the proxy will not serve and closes the connection. */
  private reject(reason: Parameters<H1ServerHooks['onBadRequest']>[0], status: string): void {
    this.hooks.onBadRequest(reason);
    this.buf = undefined;
    this.clearHeadTimer();
    this.socket.removeListener('data', this.onData);
    if (this.socket.writable) this.socket.end(`HTTP/1.1 ${status}\r\nx-skein-response-flags: DPE\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    this.socket.destroySoon();
  }

  get idle(): boolean {
    return !this.busy && (this.buf === undefined || this.buf.length === 0);
  }

  readonly onData = (chunk: Buffer): void => {
    if (this.body) {
      const rest = this.body.feed(chunk);
      if (rest === undefined) return;
      this.body = undefined;
      if (rest === null) {
        this.bodyFailed();
        return;
      }
      chunk = rest;
      if (chunk.length === 0) return;
    }
    this.buf = this.buf && this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.busy) this.next();
    else if (this.buf.length > this.hooks.maxHeaderBytes * 2) this.socket.pause(); // pipelined: wait for the current response
  };

  /**
   * The request body is malformed: nothing after it can be read as HTTP. The forwarder hears the
   * body stream's error and answers 400 (or resets a response under way); the connection closes
   * after that answer.
   */
  private bodyFailed(): void {
    this.broken = true;
    this.buf = undefined;
    this.socket.removeListener('data', this.onData);
    if (this.response) this.response.closeAfter = true;
    else this.socket.destroy();
  }

  /**
   * Serves buffered requests in order. A loop, not recursion: responses that finish synchronously
   * (direct replies, errors) to many pipelined requests must not grow the stack.
   */
  private next(): void {
    if (this.serving) {
      this.pending = true;
      return;
    }
    this.serving = true;
    try {
      do {
        this.pending = false;
        this.serveOne();
      } while (this.pending && !this.busy);
    } finally {
      this.serving = false;
    }
  }

  /** Parses and serves the next buffered request, if complete. */
  private serveOne(): void {
    const buf = this.buf;
    if (!buf || buf.length === 0 || this.closed || this.broken) return;
    const r = parseRequestHead(buf, 0, { maxHeaderBytes: this.hooks.maxHeaderBytes, maxHeaders: this.hooks.maxHeaders });
    if (r.kind === 'incomplete') {
      this.armHeadTimer();
      return;
    }
    if (r.kind === 'error') {
      if (r.status === 431) this.reject(r.reason === 'headers too large' ? 'headers_too_large' : 'too_many_headers', '431 Request Header Fields Too Large');
      else this.reject('malformed_request', r.status === 501 ? '501 Not Implemented' : '400 Bad Request');
      return;
    }
    this.clearHeadTimer();
    const head = r.head;
    const rest = buf.subarray(r.end);
    this.buf = undefined;
    // The idle timeout stays armed while a request is served (as http.Server's `timeout`): it
    // counts inactivity, so only a request with no bytes either way for that long is cut.
    this.busy = true;
    let reader: BodyReader | undefined;
    if (head.framing.kind === 'length' || head.framing.kind === 'chunked') {
      reader = new BodyReader(this.socket, head.framing.kind === 'length' ? head.framing.length : -1);
      if (head.expectContinue) this.socket.write(continueLine);
      const after = reader.feed(rest);
      if (after === undefined) this.body = reader;
      else if (after === null) this.broken = true;
      else this.buf = after.length > 0 ? after : undefined;
    } else {
      this.buf = rest.length > 0 ? rest : undefined;
    }
    const req = requestOf(this.socket, head, reader);
    const res = new LeanResponse(this, head, this.hooks.draining() || !head.keepAlive || this.broken, () => this.done(res));
    this.response = res;
    this.hooks.handleRequest(req, res);
  }

  /** The response finished: keep the connection for the next request or close it. */
  private done(res: LeanResponse): void {
    if (this.response === res) this.response = undefined;
    this.busy = false;
    this.setRequestTimeout(this.hooks.idleTimeoutMs);
    if (res.closeAfter || this.body || this.broken) {
      // The request body was not read to its end (or is malformed): the connection cannot carry another request.
      this.socket.removeListener('data', this.onData);
      this.socket.end();
      return;
    }
    this.socket.resume();
    this.next();
  }

  /**
   * The connection leaves HTTP (the upstream switched protocols): no more parsing, timeouts or
   * FIN handling here; returns the bytes the client sent after the request (tunnel data).
   */
  detach(): Buffer {
    this.detached = true;
    this.response = undefined;
    this.clearHeadTimer();
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('end', this.onEnd);
    this.socket.removeListener('timeout', this.onTimeout);
    this.socket.setTimeout(0);
    const buffered = this.buf ?? Buffer.alloc(0);
    this.buf = undefined;
    return buffered;
  }
}

function requestOf(socket: net.Socket, head: RequestHead, body: BodyReader | undefined): LeanRequest {
  if (body) {
    return Object.assign(body.stream, { socket, httpVersionMajor: 1, method: head.method, url: head.target, headers: head.headers, framing: head.framing }) as unknown as LeanRequest;
  }
  return new BodilessRequest(socket, head);
}

/** A request without a body: `resume` is a no-op, `end` fires at once for readers that ask. */
class BodilessRequest implements LeanRequest {
  readonly httpVersionMajor = 1;
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderMap;
  readonly framing: MessageFraming = { kind: 'none' };
  constructor(readonly socket: net.Socket, head: RequestHead) {
    this.method = head.method;
    this.url = head.target;
    this.headers = head.headers;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  on(event: string, fn: (...args: never[]) => void): this {
    if (event === 'end') queueMicrotask(fn as () => void);
    return this;
  }
  /** No body, so no body error either. */
  once(event: string, fn: (...args: never[]) => void): this {
    return event === 'error' ? this : this.on(event, fn);
  }
  pipe<T extends NodeJS.WritableStream>(dest: T): T {
    dest.end();
    return dest;
  }
}

/** Streams one request body (length-framed or chunked) out of the connection's bytes, with backpressure. */
class BodyReader {
  readonly stream: Readable;
  private readonly chunked: ChunkedDecoder | undefined;

  /** `length` < 0: chunked. */
  constructor(private readonly socket: net.Socket, private remaining: number) {
    this.chunked = remaining < 0 ? new ChunkedDecoder() : undefined;
    this.stream = new Readable({ read: () => void socket.resume() });
    // Whoever reads the body hears a malformed one as 'error'; nobody reading must not crash the process.
    this.stream.on('error', () => undefined);
    if (remaining === 0) this.stream.push(null);
  }

  /** Takes body bytes; returns the bytes after the body once it is complete, undefined before, null when the body is malformed. */
  feed(chunk: Buffer): Buffer | undefined | null {
    if (this.chunked) {
      const out = this.chunked.feed(chunk);
      if (out.error) {
        this.stream.destroy(Object.assign(new Error(`malformed request body: ${out.error}`), { code: 'HPE_INVALID_CHUNK_SIZE' }));
        return null;
      }
      let more = true;
      for (const d of out.data) more = this.stream.push(d) && more;
      if (!more) this.socket.pause();
      if (!out.done) return undefined;
      this.stream.push(null);
      return chunk.subarray(out.consumed);
    }
    if (this.remaining === 0) return chunk;
    const take = Math.min(this.remaining, chunk.length);
    this.remaining -= take;
    if (take > 0 && !this.stream.push(take === chunk.length ? chunk : chunk.subarray(0, take))) this.socket.pause();
    if (this.remaining > 0) return undefined;
    this.stream.push(null);
    return chunk.subarray(take);
  }
}

type Listener = () => void;

/** A protocol switch's answer carries no framing; the proxy writes Connection and Upgrade itself. */
const SwitchOwnedFields: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'upgrade']);

/** The response as the forwarder sees it (the subset of ServerResponse it uses). */
export class LeanResponse {
  headersSent = false;
  writableEnded = false;
  closeAfter: boolean;
  private head = '';
  private chunked = false;
  private trailers: HeaderMap | undefined;
  private finished = false;
  private closeListeners: Listener[] | undefined;
  private finishListeners: Listener[] | undefined;
  private drainListener: Listener | undefined;
  private timeoutListener: Listener | undefined;
  private readonly bodiless: boolean;
  private readonly http10: boolean;
  private readonly socket: net.Socket;

  constructor(private readonly conn: LeanConnection, req: RequestHead, closeAfter: boolean, private readonly onDone: () => void) {
    this.socket = conn.socket;
    this.closeAfter = closeAfter;
    this.bodiless = req.method === 'HEAD';
    this.http10 = req.versionMinor === 0;
  }

  /**
   * The request's stream idle timeout: `fn` runs when no byte moved either way for `ms` (0: no
   * timeout) while this response is the one being served.
   */
  setTimeout(ms: number, fn: Listener): this {
    this.timeoutListener = fn;
    this.conn.setRequestTimeout(ms);
    return this;
  }

  /** The connection timed out while this response was being served; false when nobody listens. */
  timedOut(): boolean {
    if (this.finished || !this.timeoutListener) return false;
    this.timeoutListener();
    return true;
  }

  /**
   * The upstream switched protocols: writes its answer (101 with `Connection: upgrade` and
   * `Upgrade`, or the 2xx to a CONNECT) and hands over the socket, with the bytes the client sent
   * after its request. The connection is no longer HTTP.
   */
  switchProtocols(status: number, headers: HeaderMap, upgrade: string | undefined): { socket: net.Socket; buffered: Buffer } {
    if (this.headersSent) throw Object.assign(new Error('headers already sent'), { code: 'ERR_HTTP_HEADERS_SENT' });
    let h = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Unknown'}\r\n${serializeFields(headers, SwitchOwnedFields)}`;
    if (upgrade !== undefined) h += serializeFields({ connection: 'upgrade', upgrade });
    const buffered = this.conn.detach();
    this.headersSent = true;
    this.writableEnded = true;
    this.finished = true;
    this.socket.write(`${h}\r\n`, 'latin1');
    return { socket: this.socket, buffered };
  }

  writeHead(status: number, headers: HeaderMap = {}): this {
    if (this.headersSent) throw Object.assign(new Error('headers already sent'), { code: 'ERR_HTTP_HEADERS_SENT' });
    let h = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Unknown'}\r\n${serializeFields(headers)}`;
    const noBody = this.bodiless || status === 204 || status === 304 || status < 200;
    if (!noBody && headers['content-length'] === undefined) {
      // HTTP/1.0 clients do not know chunked: the body ends when the connection closes.
      if (this.http10) this.closeAfter = true;
      else {
        this.chunked = true;
        h += 'transfer-encoding: chunked\r\n';
      }
    }
    if (this.closeAfter) h += 'connection: close\r\n';
    this.head = `${h}\r\n`;
    this.headersSent = true;
    return this;
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.socket.destroyed) return false;
    if (!this.headersSent) this.writeHead(200);
    const len = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (len === 0) return true;
    if (this.bodiless) return true;
    if (typeof chunk === 'string') chunk = Buffer.from(chunk);
    // One write per body chunk, the pending head and the chunk framing included: one TLS record,
    // one syscall (a small response is a single write).
    const prefix = this.chunked ? `${this.head}${len.toString(16)}\r\n` : this.head;
    this.head = '';
    if (prefix === '' && !this.chunked) return this.socket.write(chunk);
    if (len > CopyLimit) {
      this.socket.cork();
      this.socket.write(prefix, 'latin1');
      const ok = this.socket.write(chunk);
      if (this.chunked) this.socket.write('\r\n');
      this.socket.uncork();
      return ok;
    }
    const suffix = this.chunked ? 2 : 0;
    const out = Buffer.allocUnsafe(prefix.length + len + suffix);
    out.write(prefix, 0, 'latin1');
    chunk.copy(out, prefix.length);
    if (suffix) out.write('\r\n', prefix.length + len, 'latin1');
    return this.socket.write(out);
  }

  end(chunk?: Buffer | string): this {
    if (this.writableEnded) return this;
    if (!this.headersSent) {
      const len = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      this.writeHead(200, { 'content-length': String(len) });
    }
    if (this.socket.destroyed) {
      this.writableEnded = true;
      return this;
    }
    this.socket.cork();
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    this.writableEnded = true;
    this.flushHead();
    if (this.chunked && !this.bodiless) this.socket.write(`0\r\n${this.trailers ? serializeFields(this.trailers) : ''}\r\n`, 'latin1');
    this.socket.uncork();
    this.finished = true;
    const fins = this.finishListeners;
    this.finishListeners = undefined;
    if (fins) for (const f of fins) f();
    this.onDone();
    return this;
  }

  addTrailers(headers: HeaderMap): void {
    this.trailers = { ...this.trailers, ...headers };
  }

  destroy(): this {
    this.socket.destroy();
    return this;
  }

  once(event: 'close' | 'finish', fn: Listener): this {
    if (event === 'close') (this.closeListeners ??= []).push(fn);
    else (this.finishListeners ??= []).push(fn);
    return this;
  }

  on(event: 'drain', fn: Listener): this {
    if (event === 'drain') this.drainListener ??= fn;
    return this;
  }

  /** The socket drained (the connection's one 'drain' listener calls this for its current response). */
  drained(): void {
    if (!this.finished) this.drainListener?.();
  }

  private flushHead(): void {
    if (this.head === '') return;
    this.socket.write(this.head, 'latin1');
    this.head = '';
  }

  /** The socket closed before the response ended (the connection's 'close' listener calls this). */
  socketClosed(): void {
    if (this.finished) return;
    this.finished = true;
    const cl = this.closeListeners;
    this.closeListeners = undefined;
    if (cl) for (const f of cl) f();
  }
}
