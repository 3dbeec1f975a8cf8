/**
 * Raw bytes for the adversarial suite: HTTP/1.1 requests written by hand (so they can be as wrong
 * as an attacker likes), a lenient reader of the responses that come back, and the few HTTP/2
 * frames the rapid-reset and header-injection attacks need (HPACK literals only, no Huffman, so
 * any byte — CR, LF, NUL — can be put in a header value).
 */
import type net from 'node:net';

/** A request as text: `head` lines joined with CRLF, an empty line, then `body`. */
export function rawRequest(lines: readonly string[], body: string | Buffer = ''): Buffer {
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Every complete response in `bytes` (Content-Length or chunked framed; a response without
 * either ends the parse), leniently — what a client would make of the stream.
 */
export function parseResponses(bytes: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const lines = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) return out;
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':');
      if (colon > 0) headers[l.slice(0, colon).trim().toLowerCase()] ??= l.slice(colon + 1).trim();
    }
    const status = Number(m[1]);
    let bodyStart = end + 4;
    if (status === 101 || status === 204 || status === 304) {
      out.push({ status, headers, body: '' });
      if (status === 101) return out;
      at = bodyStart;
      continue;
    }
    if ((headers['transfer-encoding'] ?? '').includes('chunked')) {
      let body = '';
      for (;;) {
        const crlf = bytes.indexOf('\r\n', bodyStart);
        if (crlf < 0) return out;
        const size = parseInt(bytes.subarray(bodyStart, crlf).toString('latin1'), 16);
        if (Number.isNaN(size) || bytes.length < crlf + 2 + size + 2) return out;
        body += bytes.subarray(crlf + 2, crlf + 2 + size).toString('latin1');
        bodyStart = crlf + 2 + size + 2;
        if (size === 0) break;
      }
      out.push({ status, headers, body });
      at = bodyStart;
      continue;
    }
    if (headers['content-length'] === undefined) {
      out.push({ status, headers, body: bytes.subarray(bodyStart).toString('latin1') });
      return out;
    }
    const length = Number(headers['content-length']);
    if (bytes.length < bodyStart + length) return out;
    out.push({ status, headers, body: bytes.subarray(bodyStart, bodyStart + length).toString('latin1') });
    at = bodyStart + length;
  }
}

/** What came back on a socket: its bytes, and whether the other side closed it. */
export interface Collected {
  bytes: Buffer;
  closed: boolean;
}

/** Collects what a socket receives until it closes or `until(bytes)` holds, within `timeoutMs`. */
export function collect(socket: net.Socket, timeoutMs: number, until: (bytes: Buffer) => boolean = () => false): Promise<Collected> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      if (until(Buffer.concat(chunks))) finish(false);
    };
    const timer = setTimeout(() => finish(socket.destroyed), timeoutMs);
    socket.on('data', onData);
    socket.once('end', () => finish(true));
    socket.once('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

/** `until` for `collect`: `n` complete responses. */
export const responses = (n: number) => (bytes: Buffer): boolean => parseResponses(bytes).length >= n;

// ───────────────────────────── HTTP/2 ─────────────────────────────

export const H2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FrameType = { data: 0, headers: 1, rstStream: 3, settings: 4, ping: 6, goaway: 7, windowUpdate: 8 } as const;
export const Flags = { endStream: 0x1, ack: 0x1, endHeaders: 0x4 } as const;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** HPACK integer with an `n`-bit prefix (RFC 7541 §5.1); `first` holds the bits above the prefix. */
function hpackInt(value: number, n: number, first = 0): Buffer {
  const max = (1 << n) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

/** A header block of literal fields without indexing, new names, raw (non-Huffman) strings: any byte goes. */
export function hpackLiterals(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInt(n.length, 7), n, hpackInt(v.length, 7), v);
  }
  return Buffer.concat(parts);
}

/** HEADERS (END_HEADERS, and END_STREAM unless a body follows) with literal fields. */
export function headersFrame(stream: number, fields: readonly (readonly [string, string])[], endStream = true): Buffer {
  return frame(FrameType.headers, Flags.endHeaders | (endStream ? Flags.endStream : 0), stream, hpackLiterals(fields));
}

export function rstStreamFrame(stream: number, code = 8 /* CANCEL */): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code, 0);
  return frame(FrameType.rstStream, 0, stream, p);
}

export function dataFrame(stream: number, data: Buffer | string, endStream: boolean): Buffer {
  return frame(FrameType.data, endStream ? Flags.endStream : 0, stream, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
}

export interface FrameHeader {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** Splits complete frames off the front of `buf`; returns them and the rest. */
export function readFrames(buf: Buffer): { frames: FrameHeader[]; rest: Buffer } {
  const frames: FrameHeader[] = [];
  let at = 0;
  while (buf.length - at >= 9) {
    const len = buf.readUIntBE(at, 3);
    if (buf.length - at < 9 + len) break;
    frames.push({ type: buf[at + 3]!, flags: buf[at + 4]!, stream: buf.readUInt32BE(at + 5) & 0x7fffffff, payload: buf.subarray(at + 9, at + 9 + len) });
    at += 9 + len;
  }
  return { frames, rest: buf.subarray(at) };
}

/**
 * An HTTP/2 client connection driven frame by frame: sends the preface and an empty SETTINGS,
 * acknowledges the server's SETTINGS, and records what the server sent (GOAWAY, resets, streams
 * that got HEADERS).
 */
export class RawH2 {
  readonly goaways: number[] = [];
  readonly resets = new Map<number, number>();
  readonly answered = new Set<number>();
  closed = false;
  private buf: Buffer = Buffer.alloc(0);

  constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
    socket.write(Buffer.concat([H2Preface, frame(FrameType.settings, 0, 0)]));
  }

  write(bytes: Buffer): boolean {
    return this.socket.destroyed ? false : this.socket.write(bytes);
  }

  private onData(c: Buffer): void {
    const { frames, rest } = readFrames(Buffer.concat([this.buf, c]));
    this.buf = rest;
    for (const f of frames) {
      if (f.type === FrameType.settings && !(f.flags & Flags.ack)) this.write(frame(FrameType.settings, Flags.ack, 0));
      else if (f.type === FrameType.goaway) this.goaways.push(f.payload.readUInt32BE(4));
      else if (f.type === FrameType.rstStream) this.resets.set(f.stream, f.payload.readUInt32BE(0));
      else if (f.type === FrameType.headers) this.answered.add(f.stream);
    }
  }
}
