/**
 * Calls one admission webhook the way kube-apiserver does: resolves `clientConfig.service` to a
 * ready endpoint of the Service (EndpointSlices) or takes `clientConfig.url`, dials through the
 * injectable dialer (the webhook pod lives in a network namespace only the simulated node can
 * reach), speaks TLS 1.2+ verifying the certificate against `caBundle` for `<svc>.<ns>.svc`, POSTs
 * the AdmissionReview with `?timeout=Ns`, and bounds it all by timeoutSeconds. Failures come back
 * in the words of Go's net/http and crypto/tls, as the API server's messages quote them.
 */
import http from 'node:http';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { type Duplex } from 'node:stream';
import { isObject, type KubeObject } from '../core/json';
import { timeoutParam, type Webhook, webhookUrl } from '../core/admission';

/** Where the API server connects: an endpoint IP and port, with what for. */
export interface DialTarget {
  host: string;
  port: number;
  /**
   * `port-forward`: the pod's own loopback is meant (the kubelet dials localhost inside the pod's
   * network namespace); `host` is the pod IP, for a dialer that can only reach that.
   */
  purpose: 'webhook' | 'proxy' | 'port-forward';
  /** The Service or pod the address came from, when known. */
  service?: { namespace: string; name: string };
  pod?: { namespace: string; name: string };
}

/** Opens a byte stream to the target (default: a TCP connection to host:port). */
export type Dialer = (target: DialTarget) => Promise<Duplex>;

/** Reads objects the caller needs to resolve a Service (Services and EndpointSlices). */
export interface ServiceLookup {
  service(namespace: string, name: string): KubeObject | undefined;
  endpointSlices(namespace: string, service: string): readonly KubeObject[];
}

export class WebhookCallError extends Error {}

interface ResolvedEndpoint {
  host: string;
  port: number;
}

/** A ready endpoint of the Service for its port `port` (number or name), as the endpoint-routing resolver picks it. */
export function resolveServiceEndpoint(lookup: ServiceLookup, namespace: string, name: string, port: number | string): ResolvedEndpoint {
  const svc = lookup.service(namespace, name);
  if (!svc) throw new WebhookCallError(`service "${name}" not found`);
  const ports = (isObject(svc.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : []) as { name?: string; port?: number; targetPort?: number | string }[];
  const svcPort = ports.find((p) => p.port === port || (typeof port === 'string' && p.name === port));
  if (!svcPort) throw new WebhookCallError(`no service port ${JSON.stringify(port)} found for service "${name}"`);
  for (const slice of lookup.endpointSlices(namespace, name)) {
    const slicePorts = (Array.isArray(slice.ports) ? slice.ports : []) as { name?: string; port?: number }[];
    const match = slicePorts.find((p) => (p.name ?? '') === (svcPort.name ?? '')) ?? (slicePorts.length === 1 && !svcPort.name ? slicePorts[0] : undefined);
    if (!match?.port) continue;
    for (const ep of (Array.isArray(slice.endpoints) ? slice.endpoints : []) as { addresses?: string[]; conditions?: { ready?: boolean } }[]) {
      if (ep.conditions?.ready === false || !ep.addresses?.[0]) continue;
      return { host: ep.addresses[0], port: match.port };
    }
  }
  throw new WebhookCallError(`no endpoints available for service "${name}"`);
}

/** What Node's errors read like in Go (the words kube-apiserver's messages carry). */
export function goNetError(err: unknown, host: string, port: number, serverName: string): string {
  const e = err as NodeJS.ErrnoException & { code?: string; reason?: string };
  const addr = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  switch (e.code) {
    case 'ECONNREFUSED': return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET': return 'read: connection reset by peer';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID': {
      const altNames = ((err as { cert?: { subjectaltname?: string } }).cert?.subjectaltname ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')).filter(Boolean);
      return `tls: failed to verify certificate: x509: certificate is valid for ${altNames.join(', ') || 'no names'}, not ${serverName}`;
    }
    default:
      if (e.message === 'socket hang up') return 'EOF';
      return e.message;
  }
}

/** The default dialer: a TCP connection straight to the address (works when it is routable from here). */
export const defaultDialer: Dialer = ({ host, port }) => new Promise((resolve, reject) => {
  const socket = net.connect({ host, port });
  socket.once('error', reject);
  socket.once('connect', () => {
    socket.off('error', reject);
    resolve(socket);
  });
});

/** The error text of a non-2xx answer, as client-go's rest client words it (NewGenericServerResponse). */
function genericServerResponse(code: number, body: string): string {
  const trimmed = body.trim();
  switch (code) {
    case 400: return 'the server rejected our request for an unknown reason';
    case 401: return 'the server has asked for the client to provide credentials';
    case 403: return 'the server does not allow access to the requested resource';
    case 404: return 'the server could not find the requested resource';
    case 409: return 'the server reported a conflict';
    case 429: return 'the server has received too many requests and has asked us to try again later';
    case 500: return `an error on the server (${JSON.stringify(trimmed || 'unknown')}) has prevented the request from succeeding`;
    case 503: return 'the server is currently unable to handle the request';
    case 504: return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default: return `an error on the server (${JSON.stringify(trimmed || 'unknown')}) has prevented the request from succeeding`;
  }
}

export interface CallOptions {
  dialer: Dialer;
  lookup: ServiceLookup;
}

/**
 * POSTs `review` to the webhook; resolves with the parsed answer or rejects with WebhookCallError
 * carrying the whole `failed to call webhook: Post "…": …` reason.
 */
export async function callWebhook(hook: Webhook, review: unknown, options: CallOptions): Promise<unknown> {
  const timeoutSeconds = hook.timeoutSeconds ?? 10;
  const shownUrl = webhookUrl(hook);
  const fail = (reason: string) => new WebhookCallError(`failed to call webhook: Post ${JSON.stringify(shownUrl)}: ${reason}`);
  let host: string;
  let port: number;
  let serverName: string;
  let path: string;
  if (hook.clientConfig?.url) {
    const url = new URL(hook.clientConfig.url);
    if (url.protocol !== 'https:') throw new WebhookCallError(`failed to call webhook: Post ${JSON.stringify(shownUrl)}: webhook URL must use https scheme`);
    host = url.hostname.replace(/^\[|\]$/g, '');
    port = Number(url.port || 443);
    serverName = host;
    path = `${url.pathname}${url.search ? `${url.search}&` : '?'}${timeoutParam(timeoutSeconds)}`;
  } else {
    const svc = hook.clientConfig?.service;
    if (!svc) throw new WebhookCallError('failed to call webhook: neither url nor service is set');
    try {
      ({ host, port } = resolveServiceEndpoint(options.lookup, svc.namespace, svc.name, svc.port ?? 443));
    } catch (err) {
      throw fail((err as Error).message);
    }
    serverName = `${svc.name}.${svc.namespace}.svc`;
    path = `${svc.path || '/'}?${timeoutParam(timeoutSeconds)}`;
  }
  const ca = hook.clientConfig?.caBundle ? Buffer.from(hook.clientConfig.caBundle, 'base64').toString('utf8') : undefined;
  const body = JSON.stringify(review);
  const deadline = AbortSignal.timeout(timeoutSeconds * 1000);
  let socket: Duplex | undefined;
  try {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const onAbort = () => {
        socket?.destroy();
        reject(fail('context deadline exceeded'));
      };
      deadline.addEventListener('abort', onAbort, { once: true });
      options.dialer({ host, port, purpose: 'webhook', ...(hook.clientConfig?.service ? { service: { namespace: hook.clientConfig.service.namespace, name: hook.clientConfig.service.name } } : {}) })
        .then((raw) => {
          socket = raw;
          if (deadline.aborted) return raw.destroy();
          const secure = tls.connect({ socket: raw, servername: isIP(serverName) ? undefined : serverName, host: serverName, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] });
          socket = secure;
          secure.once('error', (err) => reject(fail(goNetError(err, host, port, serverName))));
          secure.once('secureConnect', () => {
            const req = http.request({
              method: 'POST', path, host: serverName, createConnection: () => secure,
              headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'content-length': Buffer.byteLength(body), 'user-agent': 'kube-apiserver-admission' },
            }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
              res.on('error', (err) => reject(fail(goNetError(err, host, port, serverName))));
            });
            req.on('error', (err) => reject(fail(goNetError(err, host, port, serverName))));
            req.end(body);
          });
        }, (err: unknown) => reject(fail(goNetError(err, host, port, serverName))));
    });
    if (answer.status < 200 || answer.status > 299) throw fail(genericServerResponse(answer.status, answer.text));
    try {
      return JSON.parse(answer.text) as unknown;
    } catch (err) {
      throw new WebhookCallError(`failed to call webhook: couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  } finally {
    socket?.destroy();
  }
}
