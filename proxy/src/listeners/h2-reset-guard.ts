/**
 * Rapid-reset defence on a downstream http2 server: keeps the books of core/reset-guard.ts per
 * session and decides when a new stream's request is handed on:
 * - after every frame of the read that carried its HEADERS was processed (one setImmediate per
 *   read, not per stream), and not at all if the client reset the stream in that same read:
 *   HEADERS + RST_STREAM sent together never cost an upstream request (nghttp2 hands streams to
 *   JS one by one, before it has seen the resets behind them);
 * - refused (REFUSED_STREAM) on a connection that has reset streams early while the process is
 *   overloaded.
 * A connection the books condemn gets GOAWAY (ENHANCE_YOUR_CALM) and is closed.
 */
import http2 from 'node:http2';
import { ConnectionResets, type ProcessResets, type ResetLimits } from '../core/reset-guard';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

export interface ResetGuardDeps {
  limits: ResetLimits;
  /** Shared by every listener of the process. */
  process: ProcessResets;
  now(): number;
  /** A connection closed for its premature resets, or a stream refused under overload (for metrics). */
  onShed(reason: 'h2_too_many_premature_resets' | 'h2_overload_refused_stream'): void;
}

export type RequestHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** Installs the books on `server`; returns the 'request' handler to use instead of `handle`. */
export function guardResets(server: http2.Http2Server, deps: ResetGuardDeps, handle: RequestHandler): RequestHandler {
  const books = new WeakMap<http2.Http2Session, ConnectionResets>();
  const refused = new WeakSet<http2.Http2Stream>();
  const booksOf = (session: http2.Http2Session): ConnectionResets => {
    let b = books.get(session);
    if (!b) books.set(session, (b = new ConnectionResets(deps.limits, deps.process)));
    return b;
  };
  server.on('stream', (stream: http2.ServerHttp2Stream) => {
    const session = stream.session;
    if (!session) return;
    const opened = deps.now();
    stream.once('close', () => {
      const now = deps.now();
      const verdict = booksOf(session).streamClosed({ lifetimeMs: now - opened, responded: stream.headersSent, byProxy: refused.has(stream) }, now);
      if (verdict !== 'close' || session.destroyed) return;
      deps.onShed('h2_too_many_premature_resets');
      session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
      session.destroy();
    });
  });
  const queued = new WeakMap<http2.Http2Session, [http2.Http2ServerRequest, http2.Http2ServerResponse][]>();
  const flush = (session: http2.Http2Session): void => {
    const batch = queued.get(session) ?? [];
    queued.delete(session);
    for (const [req, res] of batch) if (!req.stream.destroyed && !req.stream.closed) handle(req, res);
  };
  return (req, res) => {
    const stream = req.stream;
    const session = stream.session;
    if (!session) return;
    if (booksOf(session).suspect && deps.process.overloaded(deps.now())) {
      refused.add(stream);
      deps.onShed('h2_overload_refused_stream');
      stream.close(NGHTTP2_REFUSED_STREAM);
      return;
    }
    const batch = queued.get(session);
    if (batch) {
      batch.push([req, res]);
      return;
    }
    queued.set(session, [[req, res]]);
    setImmediate(flush, session);
  };
}
