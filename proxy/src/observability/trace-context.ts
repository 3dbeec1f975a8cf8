/**
 * Request identity and trace-context propagation on the outbound request, as Envoy's HTTP
 * connection manager does without a tracer: keep the caller's `x-request-id` or generate one
 * (UUID v4), continue a W3C `traceparent` or B3 trace as a child span (same trace id, new span
 * id, the caller's span as parent), and start a new unsampled W3C trace when none came in.
 * Pure: random bytes are passed in. Malformed trace headers are replaced, never forwarded.
 */

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Fills `n` random bytes. */
export type RandomBytes = (n: number) => Uint8Array;

const traceparentRe = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const allZero = (s: string): boolean => /^0+$/.test(s);

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function uuidV4(random: RandomBytes): string {
  const b = random(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** What the proxy used, for the access log. */
export interface TraceIds {
  requestId: string;
  traceId: string;
}

/** Rewrites `headers` (the outbound request's) in place. */
export function propagateTraceContext(headers: HeaderBag, random: RandomBytes): TraceIds {
  let requestId = one(headers['x-request-id']);
  if (!requestId || requestId.length > 128) headers['x-request-id'] = requestId = uuidV4(random);

  const spanId = hex(random(8));
  const b3Trace = one(headers['x-b3-traceid']);
  if (b3Trace && /^([0-9a-f]{16}|[0-9a-f]{32})$/.test(b3Trace) && !allZero(b3Trace)) {
    const parent = one(headers['x-b3-spanid']);
    headers['x-b3-spanid'] = spanId;
    if (parent && /^[0-9a-f]{16}$/.test(parent)) headers['x-b3-parentspanid'] = parent;
    else delete headers['x-b3-parentspanid'];
  }
  const tp = traceparentRe.exec(one(headers.traceparent) ?? '');
  if (tp && tp[1] !== 'ff' && !allZero(tp[2]!) && !allZero(tp[3]!)) {
    headers.traceparent = `00-${tp[2]}-${spanId}-${tp[4]}`;
    return { requestId, traceId: tp[2]! };
  }
  delete headers.tracestate; // belongs to a traceparent that is absent or invalid
  const traceId = b3Trace && /^[0-9a-f]{32}$/.test(b3Trace) ? b3Trace : hex(random(16));
  headers.traceparent = `00-${traceId}-${spanId}-00`;
  return { requestId, traceId };
}
