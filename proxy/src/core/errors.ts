/**
 * The ONE place where a proxy-side failure becomes what the client sees: HTTP status, Envoy-style
 * response flag (header `x-skein-response-flags` and the access-log field), body text, and the
 * gRPC status for gRPC callers (HTTP 200 + `grpc-status`, as Envoy's grpc bridging does).
 */

/** Envoy response flags Skein produces. */
export type ResponseFlag =
  | 'UF' // upstream connection failure
  | 'UH' // no healthy upstream
  | 'UT' // upstream request timeout
  | 'NR' // no route
  | 'NC' // no cluster (the route names a cluster the snapshot lacks)
  | 'URX' // retry limit exceeded
  | 'UC' // upstream connection termination
  | 'UR' // upstream remote reset
  | 'DC' // downstream connection termination
  | 'SI' // stream idle timeout
  | 'UO' // upstream overflow (circuit breaker)
  | 'RL' // local rate limited
  | 'FI' // fault injected abort
  | 'UAEX' // unauthorized (RBAC)
  | 'DPE' // downstream protocol error
  | 'UPE'; // upstream protocol error

export interface ErrorResponse {
  status: number;
  flag: ResponseFlag;
  body: string;
  /** gRPC status code for gRPC requests. */
  grpcStatus: number;
}

const table: Record<ResponseFlag, [status: number, grpc: number, body: string]> = {
  UF: [503, 14, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure'],
  UH: [503, 14, 'no healthy upstream'],
  UT: [504, 4, 'upstream request timeout'],
  NR: [404, 12, 'route not found'],
  NC: [503, 14, 'cluster not found'],
  URX: [503, 14, 'upstream retry limit exceeded'],
  UC: [503, 14, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination'],
  UR: [503, 14, 'upstream connect error or disconnect/reset before headers. reset reason: remote reset'],
  DC: [499, 1, 'downstream connection terminated'],
  SI: [408, 4, 'stream timeout'],
  UO: [503, 14, 'upstream overflow: circuit breaker open'],
  RL: [429, 14, 'local_rate_limited'],
  FI: [503, 14, 'fault filter abort'],
  UAEX: [403, 7, 'RBAC: access denied'],
  DPE: [400, 13, 'bad request'],
  UPE: [502, 13, 'upstream protocol error'],
};

export function errorResponse(flag: ResponseFlag): ErrorResponse {
  const [status, grpcStatus, body] = table[flag];
  return { status, flag, body, grpcStatus };
}

const connectFailures = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EADDRINUSE', 'ENOTFOUND', 'SKEIN_NO_CERT', 'SKEIN_PEER_IDENTITY']);

/** Maps an upstream error that happened before any response byte to a flag. */
export function flagForUpstreamError(err: { code?: string } | undefined): ResponseFlag {
  const code = err?.code ?? '';
  if (connectFailures.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.includes('CERT') || code.includes('VERIFY') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'UF';
  if (code === 'ERR_HTTP2_STREAM_ERROR' || code === 'ERR_HTTP2_STREAM_CANCEL') return 'UR';
  if (code.startsWith('HPE_') || code === 'ERR_HTTP2_PROTOCOL_ERROR' || code === 'ERR_HTTP2_INVALID_HEADER_VALUE') return 'UPE';
  return 'UC';
}

/** HTTP status → gRPC status (the gRPC spec's mapping, for upstreams that answer gRPC with a bare HTTP error). */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}
