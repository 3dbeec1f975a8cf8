/**
 * The lean downstream HTTP/1.1 server: one loop per connection that parses request heads with the
 * strict codec (core/http1.ts) straight from the socket's Buffers and hands each request to the
 * forwarder as small request/response objects with the surface the forwarder uses (no
 * IncomingMessage/ServerResponse, no llhttp callbacks). Requests are served one at a time in order
 * (pipelined requests wait in the buffer); bodies stream in with backpressure; responses are
 * framed by Content-Length when known, chunked otherwise; Upgrade requests go to the forwarder's
 * tunnel with the bytes already read.
 */
import http from 'node:http';
import type net from 'node:net';
import { Readable } from 'node:stream';
import { ChunkedDecoder, parseRequestHead, serializeFields, type RequestHead } from '../core/http1';
import type { HeaderMap } from '../core/headers';

export interface H1ServerHooks {
  maxHeaderBytes: number;
  idleTimeoutMs: number;
  /** Slow-loris guard: a request head must be complete this long after its first byte (the first request: after connect). */
  headersTimeoutMs: number;
  handleRequest(req: LeanRequest, res: LeanResponse): void;
  handleUpgrade(req: LeanRequest, socket: net.Socket, head: Buffer): void;
  /** A malformed request was answered and the connection closed. */
  onBadRequest(reason: 'headers_too_large' | 'malformed_request' | 'request_headers_timeout'): void;
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
  resume(): unknown;
  pause(): unknown;
  on(event: string, fn: (...args: never[]) => void): unknown;
  pipe<T extends NodeJS.WritableStream>(dest: T): T;
}

export class LeanConnection {
  private buf: Buffer | undefined;
  private busy = false;
  private closed = false;
  private body: BodyReader | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private serving = false;
  private pending = false;
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
    socket.setTimeout(hooks.idleTimeoutMs, () => socket.destroy());
    this.armHeadTimer();
    socket.resume();
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
      chunk = rest;
      if (chunk.length === 0) return;
    }
    this.buf = this.buf && this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.busy) this.next();
    else if (this.buf.length > this.hooks.maxHeaderBytes * 2) this.socket.pause(); // pipelined: wait for the current response
  };

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
    if (!buf || buf.length === 0 || this.closed) return;
    const r = parseRequestHead(buf, 0, { maxHeaderBytes: this.hooks.maxHeaderBytes });
    if (r.kind === 'incomplete') {
      this.armHeadTimer();
      return;
    }
    if (r.kind === 'error') {
      this.reject(r.status === 431 ? 'headers_too_large' : 'malformed_request', r.status === 431 ? '431 Request Header Fields Too Large' : r.status === 501 ? '501 Not Implemented' : '400 Bad Request');
      return;
    }
    this.clearHeadTimer();
    const head = r.head;
    const rest = buf.subarray(r.end);
    this.buf = undefined;
    if (head.upgrade) {
      this.socket.removeListener('data', this.onData);
      this.socket.setTimeout(0);
      this.socket.pause();
      this.hooks.handleUpgrade(requestOf(this.socket, head, undefined), this.socket, Buffer.from(rest));
      return;
    }
    // The idle timeout stays armed while a request is served (as http.Server's `timeout`): it
    // counts inactivity, so only a request with no bytes either way for that long is cut.
    this.busy = true;
    let reader: BodyReader | undefined;
    if (head.framing.kind === 'length' || head.framing.kind === 'chunked') {
      reader = new BodyReader(this.socket, head.framing.kind === 'length' ? head.framing.length : -1);
      if (head.expectContinue) this.socket.write(continueLine);
      const after = reader.feed(rest);
      if (after === undefined) this.body = reader;
      else this.buf = after.length > 0 ? after : undefined;
    } else {
      this.buf = rest.length > 0 ? rest : undefined;
    }
    const req = requestOf(this.socket, head, reader);
    const res = new LeanResponse(this.socket, head, this.hooks.draining() || !head.keepAlive, () => this.done(res));
    this.response = res;
    this.hooks.handleRequest(req, res);
  }

  /** The response finished: keep the connection for the next request or close it. */
  private done(res: LeanResponse): void {
    if (this.response === res) this.response = undefined;
    this.busy = false;
    if (res.closeAfter || this.body) {
      // The request body was not read to its end: the connection cannot carry another request.
      this.socket.removeListener('data', this.onData);
      this.socket.end();
      return;
    }
    this.socket.resume();
    this.next();
  }
}

function requestOf(socket: net.Socket, head: RequestHead, body: BodyReader | undefined): LeanRequest {
  if (body) {
    return Object.assign(body.stream, { socket, httpVersionMajor: 1, method: head.method, url: head.target, headers: head.headers }) as unknown as LeanRequest;
  }
  return new BodilessRequest(socket, head);
}

/** A request without a body: `resume` is a no-op, `end` fires at once for readers that ask. */
class BodilessRequest implements LeanRequest {
  readonly httpVersionMajor = 1;
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderMap;
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
    if (remaining === 0) this.stream.push(null);
  }

  /** Takes body bytes; returns the bytes after the body once it is complete, else undefined. */
  feed(chunk: Buffer): Buffer | undefined {
    if (this.chunked) {
      const out = this.chunked.feed(chunk);
      if (out.error) {
        // The connection is unusable: closing it aborts the exchange (the forwarder sees `close`).
        this.stream.destroy();
        this.socket.destroy();
        return undefined;
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
  private readonly bodiless: boolean;
  private readonly http10: boolean;

  constructor(private readonly socket: net.Socket, req: RequestHead, closeAfter: boolean, private readonly onDone: () => void) {
    this.closeAfter = closeAfter;
    this.bodiless = req.method === 'HEAD';
    this.http10 = req.versionMinor === 0;
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
