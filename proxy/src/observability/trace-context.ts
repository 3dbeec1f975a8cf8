/**
 * Request identity and trace-context propagation on the outbound request, as Envoy's HTTP
 * connection manager does without a tracer: keep the caller's `x-request-id` or generate one
 * (UUID v4), continue a W3C `traceparent` or B3 trace as a child span (same trace id, new span
 * id, the caller's span as parent), and start a new unsampled W3C trace when none came in.
 * Pure: random bytes are passed in. Malformed trace headers are replaced, never forwarded.
 */

export type HeaderBag = Record<string, string | string[] | undefined>;

/** `n` random bytes as lower-case hex (2n characters). */
export type RandomHex = (n: number) => string;

function allZero(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 0x30) return false;
  return s.length > 0;
}

/** Lower-case hex digits only in `s[from, to)`. */
function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** A lower-case hex id of one of the given lengths (B3 ids: 16 or 32 digits). */
function isHexId(s: string | undefined, ...lengths: number[]): s is string {
  return s !== undefined && lengths.includes(s.length) && isLowerHex(s, 0, s.length);
}

/** `vv-<trace id: 32 hex>-<parent id: 16 hex>-ff` (W3C Trace Context), split; undefined when malformed. */
function parseTraceparent(v: string | undefined): { version: string; traceId: string; parentId: string; flags: string } | undefined {
  if (v === undefined || v.length !== 55 || v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return undefined;
  if (!isLowerHex(v, 0, 2) || !isLowerHex(v, 3, 35) || !isLowerHex(v, 36, 52) || !isLowerHex(v, 53, 55)) return undefined;
  return { version: v.slice(0, 2), traceId: v.slice(3, 35), parentId: v.slice(36, 52), flags: v.slice(53) };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function uuidV4(random: RandomHex): string {
  const h = random(16);
  // Version 4 in the 13th hex digit, variant 10xx in the 17th.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
}

/** What the proxy used, for the access log. */
export interface TraceIds {
  requestId: string;
  traceId: string;
}

/** Rewrites `headers` (the outbound request's) in place. */
export function propagateTraceContext(headers: HeaderBag, random: RandomHex): TraceIds {
  let requestId = one(headers['x-request-id']);
  if (!requestId || requestId.length > 128) headers['x-request-id'] = requestId = uuidV4(random);

  const spanId = random(8);
  const b3Trace = one(headers['x-b3-traceid']);
  if (isHexId(b3Trace, 16, 32) && !allZero(b3Trace)) {
    const parent = one(headers['x-b3-spanid']);
    headers['x-b3-spanid'] = spanId;
    if (isHexId(parent, 16)) headers['x-b3-parentspanid'] = parent;
    else delete headers['x-b3-parentspanid'];
  }
  const tp = parseTraceparent(one(headers.traceparent));
  if (tp && tp.version !== 'ff' && !allZero(tp.traceId) && !allZero(tp.parentId)) {
    headers.traceparent = `00-${tp.traceId}-${spanId}-${tp.flags}`;
    return { requestId, traceId: tp.traceId };
  }
  delete headers.tracestate; // belongs to a traceparent that is absent or invalid
  const traceId = isHexId(b3Trace, 32) ? b3Trace : random(16);
  headers.traceparent = `00-${traceId}-${spanId}-00`;
  return { requestId, traceId };
}
