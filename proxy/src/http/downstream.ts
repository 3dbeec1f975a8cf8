/**
 * The downstream request as routing, RBAC and the upstream see it, read ONCE from the lean
 * HTTP/1.1 request or the HTTP/2 one, before anything looks at it:
 * - the path, normalized (core/path-normalize.ts); an absolute-form target's authority replaces
 *   Host;
 * - the authority: Host, or HTTP/2 `:authority`, which a Host header must not contradict;
 * - the body framing as the codec parsed it (the upstream request is framed from this, never from
 *   header values);
 * - the upgrade decision (core/upgrade.ts).
 * What cannot be served comes back as the refusal to answer with.
 */
import type http2 from 'node:http2';
import type { HttpConnectionManager } from '../config/model';
import type { HeaderMap } from '../core/headers';
import type { MessageFraming } from '../core/http1';
import { DefaultPathNormalization, normalizeTarget } from '../core/path-normalize';
import { DefaultUpgradeTypes, upgradeDecision } from '../core/upgrade';
import type { DownstreamRequest, Reply } from './decide';
import type { LeanRequest } from './h1-server';

export interface ParsedRequest extends DownstreamRequest {
  framing: MessageFraming;
  /** The upgrade type (or `CONNECT`) when the request may become a tunnel, if the upstream agrees. */
  upgrade?: string;
}

export type DownstreamReq = LeanRequest | http2.Http2ServerRequest;

const NoBody: MessageFraming = { kind: 'none' };
const Chunked: MessageFraming = { kind: 'chunked' };
const Digits = /^\d{1,15}$/;

/** The request to serve, or (with the raw request, for the access log) why it is refused. */
export function readDownstream(req: DownstreamReq, hcm: HttpConnectionManager): { request: ParsedRequest; refusal?: Reply } {
  const h2 = req.httpVersionMajor === 2;
  const headers = req.headers as HeaderMap;
  const method = req.method ?? 'GET';
  const ct = headers['content-type'];
  const grpc = typeof ct === 'string' && ct.startsWith('application/grpc');
  const host = headers.host;
  let authority = String((h2 ? headers[':authority'] : undefined) ?? host ?? '');
  const raw = req.url ?? '/';
  const request: ParsedRequest = { method, path: raw, authority, headers, grpc, framing: h2 ? h2Framing(req as http2.Http2ServerRequest) : (req as LeanRequest).framing };
  const refuse = (): { request: ParsedRequest; refusal: Reply } => ({ request, refusal: { kind: 'error', flag: 'DPE' } });
  if (h2 && host !== undefined && headers[':authority'] !== undefined && host !== headers[':authority']) return refuse();
  const target = normalizeTarget(raw, method, hcm.pathNormalization ?? DefaultPathNormalization);
  if (!target.ok) return refuse();
  if (target.authority !== undefined) authority = target.authority;
  request.path = target.path;
  request.authority = authority;
  if (h2) return { request };
  const upgrade = upgradeDecision(method, joined(headers.connection), joined(headers.upgrade), hcm.upgradeTypes ?? DefaultUpgradeTypes);
  if (upgrade.kind === 'refuse') return { request, refusal: { kind: 'direct', status: 403, body: `upgrade to ${upgrade.type} is not allowed`, headers: { 'content-type': 'text/plain' } } };
  if (upgrade.kind === 'tunnel') {
    if (request.framing.kind !== 'none') return refuse();
    request.upgrade = upgrade.type;
  }
  return { request };
}

/** HTTP/2 bodies: a Content-Length nghttp2 has checked against the DATA frames, else chunked when a body follows. */
function h2Framing(req: http2.Http2ServerRequest): MessageFraming {
  const cl = req.headers['content-length'];
  if (typeof cl === 'string' && Digits.test(cl)) return { kind: 'length', length: Number(cl) };
  return req.stream.endAfterHeaders ? NoBody : Chunked;
}

function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}
