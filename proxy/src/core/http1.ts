/**
 * A strict HTTP/1.1 message-head parser and chunked-body decoder for the lean data path (RFC 9112).
 * Pure: works on Buffers handed in, keeps no I/O. Strict where leniency enables request smuggling
 * or response splitting: CRLF line ends only, no obs-fold, no whitespace before the colon, token
 * header names, no control bytes in values, Content-Length digits only and consistent, and
 * Transfer-Encoding together with Content-Length rejected; only `chunked` is accepted as a
 * transfer coding.
 *
 *   const r = parseRequestHead(buf, 0, { maxHeaderBytes: 60 * 1024 });
 *   if (r.kind === 'incomplete') wait for more bytes; 'error' → r.status (400/431/501); 'head' → r.head, r.end
 */
import type { HeaderMap } from './headers';

export interface HeadLimits {
  /** Maximum bytes of the head (request/status line + headers + final CRLF). */
  maxHeaderBytes: number;
  /** Maximum number of header lines (Envoy max_headers_count). Default: no limit. */
  maxHeaders?: number;
}

/** How a message body is delimited on the wire when the proxy writes it. */
export type MessageFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

/** How the message body is delimited. */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until-close' };

export interface RequestHead {
  method: string;
  target: string;
  /** 0 or 1 (HTTP/1.0 or HTTP/1.1). */
  versionMinor: number;
  /** Lower-case names; repeated headers become arrays (as node:http does for set-cookie). */
  headers: HeaderMap;
  framing: BodyFraming;
  /** The connection stays open after this exchange (HTTP/1.1 default, HTTP/1.0 with keep-alive). */
  keepAlive: boolean;
  /** `Connection: upgrade` + `Upgrade` (WebSocket…), or the CONNECT method. */
  upgrade: boolean;
  /** `Expect: 100-continue`. */
  expectContinue: boolean;
}

export interface ResponseHead {
  status: number;
  reason: string;
  versionMinor: number;
  headers: HeaderMap;
  framing: BodyFraming;
  keepAlive: boolean;
}

export type HeadResult<T> =
  | { kind: 'incomplete' }
  | { kind: 'error'; status: 400 | 431 | 501 | 502; reason: string }
  | { kind: 'head'; head: T; /** Offset just after the head's final CRLF. */ end: number };

const CRLFCRLF = Buffer.from('\r\n\r\n');

// RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
const tchar = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") tchar[c.charCodeAt(0)] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (tchar[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** A field-value character: VCHAR, obs-text, SP, HTAB; no other control byte (no CR/LF/NUL/DEL). */
function isFieldChar(c: number): boolean {
  return (c >= 0x20 || c === 0x09) && c !== 0x7f;
}

/** Field values (`s[from, to)`, all of `s` by default) made of field-value characters only. */
function isFieldValue(s: string, from = 0, to = s.length): boolean {
  for (let i = from; i < to; i++) if (!isFieldChar(s.charCodeAt(i))) return false;
  return true;
}

/** Content-Length: digits only, at most 15 (below 2^53). */
const ContentLengthDigits = /^\d{1,15}$/;

/** Request targets: visible ASCII only (origin-form, absolute-form, authority-form, `*`). */
function isTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

type Fail = { kind: 'error'; status: 400 | 431 | 501 | 502; reason: string };
const fail = (status: Fail['status'], reason: string): Fail => ({ kind: 'error', status, reason });

/** Locates the head; 'incomplete' while no CRLFCRLF within the limit, 431 past it. */
function locateHead(buf: Buffer, start: number, limits: HeadLimits, tooLarge: Fail['status']): { end: number } | { kind: 'incomplete' } | Fail {
  const at = buf.indexOf(CRLFCRLF, start);
  if (at < 0) return buf.length - start > limits.maxHeaderBytes ? fail(tooLarge, 'headers too large') : { kind: 'incomplete' };
  const end = at + 4;
  if (end - start > limits.maxHeaderBytes) return fail(tooLarge, 'headers too large');
  return { end };
}

/**
 * Header names seen on most requests and responses. A parsed name equal to one of them (ignoring
 * case) is returned as this constant: no new string, no lower-casing, and an object key V8 has
 * already internalized (a fresh name string costs a hash and a string-table lookup per header).
 */
const KnownNames = [
  'host', 'content-length', 'content-type', 'connection', 'date', 'server', 'user-agent', 'accept', 'accept-encoding',
  'accept-language', 'transfer-encoding', 'cache-control', 'cookie', 'set-cookie', 'authorization', 'location', 'vary',
  'etag', 'last-modified', 'expires', 'content-encoding', 'keep-alive', 'upgrade', 'expect', 'origin', 'referer', 'te',
  'x-request-id', 'traceparent', 'tracestate', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-client-cert',
  'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'grpc-status', 'grpc-message', 'x-envoy-attempt-count',
];
const knownByLength: string[][] = [];
for (const n of KnownNames) (knownByLength[n.length] ??= []).push(n);

/** The lower-cased header name `text[start, end)` (a token), as a known constant when it is one. */
function headerName(text: string, start: number, end: number, upper: boolean): string {
  const candidates = knownByLength[end - start];
  if (candidates) {
    for (const k of candidates) {
      let i = 0;
      // `| 0x20` lower-cases ASCII letters; tokens hold no other byte it could confuse with one.
      while (i < k.length && (text.charCodeAt(start + i) | 0x20) === k.charCodeAt(i)) i++;
      if (i === k.length) return k;
    }
  }
  const raw = text.slice(start, end);
  return upper ? raw.toLowerCase() : raw;
}

/**
 * Parses the header lines in `text[from, to)` — the head as latin1 text (one character per byte),
 * each line ending in CRLF, `to` just after the last one — into a map; returns an error text or
 * the map. One scan per line; the only strings made are the name and the value (slices).
 */
function parseFields(text: string, from: number, to: number, maxHeaders = Infinity): HeaderMap | string {
  const headers: HeaderMap = {};
  let at = from;
  let count = 0;
  while (at < to) {
    if (++count > maxHeaders) return TooManyHeaders;
    const lf = text.indexOf('\n', at);
    if (lf < 0 || lf >= to || lf - 1 < at || text.charCodeAt(lf - 1) !== 0x0d) return 'bare LF in header section';
    const end = lf - 1; // the line is text[at, end)
    const lineStart = at;
    at = lf + 1;
    if (end === lineStart) continue;
    const c0 = text.charCodeAt(lineStart);
    if (c0 === 0x20 || c0 === 0x09) return 'obsolete line folding';
    let colon = lineStart;
    let upper = false;
    for (let c = c0; colon < end && tchar[c] === 1; c = text.charCodeAt(++colon)) if (c >= 0x41 && c <= 0x5a) upper = true;
    if (colon === lineStart || colon === end || text.charCodeAt(colon) !== 0x3a /* : */) {
      const named = text.indexOf(':', lineStart);
      return named <= lineStart || named >= end ? 'header line without a name' : `invalid header name "${text.slice(lineStart, Math.min(named, lineStart + 40))}"`;
    }
    let v = colon + 1;
    let w = end;
    while (v < w && (text.charCodeAt(v) === 0x20 || text.charCodeAt(v) === 0x09)) v++;
    while (w > v && (text.charCodeAt(w - 1) === 0x20 || text.charCodeAt(w - 1) === 0x09)) w--;
    if (!isFieldValue(text, v, w)) return `invalid byte in header "${text.slice(lineStart, colon)}"`;
    const name = headerName(text, lineStart, colon, upper);
    const value = text.slice(v, w);
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = [prev, value];
  }
  return headers;
}

const TooManyHeaders = 'too many header fields';

/** The head `buf[start, end)` as latin1 text, its first line (request or status line) and where its header lines begin. */
function headText(buf: Buffer, start: number, end: number): { text: string; line: string; next: number } {
  const text = buf.toString('latin1', start, end);
  const crlf = text.indexOf('\r\n');
  const lineEnd = crlf < 0 || crlf > text.length - 4 ? text.length - 4 : crlf;
  return { text, line: text.slice(0, lineEnd), next: Math.min(lineEnd + 2, text.length - 2) };
}

function listValues(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v.join(',') : v).split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
}

/** Content-Length / Transfer-Encoding → framing, with the smuggling defences. */
function bodyFraming(headers: HeaderMap): BodyFraming | string {
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  if (te !== undefined) {
    if (cl !== undefined) return 'both Content-Length and Transfer-Encoding';
    const codings = listValues(te);
    if (codings.length !== 1 || codings[0] !== 'chunked') return `unsupported transfer coding "${String(te)}"`;
    return { kind: 'chunked' };
  }
  if (cl === undefined) return { kind: 'none' };
  if (typeof cl === 'string' && ContentLengthDigits.test(cl)) return { kind: 'length', length: Number(cl) };
  // Repeated (or comma-listed) identical values are allowed (RFC 9110 §8.6) and merged into one;
  // differing ones are not.
  const values = (Array.isArray(cl) ? cl.join(',') : cl).split(',').map((s) => s.trim());
  const first = values[0]!;
  if (!ContentLengthDigits.test(first)) return `invalid Content-Length "${first.slice(0, 20)}"`;
  if (values.some((v) => v !== first)) return 'conflicting Content-Length values';
  headers['content-length'] = first;
  return { kind: 'length', length: Number(first) };
}

function connectionKeepAlive(headers: HeaderMap, versionMinor: number): boolean {
  const tokens = listValues(headers.connection);
  if (tokens.includes('close')) return false;
  return versionMinor === 1 || tokens.includes('keep-alive');
}

/**
 * Whether the bytes from `start` can still begin a request line (a method token, then a space):
 * bytes that never can (a WebSocket frame, TLS, binary) are refused at once instead of waiting for
 * a head that will not come.
 */
function methodSoFar(buf: Buffer, start: number): boolean {
  if (start === buf.length - 1 && buf[start] === 0x0d) return true; // half of an empty line before the request
  const end = Math.min(buf.length, start + MaxMethodLength + 1);
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x20) return i > start;
    if (tchar[c] !== 1) return false;
  }
  return end - start <= MaxMethodLength;
}
const MaxMethodLength = 32;

export function parseRequestHead(buf: Buffer, start: number, limits: HeadLimits): HeadResult<RequestHead> {
  // Tolerate (RFC 9112 §2.2) empty lines before a request line, as keep-alive clients send them.
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  const loc = locateHead(buf, start, limits, 431);
  if (!('end' in loc)) return loc.kind === 'incomplete' && !methodSoFar(buf, start) ? fail(400, 'invalid method') : loc;
  const { text, line: requestLine, next } = headText(buf, start, loc.end);
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.([01])$/.exec(requestLine);
  if (!m) return fail(400, 'malformed request line');
  const [, method, target, minor] = m as unknown as [string, string, string, string];
  if (!isToken(method)) return fail(400, 'invalid method');
  if (!isTarget(target)) return fail(400, 'invalid request target');
  const headers = parseFields(text, next, text.length - 2, limits.maxHeaders);
  if (typeof headers === 'string') return fail(headers === TooManyHeaders ? 431 : 400, headers);
  const host = headers.host;
  const versionMinor = Number(minor);
  if (Array.isArray(host)) return fail(400, 'more than one Host header');
  if (versionMinor === 1 && host === undefined) return fail(400, 'missing Host header');
  const framing = bodyFraming(headers);
  if (typeof framing === 'string') return fail(framing.startsWith('unsupported') ? 501 : 400, framing);
  if (versionMinor === 0 && framing.kind === 'chunked') return fail(400, 'chunked encoding in HTTP/1.0');
  const upgrade = method === 'CONNECT' || (headers.upgrade !== undefined && listValues(headers.connection).includes('upgrade'));
  const expect = headers.expect;
  return {
    kind: 'head',
    end: loc.end,
    head: {
      method,
      target,
      versionMinor,
      headers,
      framing,
      keepAlive: connectionKeepAlive(headers, versionMinor),
      upgrade,
      expectContinue: typeof expect === 'string' && expect.toLowerCase() === '100-continue',
    },
  };
}

/**
 * Parses a response head. `requestMethod` decides bodiless responses (HEAD, 2xx to CONNECT);
 * 1xx, 204 and 304 never have a body. Errors are 502 (upstream protocol error).
 */
export function parseResponseHead(buf: Buffer, start: number, limits: HeadLimits, requestMethod: string): HeadResult<ResponseHead> {
  const loc = locateHead(buf, start, limits, 502);
  if (!('end' in loc)) return loc;
  const { text, line: statusLine, next } = headText(buf, start, loc.end);
  const m = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/.exec(statusLine);
  if (!m) return fail(502, 'malformed status line');
  const versionMinor = Number(m[1]);
  const status = Number(m[2]);
  const reason = m[3] ?? '';
  if (status < 100 || !isFieldValue(reason)) return fail(502, 'malformed status line');
  const headers = parseFields(text, next, text.length - 2, limits.maxHeaders);
  if (typeof headers === 'string') return fail(502, headers);
  const framing = bodyFraming(headers);
  if (typeof framing === 'string') return fail(502, framing);
  const bodiless = requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304 || (requestMethod === 'CONNECT' && status < 300);
  const keepAlive = connectionKeepAlive(headers, versionMinor);
  return {
    kind: 'head',
    end: loc.end,
    head: { status, reason, versionMinor, headers, framing: bodiless ? { kind: 'none' } : framing.kind === 'none' ? { kind: 'until-close' } : framing, keepAlive: keepAlive && !(framing.kind === 'none' && !bodiless) },
  };
}

/** Limits for the chunked decoder (a chunk-size line and the trailer section). */
export interface ChunkedLimits {
  maxLineBytes: number;
  maxTrailerBytes: number;
}

const enum ChunkState {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

/** Output of one `feed`: body bytes (views into the input), where the message ended, errors. */
export interface ChunkedOutput {
  data: Buffer[];
  /** Bytes of the input consumed (everything up to the message end, or all of it). */
  consumed: number;
  done: boolean;
  /** Trailer fields, when the message ended with any. */
  trailers?: HeaderMap;
  error?: string;
}

/**
 * Incremental chunked-body decoder (RFC 9112 §7.1). Feed it what arrives; it returns the body
 * bytes and says where the message ends (bytes after that belong to the next message).
 */
export class ChunkedDecoder {
  private state = ChunkState.Size;
  private remaining = 0;
  private line = '';
  private trailerLines: string[] = [];
  private trailerBytes = 0;

  constructor(private readonly limits: ChunkedLimits = { maxLineBytes: 4096, maxTrailerBytes: 16 * 1024 }) {}

  get done(): boolean {
    return this.state === ChunkState.Done;
  }

  feed(buf: Buffer): ChunkedOutput {
    const data: Buffer[] = [];
    let i = 0;
    const n = buf.length;
    const err = (error: string): ChunkedOutput => ({ data, consumed: i, done: false, error });
    while (i < n && this.state !== ChunkState.Done) {
      switch (this.state) {
        case ChunkState.Data: {
          const take = Math.min(this.remaining, n - i);
          data.push(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = ChunkState.DataCr;
          break;
        }
        case ChunkState.DataCr:
          if (buf[i++] !== 0x0d) return err('chunk data not followed by CRLF');
          this.state = ChunkState.DataLf;
          break;
        case ChunkState.DataLf:
          if (buf[i++] !== 0x0a) return err('chunk data not followed by CRLF');
          this.state = ChunkState.Size;
          break;
        case ChunkState.Size:
        case ChunkState.Trailer: {
          const lf = buf.indexOf(0x0a, i);
          const stop = lf < 0 ? n : lf + 1;
          this.line += buf.toString('latin1', i, stop);
          i = stop;
          if (this.line.length > (this.state === ChunkState.Size ? this.limits.maxLineBytes : this.limits.maxTrailerBytes)) return err(this.state === ChunkState.Size ? 'chunk size line too long' : 'trailers too large');
          if (lf < 0) break;
          if (!this.line.endsWith('\r\n')) return err('bare LF in chunked body');
          const line = this.line.slice(0, -2);
          this.line = '';
          const e = this.state === ChunkState.Size ? this.sizeLine(line) : this.trailerLine(line);
          if (e) return err(e);
          break;
        }
      }
    }
    const out: ChunkedOutput = { data, consumed: i, done: this.state === ChunkState.Done };
    if (out.done && this.trailerLines.length > 0) {
      const lines = this.trailerLines.map((l) => `${l}\r\n`).join('');
      const t = parseFields(lines, 0, lines.length);
      if (typeof t === 'string') return err(t);
      out.trailers = t;
    }
    return out;
  }

  private sizeLine(line: string): string | undefined {
    const semi = line.indexOf(';');
    const hex = (semi < 0 ? line : line.slice(0, semi)).trimEnd();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return `invalid chunk size "${hex.slice(0, 20)}"`;
    if (semi >= 0 && !isFieldValue(line.slice(semi))) return 'invalid chunk extension';
    const size = parseInt(hex, 16);
    if (size === 0) {
      this.state = ChunkState.Trailer;
      return undefined;
    }
    this.remaining = size;
    this.state = ChunkState.Data;
    return undefined;
  }

  private trailerLine(line: string): string | undefined {
    if (line.length === 0) {
      this.state = ChunkState.Done;
      return undefined;
    }
    this.trailerBytes += line.length + 2;
    if (this.trailerBytes > this.limits.maxTrailerBytes) return 'trailers too large';
    this.trailerLines.push(line);
    return undefined;
  }
}

/**
 * Heads are written as latin1 text: one character per byte, as they were parsed, so bytes from the
 * wire go back unchanged. A string that came from elsewhere (config, an HTTP/2 peer) with
 * characters past U+00FF goes out as its UTF-8 bytes.
 */
function onWire(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return utf8Bytes(s);
  return s;
}

/** `s` encoded as UTF-8, as latin1 text (one character per byte). */
function utf8Bytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** A field value as wire text (see `onWire`), or undefined when it holds a control byte (CR, LF, NUL…): one pass. */
function fieldValueOnWire(s: string): string | undefined {
  let wide = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isFieldChar(c)) return undefined;
    if (c > 0xff) wide = true;
  }
  return wide ? utf8Bytes(s) : s;
}

/** Lines of a request head that only the serializer writes, whatever the header map holds. */
const HeadOwnedFields: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade']);

/**
 * Serializes a request head; write it with the 'latin1' encoding. The request line, Host, the
 * body framing and (for a tunnel) `Connection: upgrade` + `Upgrade` come from the arguments — the
 * ONE framing decision: from the body as the proxy parsed it, never from header values a client
 * (or a `Connection` option) could have changed. Then the given end-to-end headers.
 */
export function serializeRequestHead(method: string, path: string, authority: string, headers: HeaderMap, framing: MessageFraming, upgrade?: string): string {
  let s = `${method} ${onWire(path)} HTTP/1.1\r\nhost: ${onWire(authority)}\r\n`;
  s += serializeFields(headers, HeadOwnedFields);
  if (framing.kind === 'chunked') s += 'transfer-encoding: chunked\r\n';
  else if (framing.kind === 'length') s += `content-length: ${framing.length}\r\n`;
  if (upgrade !== undefined) s += `connection: upgrade\r\nupgrade: ${fieldOut('upgrade', upgrade)}\r\n`;
  return `${s}\r\n`;
}

/**
 * Header lines for a map, as latin1 text (see `onWire`), leaving out the names in `skip`; a value
 * with CR, LF or NUL is refused (response splitting), by throwing — callers map that to a
 * protocol error.
 */
export function serializeFields(headers: HeaderMap, skip?: ReadonlySet<string>): string {
  let s = '';
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || skip?.has(name)) continue;
    if (!isToken(name)) throw Object.assign(new Error(`invalid header name "${name.slice(0, 40)}"`), { code: 'ERR_INVALID_HTTP_TOKEN' });
    if (typeof v === 'string') s += `${name}: ${fieldOut(name, v)}\r\n`;
    else for (const one of v) s += `${name}: ${fieldOut(name, one)}\r\n`;
  }
  return s;
}

function fieldOut(name: string, value: string): string {
  const out = fieldValueOnWire(value);
  if (out === undefined) throw Object.assign(new Error(`invalid character in header "${name}"`), { code: 'ERR_INVALID_CHAR' });
  return out;
}
