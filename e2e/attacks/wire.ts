/**
 * Raw bytes for the adversarial suite: HTTP/1.1 requests written by hand (so they can be as wrong
 * as an attacker likes), a lenient reader of the responses that come back, and (re-exported from
 * proxy/src/testing/h2-frames.ts) the HTTP/2 frames the rapid-reset and header-injection attacks need.
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

export { H2Preface, FrameType, Flags, frame, hpackLiterals, headersFrame, rstStreamFrame, dataFrame, readFrames, RawH2, type FrameHeader } from '../../proxy/src/testing/h2-frames';
