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
 * Minimal branches for the operator's verbs (`skein install | uninstall | check | proxy-status |
 * proxy-config`), until the simulated kube-apiserver under e2e/cluster/apiserver/ replaces this:
 * - server-side apply (`PATCH` with `application/apply-patch+yaml`, `fieldManager` required): creates,
 *   or merges the applied fields into the object — mappings recursively, lists of named items by
 *   `name` (as the API server's `listType: map` lists: containers, webhooks, ports), other lists
 *   whole; the field manager is recorded in `managedFields` (no per-field ownership);
 * - DELETE, cascading as the garbage collector would for the two cases the verbs meet: a CRD takes
 *   its custom resources with it, a Namespace its namespaced objects;
 * - CRDs become `Established` when stored (the apiextensions controller's job);
 * - `labelSelector` with equality terms (`app=x,b=y`) on lists;
 * - SelfSubjectAccessReview, answered by a test-provided function (default: allowed);
 * - `pods/NAME/portforward` over WebSocket (`v4.channel.k8s.io`: per port a data and an error
 *   channel, each opened with the port number), connected to a test-provided address per pod and port.
 * Test code only.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { applyPatch, type Operation } from 'fast-json-patch';
import { WebSocketServer, type WebSocket } from 'ws';

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

const crdCollection = 'apiextensions.k8s.io/v1/customresourcedefinitions';

/** The apiextensions controller: names accepted, CRD established. */
function establish(crd: StoredObject): void {
  const names = (crd.spec as { names?: unknown } | undefined)?.names;
  const at = new Date(0).toISOString();
  crd.status = {
    acceptedNames: names,
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', lastTransitionTime: at },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', lastTransitionTime: at },
    ],
    storedVersions: ((crd.spec as { versions?: { name: string; storage?: boolean }[] } | undefined)?.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}

/** Server-side apply's merge, approximated: mappings recursively, lists of named items by name, other lists whole. */
function applyMerge(target: unknown, applied: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const named = (v: unknown): v is { name: string }[] => Array.isArray(v) && v.length > 0 && v.every((i) => isMap(i) && typeof i.name === 'string');
  if (isMap(target) && isMap(applied)) {
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(applied)) out[k] = applyMerge(target[k], v);
    return out;
  }
  if (named(target) && named(applied)) return applied.map((item) => applyMerge(target.find((t) => t.name === item.name), item));
  return clone(applied);
}

/** Equality terms only (`app=x,tier=y`); anything else matches everything (the verbs use no other form). */
function labelSelector(text: string | null): (o: StoredObject) => boolean {
  const terms = (text ?? '').split(',').filter(Boolean).map((t) => t.split('=') as [string, string]).filter((t) => t.length === 2);
  return (o) => terms.every(([k, v]) => (o.metadata.labels as Record<string, string> | undefined)?.[k] === v);
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
  /** Answers SelfSubjectAccessReview creates: given spec.resourceAttributes, whether it is allowed. */
  accessReview: (attributes: Record<string, unknown>) => boolean = () => true;
  /** Where `pods/NAME/portforward` connects for a pod's port (a loopback address in tests); undefined → refused. */
  portForwardTarget: (namespace: string, pod: string, port: number) => { host: string; port: number } | undefined = () => undefined;
  private readonly portForwards = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  private readonly forwardedSockets = new Set<net.Socket>();
  private rv = 1;
  private compactedRv = 0;
  private server: http.Server | undefined;

  constructor(readonly token = 'test-token') {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.closeWatches();
    for (const s of this.forwardedSockets) s.destroy();
    for (const ws of this.portForwards.clients) ws.terminate();
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
    // What the garbage collector would do next: a CRD's objects, a namespace's contents.
    if (collection === crdCollection) {
      const spec = existing.spec as { group: string; names: { plural: string }; versions: { name: string }[] };
      for (const v of spec.versions) {
        const crs = `${spec.group}/${v.name}/${spec.names.plural}`;
        for (const o of [...this.store(crs).values()]) this.remove(crs, o.metadata.namespace, o.metadata.name);
      }
    }
    if (collection === 'v1/namespaces') {
      for (const [c, objects] of this.objects) {
        for (const o of [...objects.values()]) if (o.metadata.namespace === name) this.remove(c, name, o.metadata.name);
      }
    }
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
    if (collection === crdCollection) establish(obj);
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
      const selector = labelSelector(query.get('labelSelector'));
      const items = [...store.values()]
        .filter((o) => (!route.namespace || o.metadata.namespace === route.namespace) && selector(o))
        .map(({ apiVersion: _a, kind: _k, ...rest }) => clone(rest));
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
      if (route.collection === 'authorization.k8s.io/v1/selfsubjectaccessreviews') {
        const attributes = (body as { spec?: { resourceAttributes?: Record<string, unknown> } }).spec?.resourceAttributes ?? {};
        return this.send(res, 201, { ...obj, status: { allowed: this.accessReview(attributes) } });
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
    if (method === 'PATCH' && contentType.startsWith('application/apply-patch+yaml') && route.name !== undefined && !route.subresource) {
      return this.serverSideApply(route, query, body, existing, res);
    }
    if (!existing) return notFound();
    if (method === 'DELETE' && !route.subresource) {
      this.remove(route.collection, route.namespace, route.name!);
      return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: route.name } });
    }
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

  /** Server-side apply, as far as the verbs need it (see the header). */
  private serverSideApply(route: Route, query: URLSearchParams, body: unknown, existing: StoredObject | undefined, res: http.ServerResponse): void {
    const manager = query.get('fieldManager');
    if (!manager) return this.send(res, 400, status(400, 'BadRequest', 'PATCH, fieldManager: Required value: is required for apply patch'));
    const applied = body as StoredObject;
    if (!applied?.metadata?.name || applied.metadata.name !== route.name) {
      return this.send(res, 400, status(400, 'BadRequest', `the name of the object (${applied?.metadata?.name}) does not match the name on the URL (${route.name})`));
    }
    const managedFields = [{ manager, operation: 'Apply', apiVersion: applied.apiVersion, fieldsType: 'FieldsV1' }];
    if (!existing) {
      const created = clone(applied);
      created.metadata = { ...created.metadata, namespace: route.namespace, uid: randomUUID(), generation: 1, managedFields };
      if (!route.namespace) delete created.metadata.namespace;
      return this.send(res, 201, this.commit(route.collection, created, 'ADDED'));
    }
    const next = applyMerge(existing, applied) as StoredObject;
    const others = ((existing.metadata.managedFields ?? []) as { manager: string }[]).filter((m) => m.manager !== manager);
    next.metadata = { ...next.metadata, uid: existing.metadata.uid, generation: existing.metadata.generation, resourceVersion: existing.metadata.resourceVersion, managedFields: [...others, ...managedFields] };
    if (statusSubresource.test(route.collection) || route.collection === crdCollection) next.status = clone(existing.status);
    if (withoutMetaAndStatus(existing) !== withoutMetaAndStatus(next)) next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    if (JSON.stringify(next) === JSON.stringify(existing)) return this.send(res, 200, clone(existing)); // no change: no new resourceVersion
    return this.send(res, 200, this.commit(route.collection, next, 'MODIFIED'));
  }

  /** `pods/NAME/portforward?ports=P` upgraded to WebSocket: one data and one error channel for P. */
  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: 'GET', path: url.pathname, query: url.searchParams });
    const refuse = (code: number, reason: string) => {
      socket.end(`HTTP/1.1 ${code} ${reason}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify(status(code, reason, reason))}`);
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return refuse(401, 'Unauthorized');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    if (!m) return refuse(404, 'NotFound');
    const [namespace, pod] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    if (!this.store('v1/pods').has(this.key(namespace, pod))) return refuse(404, 'NotFound');
    const port = Number(url.searchParams.get('ports'));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return refuse(400, 'BadRequest');
    this.portForwards.handleUpgrade(req, socket, head, (ws) => this.forward(ws, namespace, pod, port));
  }

  private forward(ws: WebSocket, namespace: string, pod: string, port: number): void {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
    ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
    const fail = (message: string) => {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(message)]));
      ws.close();
    };
    const target = this.portForwardTarget(namespace, pod, port);
    if (!target) return fail(`error forwarding port ${port} to pod ${pod}: connection refused`);
    const upstream = net.connect(target.port, target.host);
    this.forwardedSockets.add(upstream);
    const pending: Buffer[] = [];
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      for (const b of pending.splice(0)) upstream.write(b);
    });
    upstream.on('data', (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
    upstream.on('error', (err) => (connected ? ws.close() : fail(`error forwarding port ${port} to pod ${pod}: ${err.message}`)));
    upstream.on('close', () => {
      this.forwardedSockets.delete(upstream);
      ws.close();
    });
    ws.on('message', (data: Buffer) => {
      if (data.length < 1 || data[0] !== 0) return;
      const payload = data.subarray(1);
      if (connected) upstream.write(payload);
      else pending.push(payload);
    });
    ws.on('close', () => upstream.end());
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
