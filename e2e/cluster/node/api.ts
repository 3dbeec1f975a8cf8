/**
 * A small Kubernetes REST client, as the kubelet talks to the API server: HTTPS verified with the
 * cluster CA (plain HTTP too, for a test double), a bearer token, JSON bodies, the usual verbs on
 * real API paths, and watches as newline-delimited JSON events. Errors carry the API server's
 * Status (code, reason, message).
 */
import http from 'node:http';
import https from 'node:https';

export interface ApiConnection {
  /** `https://127.0.0.1:6443` */
  url: string;
  /** The cluster CA that signed the API server's certificate (PEM). */
  caPem?: string;
  /** Bearer token of the node's identity. */
  token: string;
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** What every object has (the rest is the caller's type). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type PatchType = 'merge' | 'json' | 'strategic';
const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class KubeApi {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(readonly connection: ApiConnection) {
    this.base = new URL(connection.url);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') throw new Error(`API server URL must be https:// (or http:// for a test double), got ${connection.url}`);
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true, ca: connection.caPem, minVersion: 'TLSv1.2' }) : new http.Agent({ keepAlive: true });
  }

  get<T = KubeObject>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  put<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T = KubeObject>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType: patchContentType[type] });
  }

  delete<T = KubeObject>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, { body });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    const text = await readBody(res);
    if (res.statusCode! >= 400) throw toApiError(res.statusCode!, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Watches `path` (a collection) from `resourceVersion`, calling `onEvent` for each event, until
   * the server ends the stream (resolves) or `signal` aborts (resolves). An HTTP error rejects.
   */
  async watch<T = KubeObject>(path: string, query: Record<string, string | undefined>, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    let res: http.IncomingMessage;
    try {
      res = await this.send('GET', path, { query: { ...query, watch: 'true', allowWatchBookmarks: 'true' }, signal, timeoutMs: 0 });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    if (res.statusCode! >= 400) throw toApiError(res.statusCode!, await readBody(res), `watch ${path}`);
    await new Promise<void>((resolve, reject) => {
      eachLine(res, (line) => {
        try {
          onEvent(JSON.parse(line) as WatchEvent<T>);
        } catch (e) {
          res.destroy();
          reject(e);
        }
      });
      res.on('end', () => resolve());
      res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      res.on('close', () => resolve());
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.connection.token}`, accept: 'application/json', 'user-agent': 'skein-simulated-kubelet' };
    if (body) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = body.length;
    }
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent, signal: options.signal }, resolve);
      const timeoutMs = options.timeoutMs ?? 30_000;
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer from the API server within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** Calls `onLine` for every non-empty line of a stream of newline-delimited JSON (a watch). */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onLine(line);
    }
  });
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function toApiError(status: number, text: string, what: string): ApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new ApiError(status, s.reason ?? '', `${what}: ${status} ${s.reason ?? ''}: ${s.message ?? text}`);
  } catch {
    return new ApiError(status, '', `${what}: ${status}: ${text.slice(0, 200)}`);
  }
}

/** `/api/v1/namespaces/<ns>/pods` style paths. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${root}/${plural}`;
}
