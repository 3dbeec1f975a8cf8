/**
 * HTTP/2 frames written by hand, for tests that must send what no client library would: HEADERS
 * and RST_STREAM back to back (rapid reset), header values with CR, LF or NUL. HPACK literals only,
 * no Huffman, so any byte can go in a field. `RawH2` drives one client connection frame by frame.
 */
import type net from 'node:net';

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
