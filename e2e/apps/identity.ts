/**
 * What every echo server reports about itself and its caller. The app's own identity comes from
 * the environment (NAME, VERSION, POD_NAME, POD_NAMESPACE); the caller's SPIFFE id comes from the
 * `x-forwarded-client-cert` header the inbound proxy adds.
 */

export interface ServerIdentity {
  name: string;
  version: string;
  pod: string;
  namespace: string;
}

export function serverIdentity(env: NodeJS.ProcessEnv): ServerIdentity {
  return {
    name: env.NAME ?? 'echo',
    version: env.VERSION ?? 'v1',
    pod: env.POD_NAME ?? '',
    namespace: env.POD_NAMESPACE ?? '',
  };
}

/** The reply of every echo protocol, as JSON. */
export interface EchoReply extends ServerIdentity {
  protocol: 'http/1.1' | 'h2' | 'grpc' | 'ws' | 'tcp';
  method?: string;
  path?: string;
  authority?: string;
  headers?: Record<string, string | string[]>;
  /** The caller's SPIFFE id from x-forwarded-client-cert, or null without one. */
  callerSpiffeId: string | null;
  /** The peer address as the app sees it (127.0.0.6 behind an inbound proxy). */
  remoteAddress: string;
  /** Echoed payload (WebSocket/TCP/gRPC message). */
  echo?: string;
}

/**
 * Splits an x-forwarded-client-cert value into elements (`,`) and key=value pairs (`;`), honouring
 * double quotes, and returns the `URI` of the last element — the most recent hop, as Envoy appends.
 */
export function callerSpiffeId(xfcc: string | string[] | undefined): string | null {
  const value = Array.isArray(xfcc) ? xfcc.join(',') : xfcc;
  if (!value) return null;
  const elements: Array<Record<string, string>> = [];
  let current: Record<string, string> = {};
  let token = '';
  let key: string | undefined;
  let quoted = false;
  const endPair = () => {
    if (key !== undefined) current[key.trim().toLowerCase()] = token.trim();
    key = undefined;
    token = '';
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) token += value[++i];
      else if (c === '"') quoted = false;
      else token += c;
    } else if (c === '"') quoted = true;
    else if (c === '=' && key === undefined) {
      key = token;
      token = '';
    } else if (c === ';') endPair();
    else if (c === ',') {
      endPair();
      elements.push(current);
      current = {};
    } else token += c;
  }
  endPair();
  elements.push(current);
  const uri = elements[elements.length - 1]!.uri;
  return uri && uri.startsWith('spiffe://') ? uri : null;
}

/** Node's socket addresses as plain IPv4 where they are IPv4-mapped. */
export function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}
