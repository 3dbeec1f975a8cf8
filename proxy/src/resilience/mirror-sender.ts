/**
 * Sends a shadow copy of a request to a mirror cluster, fire and forget: the response is read and
 * discarded, errors are ignored, and a copy that takes longer than `timeoutMs` is abandoned. The
 * caller passes the authority already suffixed with `-shadow` (core/resilience/mirror.ts).
 */
import { PassThrough } from 'node:stream';
import type { HeaderMap } from '../core/headers';
import { serializeRequestHead } from '../core/http1';
import { type ClusterRuntime, endpointKey } from '../runtime/snapshot';
import type { Upstreams } from '../upstream/upstreams';

export interface ShadowRequest {
  method: string;
  path: string;
  authority: string;
  headers: HeaderMap;
  /** The whole request body, or undefined for none. */
  body: Buffer | undefined;
}

export function sendShadow(upstreams: Upstreams, cluster: ClusterRuntime, req: ShadowRequest, random: () => number, timeoutMs: number): void {
  if (cluster.config.type === 'original-dst') return;
  const ep = cluster.pick({ random, activeRequests: upstreams.activeRequests });
  if (!ep) return;
  const release = upstreams.track(endpointKey(ep));
  let abort: (() => void) | undefined;
  const timer = setTimeout(() => finish(true), timeoutMs);
  timer.unref();
  let finished = false;
  function finish(cancel = false): void {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (cancel) abort?.();
    release();
  }
  const headers: HeaderMap = { ...req.headers };
  delete headers['transfer-encoding'];
  if (req.body) headers['content-length'] = String(req.body.length);
  else delete headers['content-length'];
  const config = cluster.config;
  upstreams
    .protocolFor(config, ep, false, {})
    .then(async (proto) => {
      if (finished) return;
      if (proto === 'h2') {
        const session = await upstreams.session(config, ep, {});
        if (finished) return;
        const secure = config.transport?.kind === 'mtls';
        const stream = session.request({ ...headers, ':method': req.method, ':path': req.path, ':authority': req.authority, ':scheme': secure ? 'https' : 'http' }, { endStream: !req.body });
        abort = () => stream.close(8 /* NGHTTP2_CANCEL */);
        stream.on('error', () => finish());
        stream.on('close', () => finish());
        stream.resume();
        if (req.body) stream.end(req.body);
        return;
      }
      const head = serializeRequestHead(req.method, req.path, req.authority, headers, req.body ? { kind: 'length', length: req.body.length } : { kind: 'none' });
      let source: PassThrough | undefined;
      if (req.body) {
        source = new PassThrough();
        source.end(req.body);
      }
      const handle = upstreams.sendHttp1(config, ep, {}, req.method, head, source, false, {
        onHead: () => undefined,
        onData: () => true,
        onEnd: () => finish(),
        onError: () => finish(),
      });
      abort = handle.abort;
    })
    .catch(() => finish());
}
