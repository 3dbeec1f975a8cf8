/**
 * Handing a connection whose first bytes were already read (to sniff them) to Node's protocol
 * servers. Node has no MSG_PEEK, so the bytes go back:
 * - HTTP/1.1 and TCP: `unshift` into the socket's readable buffer (http.Server and pipe() read it
 *   first; the HTTP parser only takes over the handle after the buffered bytes are replayed);
 * - TLS: `unshift` too (tls.TLSSocket replays a wrapped socket's buffered bytes into OpenSSL);
 * - HTTP/2 over plaintext: nghttp2 reads the handle directly and never sees JS-buffered bytes, so
 *   they are fed to the session's native handle with `receive()` — the one internal Node API used
 *   here; if a Node version lacks it, the connection is refused and counted, never mis-parsed.
 */
import type http2 from 'node:http2';
import type net from 'node:net';

/** Reads until `decide` has enough bytes (or `timeoutMs` passes, or the peer half-closes). */
export function peek<T>(socket: net.Socket, timeoutMs: number, maxBytes: number, decide: (bytes: Buffer, final: boolean) => T | undefined): Promise<{ bytes: Buffer; result: T } | undefined> {
  return new Promise((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    const finish = (final: boolean): void => {
      const result = decide(buf, final);
      if (result === undefined && !final) return;
      cleanup();
      socket.pause();
      if (result === undefined) {
        resolve(undefined);
        return;
      }
      resolve({ bytes: buf, result });
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      finish(buf.length >= maxBytes);
    };
    const onEnd = (): void => finish(true);
    const onClose = (): void => {
      cleanup();
      resolve(undefined);
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onClose);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onClose);
  });
}

/** Puts sniffed bytes back for readers of the JS stream (http.Server, tls.TLSSocket, pipe). */
export function unread(socket: net.Socket, bytes: Buffer): void {
  if (bytes.length > 0) socket.unshift(bytes);
}

/** Hands a plaintext socket to an http2 server, replaying sniffed bytes into the new session. */
export function handToHttp2(server: http2.Http2Server, socket: net.Socket, bytes: Buffer): boolean {
  if (bytes.length === 0) {
    server.emit('connection', socket);
    return true;
  }
  let fed = false;
  const onSession = (session: http2.ServerHttp2Session): void => {
    const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'kHandle');
    const handle = key && (session as unknown as Record<symbol, { receive?: (b: Buffer) => void } | undefined>)[key];
    if (handle && typeof handle.receive === 'function') {
      handle.receive(bytes);
      fed = true;
    }
  };
  server.once('session', onSession);
  server.emit('connection', socket);
  server.removeListener('session', onSession);
  if (!fed) socket.destroy();
  return fed;
}
