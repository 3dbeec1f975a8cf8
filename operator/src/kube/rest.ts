/**
 * A small REST client for the Kubernetes API: exactly the calls the control plane makes (get, list,
 * create, update, merge/JSON patch, watch streams). Authentication and TLS come from
 * @kubernetes/client-node's KubeConfig (in-cluster service account, kubeconfig file, exec plugins),
 * applied per request so that a rotated projected token is picked up.
 *
 * Why not client-node's generated APIs / makeInformer: the control plane needs exact control over
 * resourceVersion, 410 Gone, bookmarks, backoff and the status subresource, and tests that speak the
 * real wire format to a loopback API double. A thin client keeps that explicit and testable.
 */
import http from 'node:http';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { type KubeApi, type PatchType, type RequestOptions, apiError, patchContentType } from './api';


function queryString(query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class KubeRestClient implements KubeApi {
  private readonly server: URL;

  /** `requestTimeoutMs`: default per-request timeout of non-streaming calls (30 s; the CLI uses less). */
  constructor(private readonly config: k8s.KubeConfig, private readonly requestTimeoutMs = 30_000) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** The API server's URL. */
  get serverUrl(): string {
    return this.server.toString().replace(/\/$/, '');
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path, {});
  }

  list<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('POST', path, { body });
  }

  replace<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, { body });
  }

  patch<T>(path: string, patch: unknown, type: PatchType): Promise<T> {
    return this.json<T>('PATCH', path, { body: patch, contentType: patchContentType[type] });
  }

  apply<T>(path: string, object: unknown, fieldManager: string): Promise<T> {
    // JSON is YAML: the apply content type takes either.
    return this.json<T>('PATCH', path, { body: object, contentType: 'application/apply-patch+yaml', query: { fieldManager, force: true } });
  }

  async delete(path: string): Promise<void> {
    await this.json('DELETE', path, {});
  }

  async watch(path: string, query: RequestOptions['query'], onEvent: (event: unknown) => void, signal: AbortSignal): Promise<void> {
    const res = await this.open('GET', path, { query: { ...query, watch: true }, signal });
    if ((res.statusCode ?? 0) >= 300) throw apiError(res.statusCode ?? 0, await readAll(res));
    // A half-open connection never ends by itself: give up when nothing (not even a bookmark)
    // arrived for a minute past the server-side timeout, and let the informer reopen the watch.
    const idleMs = (Number(query?.timeoutSeconds ?? 300) + 60) * 1000;
    res.socket.setTimeout(idleMs, () => res.destroy(new Error(`watch ${path}: no data for ${idleMs / 1000} s`)));
    res.setEncoding('utf8');
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) {
            try {
              onEvent(JSON.parse(line));
            } catch (err) {
              res.destroy(err as Error);
              return;
            }
          }
          nl = buffered.indexOf('\n');
        }
      });
      res.on('end', resolve);
      res.on('close', resolve);
      res.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
    });
  }

  private async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const res = await this.open(method, path, options);
    const text = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw apiError(res.statusCode ?? 0, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const opts: https.RequestOptions = {};
    await this.config.applyToHTTPSOptions(opts);
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path + queryString(options.query), this.server);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: http.OutgoingHttpHeaders = { ...(opts.headers as http.OutgoingHttpHeaders | undefined), accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const secure = url.protocol === 'https:';
    const requestOptions: https.RequestOptions = {
      ...opts,
      method,
      headers,
      ...(secure ? { minVersion: 'TLSv1.2' as const } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, requestOptions, resolve);
      req.on('error', reject);
      if (!options.signal) {
        const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs / 1000} s`)));
      }
      req.end(body);
    });
  }
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/**
 * The KubeConfig to use: an explicit kubeconfig file, else in-cluster (KUBERNETES_SERVICE_HOST set),
 * else the default loading rules ($KUBECONFIG, ~/.kube/config).
 */
export function loadKubeConfig(options: { kubeconfig?: string; env?: NodeJS.ProcessEnv } = {}): k8s.KubeConfig {
  const env = options.env ?? process.env;
  const kc = new k8s.KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/**
 * A KubeConfig pointing at `server` with a static bearer token (tests, the loopback API double).
 * client-node refuses plain http unless skipTLSVerify is set, so it is set for http:// only.
 */
export function kubeConfigFor(server: string, token = 'test-token'): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: server.startsWith('http:') }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}
