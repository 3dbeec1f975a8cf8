/**
 * The operator's loopback API double (re-exported as operator/src/kube/testing/fake-apiserver):
 * the simulated cluster's API server in its lenient mode, over plain HTTP with one static token. Any
 * /api or /apis path is a type of its own and writes are stored as sent (no defaulting, admission,
 * validation or namespace checks), as the control plane's unit-level integration tests want it;
 * the wire behaviour — list/get/create/update with optimistic concurrency, merge/JSON/strategic
 * patch and server-side apply, the status subresource of the Skein kinds, generation, watches
 * with resourceVersion, bookmarks and 410 Gone, TokenReview answered by a test function,
 * pods/portforward through `dialer` — is the simulated API server's, one implementation for both.
 * Test code only.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Dialer } from './admission/webhook-client';
import { buildCore, type Core } from './core-wiring';
import { clone, deepEqual, type KubeObject } from './core/json';
import { storageKey } from './core/resource-types';
import { failure } from './core/status';
import { type RecordedRequest } from './http';

export { type RecordedRequest };

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string; [k: string]: unknown };
  [field: string]: unknown;
}

/** `v1/pods`, `coordination.k8s.io/v1/leases` → group, version, plural. */
function parseCollection(collection: string): { group: string; version: string; plural: string } {
  const parts = collection.split('/');
  return parts.length === 2 ? { group: '', version: parts[0]!, plural: parts[1]! } : { group: parts[0]!, version: parts[1]!, plural: parts[2]! };
}

const skeinStatusGroups = /^(networking|security)\.skein\.dev$/;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** Answers TokenReview creates: given the spec, return the status. */
  tokenReview: (spec: { token: string; audiences?: string[] }) => Record<string, unknown> = () => ({ authenticated: false, error: 'no reviewer configured' });
  private readonly failures: { method: string; match: RegExp; status: number; reason: string }[] = [];
  private readonly core: Core;
  private server: http.Server | undefined;

  constructor(readonly token = 'test-token') {
    this.core = buildCore({
      version: 'v1.31.2', authorization: 'AlwaysAllow', watchHistory: Number.POSITIVE_INFINITY, bookmarkIntervalMs: 0,
      lenient: { statusSubresource: (group) => skeinStatusGroups.test(group) },
      tokenReview: (spec) => this.tokenReview(spec),
      onRequest: (r) => {
        this.requests.push(r);
        const at = this.failures.findIndex((f) => f.method === r.method && f.match.test(r.path));
        if (at < 0) return undefined;
        const f = this.failures.splice(at, 1)[0]!;
        return failure(f.status, f.reason, 'injected failure');
      },
    });
    this.core.authenticator.addStaticToken(token, { username: 'test', groups: ['system:masters'] });
  }

  /** What GET /version answers (gitVersion). */
  get version(): string {
    return this.core.hooks.version;
  }

  set version(v: string) {
    this.core.hooks.version = v;
  }

  /** How the server reaches pods (pods/proxy, pods/portforward); default: TCP to the pod IP. */
  set dialer(d: Dialer) {
    this.core.hooks.dialer = d;
  }

  async start(): Promise<string> {
    this.server = http.createServer(this.core.frontend.handler);
    this.server.on('upgrade', this.core.frontend.upgrade);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.core.frontend.closeUpgraded();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  // ---- test controls -------------------------------------------------------------------------

  private key(collection: string): string {
    return storageKey(parseCollection(collection));
  }

  /** Creates or replaces an object as an outside actor would (kubectl apply). Returns the stored copy. */
  put(collection: string, obj: StoredObject): StoredObject {
    const { group } = parseCollection(collection);
    const key = this.key(collection);
    const existing = this.core.storage.get(key, obj.metadata.namespace, obj.metadata.name);
    const next = clone(obj) as KubeObject;
    next.metadata.uid = existing?.metadata.uid ?? obj.metadata.uid ?? randomUUID();
    const content = (o: KubeObject) => {
      const { metadata: _m, status: _s, ...rest } = o;
      return rest;
    };
    const gen = existing?.metadata.generation ?? 0;
    next.metadata.generation = existing && deepEqual(content(existing), content(next)) ? gen : gen + 1;
    if (existing && skeinStatusGroups.test(group) && !('status' in obj)) next.status = existing.status;
    next.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? new Date(0).toISOString();
    return this.core.storage.put(key, next) as StoredObject;
  }

  remove(collection: string, namespace: string | undefined, name: string): void {
    this.core.storage.remove(this.key(collection), namespace, name);
  }

  get(collection: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.core.storage.get(this.key(collection), namespace, name) as StoredObject | undefined;
  }

  /** Forgets history: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.core.storage.compact();
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    this.core.frontend.bookmarkAll();
  }

  /** Ends every open watch (as the server-side timeout does). */
  closeWatches(): void {
    this.core.frontend.closeAll();
  }

  /** Makes the next `count` requests matching method and path fail with `status`. */
  failNext(method: string, match: RegExp, statusCode: number, count = 1, reason = 'InternalError'): void {
    for (let i = 0; i < count; i++) this.failures.push({ method, match, status: statusCode, reason });
  }

  openWatches(collection?: string): number {
    return this.core.frontend.openWatches(collection === undefined ? undefined : this.key(collection));
  }

  writes(pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && pattern.test(r.path));
  }
}
