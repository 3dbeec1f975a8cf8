/**
 * A Kubernetes API server test double on loopback, speaking the real REST and watch wire format
 * for exactly the calls the control plane makes:
 * - list (`metadata.resourceVersion` of the collection), get, create (409 AlreadyExists),
 *   update with optimistic concurrency (409 Conflict on a stale resourceVersion), merge and JSON patch;
 * - the status subresource (PUT/PATCH …/status change only status; the main resource ignores status
 *   for kinds that have the subresource, as the API server does for CRDs with `subresources.status`);
 * - `metadata.generation` bumped only when something other than metadata/status changes;
 * - watch: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK) from a resourceVersion;
 *   a resourceVersion older than the compaction point gets an ERROR event with a 410 Status;
 * - TokenReview create, answered by a test-provided function;
 * - bearer-token authentication (401 without the expected token).
 * Test code only.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { applyPatch, type Operation } from 'fast-json-patch';

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string; [k: string]: unknown };
  [field: string]: unknown;
}

interface Route {
  /** `v1/pods`, `coordination.k8s.io/v1/leases` */
  collection: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface HistoryEvent {
  rv: number;
  collection: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: StoredObject;
}

interface Watcher {
  collection: string;
  namespace?: string;
  res: http.ServerResponse;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
  contentType?: string;
}

const kindsByCollection: Record<string, { kind: string; apiVersion: string }> = {};

/** Kinds whose status is a subresource (the Skein CRDs and the built-ins we touch). */
const statusSubresource = /^(networking|security)\.skein\.dev\//;

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function parseRoute(pathname: string): Route | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+)(?=\/))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(pathname);
  if (!m) return undefined;
  const gv = m[1] ?? m[2]!;
  const route: Route = { collection: `${gv}/${m[4]!}` };
  if (m[3]) route.namespace = decodeURIComponent(m[3]);
  if (m[5]) route.name = decodeURIComponent(m[5]);
  if (m[6]) route.subresource = m[6];
  return route;
}

/** JSON merge patch (RFC 7386). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function withoutMetaAndStatus(obj: StoredObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** Answers TokenReview creates: given the spec, return the status. */
  tokenReview: (spec: { token: string; audiences?: string[] }) => Record<string, unknown> = () => ({ authenticated: false, error: 'no reviewer configured' });
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private readonly history: HistoryEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures: { method: string; match: RegExp; status: number; reason: string }[] = [];
  /** What GET /version answers (gitVersion). */
  version = 'v1.31.2';
  private rv = 1;
  private compactedRv = 0;
  private server: http.Server | undefined;

  constructor(readonly token = 'test-token') {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.closeWatches();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Creates or replaces an object as an outside actor would (kubectl apply). Returns the stored copy. */
  put(collection: string, obj: StoredObject): StoredObject {
    const store = this.store(collection);
    const key = this.key(obj.metadata.namespace, obj.metadata.name);
    const existing = store.get(key);
    const next = clone(obj);
    next.metadata.uid = existing?.metadata.uid ?? obj.metadata.uid ?? randomUUID();
    const gen = existing?.metadata.generation ?? 0;
    next.metadata.generation = existing && withoutMetaAndStatus(existing) === withoutMetaAndStatus(next) ? gen : gen + 1;
    if (existing && statusSubresource.test(collection) && !('status' in obj)) next.status = existing.status;
    return this.commit(collection, next, existing ? 'MODIFIED' : 'ADDED');
  }

  remove(collection: string, namespace: string | undefined, name: string): void {
    const store = this.store(collection);
    const key = this.key(namespace, name);
    const existing = store.get(key);
    if (!existing) return;
    store.delete(key);
    const deleted = clone(existing);
    deleted.metadata.resourceVersion = String(++this.rv);
    this.record(collection, 'DELETED', deleted);
  }

  get(collection: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const obj = this.store(collection).get(this.key(namespace, name));
    return obj ? clone(obj) : undefined;
  }

  /** Forgets history: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.watchers) {
      const meta = kindsByCollection[w.collection];
      w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { ...meta, metadata: { resourceVersion: String(this.rv) } } })}\n`);
    }
  }

  /** Ends every open watch (as the server-side timeout does). */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Makes the next `count` requests matching method and path fail with `status`. */
  failNext(method: string, match: RegExp, statusCode: number, count = 1, reason = 'InternalError'): void {
    for (let i = 0; i < count; i++) this.failures.push({ method, match, status: statusCode, reason });
  }

  openWatches(collection?: string): number {
    return [...this.watchers].filter((w) => !collection || w.collection === collection).length;
  }

  writes(pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && pattern.test(r.path));
  }

  // ---- internals -----------------------------------------------------------------------------

  private store(collection: string): Map<string, StoredObject> {
    let s = this.objects.get(collection);
    if (!s) this.objects.set(collection, (s = new Map()));
    return s;
  }

  private key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  private commit(collection: string, obj: StoredObject, type: 'ADDED' | 'MODIFIED'): StoredObject {
    obj.metadata.resourceVersion = String(++this.rv);
    obj.metadata.creationTimestamp ??= new Date(0).toISOString();
    kindsByCollection[collection] = { kind: obj.kind, apiVersion: obj.apiVersion };
    this.store(collection).set(this.key(obj.metadata.namespace, obj.metadata.name), obj);
    this.record(collection, type, obj);
    return clone(obj);
  }

  private record(collection: string, type: HistoryEvent['type'], object: StoredObject): void {
    const event: HistoryEvent = { rv: this.rv, collection, type, object: clone(object) };
    this.history.push(event);
    for (const w of this.watchers) if (this.watches(w, event)) w.res.write(`${JSON.stringify({ type, object: event.object })}\n`);
  }

  private watches(w: Watcher, e: HistoryEvent): boolean {
    return w.collection === e.collection && (!w.namespace || w.namespace === e.object.metadata.namespace);
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.send(res, 400, status(400, 'BadRequest', 'body is not JSON'));
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, body, contentType: req.headers['content-type'] });
    if (req.headers.authorization !== `Bearer ${this.token}`) return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const failure = this.failures.findIndex((f) => f.method === method && f.match.test(url.pathname));
    if (failure >= 0) {
      const f = this.failures.splice(failure, 1)[0]!;
      return this.send(res, f.status, status(f.status, f.reason, 'injected failure'));
    }
    if (url.pathname === '/version') return this.send(res, 200, { major: '1', minor: '31', gitVersion: this.version });
    const route = parseRoute(url.pathname);
    if (!route) return this.send(res, 404, status(404, 'NotFound', `no route for ${url.pathname}`));
    try {
      this.dispatch(method, route, url.searchParams, body, req.headers['content-type'] ?? '', res);
    } catch (err) {
      this.send(res, 500, status(500, 'InternalError', (err as Error).message));
    }
  }

  private dispatch(method: string, route: Route, query: URLSearchParams, body: unknown, contentType: string, res: http.ServerResponse): void {
    const store = this.store(route.collection);
    const notFound = () => this.send(res, 404, status(404, 'NotFound', `${route.collection} "${route.name}" not found`));
    if (method === 'GET' && route.name === undefined) {
      if (query.get('watch') === 'true' || query.get('watch') === '1') return this.watch(route, query, res);
      const items = [...store.values()].filter((o) => !route.namespace || o.metadata.namespace === route.namespace).map(({ apiVersion: _a, kind: _k, ...rest }) => clone(rest));
      return this.send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (method === 'GET') {
      const obj = store.get(this.key(route.namespace, route.name!));
      return obj ? this.send(res, 200, obj) : notFound();
    }
    if (method === 'POST' && route.name === undefined) {
      const obj = body as StoredObject;
      if (route.collection === 'authentication.k8s.io/v1/tokenreviews') {
        const spec = (body as { spec: { token: string; audiences?: string[] } }).spec;
        return this.send(res, 201, { ...obj, status: this.tokenReview(spec) });
      }
      if (!obj?.metadata?.name) return this.send(res, 422, status(422, 'Invalid', 'metadata.name: Required value'));
      obj.metadata.namespace = route.namespace ?? obj.metadata.namespace;
      if (store.has(this.key(obj.metadata.namespace, obj.metadata.name))) {
        return this.send(res, 409, status(409, 'AlreadyExists', `${route.collection} "${obj.metadata.name}" already exists`));
      }
      const created = clone(obj);
      created.metadata.uid = randomUUID();
      created.metadata.generation = 1;
      return this.send(res, 201, this.commit(route.collection, created, 'ADDED'));
    }
    const existing = route.name === undefined ? undefined : store.get(this.key(route.namespace, route.name));
    if (!existing) return notFound();
    const hasStatus = statusSubresource.test(route.collection);
    let next: StoredObject;
    if (method === 'PUT') {
      const obj = body as StoredObject;
      if (obj?.metadata?.resourceVersion !== existing.metadata.resourceVersion) {
        return this.send(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on ${route.collection} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`));
      }
      next = clone(obj);
    } else if (method === 'PATCH') {
      const precondition = (body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
      if (precondition !== undefined && precondition !== existing.metadata.resourceVersion) {
        return this.send(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on ${route.collection} "${route.name}": the object has been modified`));
      }
      if (contentType.startsWith('application/merge-patch+json')) next = mergePatch(existing, body) as StoredObject;
      else if (contentType.startsWith('application/json-patch+json')) {
        try {
          next = applyPatch(clone(existing), body as Operation[], true, false).newDocument;
        } catch (err) {
          return this.send(res, 422, status(422, 'Invalid', (err as Error).message));
        }
      } else return this.send(res, 415, status(415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`));
    } else return this.send(res, 405, status(405, 'MethodNotAllowed', method));
    if (route.subresource === 'status') {
      next = { ...clone(existing), status: next.status };
    } else if (route.subresource) {
      return this.send(res, 404, status(404, 'NotFound', `subresource ${route.subresource}`));
    } else {
      if (hasStatus) next.status = clone(existing.status);
      next.metadata = { ...next.metadata, uid: existing.metadata.uid, generation: existing.metadata.generation };
      if (withoutMetaAndStatus(existing) !== withoutMetaAndStatus(next)) next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    }
    if (JSON.stringify(next) === JSON.stringify(existing)) return this.send(res, 200, clone(existing)); // no-op: no new resourceVersion
    return this.send(res, 200, this.commit(route.collection, next, 'MODIFIED'));
  }

  private watch(route: Route, query: URLSearchParams, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const from = Number(query.get('resourceVersion') ?? '0');
    const w: Watcher = { collection: route.collection, ...(route.namespace ? { namespace: route.namespace } : {}), res };
    if (from > 0 && from < this.compactedRv) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`) })}\n`);
      return;
    }
    if (from === 0) {
      // No resourceVersion: the current state as ADDED events, then changes.
      for (const o of this.store(route.collection).values()) if (!w.namespace || o.metadata.namespace === w.namespace) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    } else {
      for (const e of this.history) if (e.rv > from && this.watches(w, e)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }
}
