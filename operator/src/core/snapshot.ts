/**
 * Immutable, versioned per-proxy snapshots. A resource's version is a hash of its content, a type's
 * version a hash of its resources' names and versions, so a proxy is only sent a type when something
 * in it changed. A snapshot is checked for consistency before it is set: every RDS and EDS name a
 * listener or cluster refers to must be in it.
 */
import { createHash } from 'node:crypto';
import { type Json, TypeUrls, type XdsTypeUrl, XdsTypeOrder } from './translate/envoy';
import { type ProxyResourceParts } from './translate/translate';

export interface VersionedResource {
  name: string;
  version: string;
  resource: Json;
}

/**
 * One part of a type's resources (shared by a namespace's proxies, or a proxy's own), hashed once.
 * The same resource array always gives the same Part object, so "same Part" means "same content"
 * (delta xDS skips such parts when it compares what a proxy holds with a new snapshot).
 */
export interface Part {
  version: string;
  byName: Map<string, VersionedResource>;
}

/** Read-only view over a type's parts: the subset of ReadonlyMap the server and checks use. */
export class TypeResources {
  constructor(readonly parts: readonly Part[]) {}

  get(name: string): VersionedResource | undefined {
    for (const p of this.parts) {
      const r = p.byName.get(name);
      if (r) return r;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  get size(): number {
    return this.parts.reduce((n, p) => n + p.byName.size, 0);
  }

  *values(): IterableIterator<VersionedResource> {
    for (const p of this.parts) yield* p.byName.values();
  }
}

export interface TypeSnapshot {
  version: string;
  resources: TypeResources;
}

export interface Snapshot {
  /** Generation of the model it was built from. */
  generation: number;
  types: Readonly<Record<XdsTypeUrl, TypeSnapshot>>;
}

const hashes = new WeakMap<Json, string>();
const partCache = new WeakMap<Json[], Part>();

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Content hash of a resource (memoised per object: namespaces share resource objects across proxies). */
export function resourceVersion(resource: Json): string {
  let v = hashes.get(resource);
  if (v === undefined) {
    v = hash(JSON.stringify(resource));
    hashes.set(resource, v);
  }
  return v;
}

export function resourceName(resource: Json): string {
  const name = resource.name ?? resource.cluster_name;
  if (typeof name !== 'string') throw new Error('resource without a name');
  return name;
}

/** Version of a set of resources (all, or just the names a proxy subscribed to). */
export function versionOf(resources: Iterable<VersionedResource>): string {
  const parts = [...resources].map((r) => `${r.name}=${r.version}`).sort();
  return hash(parts.join('\n'));
}

function partOf(resources: Json[]): Part {
  let part = partCache.get(resources);
  if (!part) {
    const byName = new Map<string, VersionedResource>();
    for (const resource of resources) {
      const name = resourceName(resource);
      byName.set(name, { name, version: resourceVersion(resource), resource });
    }
    part = { version: versionOf(byName.values()), byName };
    partCache.set(resources, part);
  }
  return part;
}

/** Builds an immutable snapshot from resources given in parts (see ProxyResourceParts). */
export function makeSnapshot(generation: number, input: ProxyResourceParts): Snapshot {
  const types = {} as Record<XdsTypeUrl, TypeSnapshot>;
  for (const type of XdsTypeOrder) {
    const parts = input[type].filter((p) => p.length > 0).map(partOf);
    const version = parts.length === 1 ? parts[0]!.version : hash(parts.map((p) => p.version).join('+'));
    types[type] = Object.freeze({ version, resources: new TypeResources(parts) });
  }
  return Object.freeze({ generation, types: Object.freeze(types) });
}

/** Every `rds.route_config_name` anywhere inside a listener. */
function routeNames(value: unknown, out: string[]): string[] {
  if (Array.isArray(value)) for (const v of value) routeNames(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'rds' && v && typeof v === 'object' && typeof (v as Json).route_config_name === 'string') out.push((v as Json).route_config_name as string);
      else routeNames(v, out);
    }
  }
  return out;
}

const listenerRoutes = new WeakMap<Json, string[]>();

function routesOfListener(listener: Json): string[] {
  let names = listenerRoutes.get(listener);
  if (!names) {
    names = [...new Set(routeNames(listener, []))];
    listenerRoutes.set(listener, names);
  }
  return names;
}

/** Problems that make a snapshot unsafe to send; empty when consistent. */
export function checkConsistency(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  const routes = snapshot.types[TypeUrls.route].resources;
  const endpoints = snapshot.types[TypeUrls.endpoint].resources;
  for (const { name, resource } of snapshot.types[TypeUrls.listener].resources.values()) {
    for (const route of routesOfListener(resource)) {
      if (!routes.has(route)) problems.push(`listener ${name} refers to RouteConfiguration "${route}" which is not in the snapshot`);
    }
  }
  for (const { name, resource } of snapshot.types[TypeUrls.cluster].resources.values()) {
    if (resource.type !== 'EDS') continue;
    const eds = resource.eds_cluster_config as Json | undefined;
    const serviceName = typeof eds?.service_name === 'string' && eds.service_name !== '' ? eds.service_name : name;
    if (!endpoints.has(serviceName)) problems.push(`cluster ${name} refers to ClusterLoadAssignment "${serviceName}" which is not in the snapshot`);
  }
  return problems;
}

export class InconsistentSnapshotError extends Error {
  override name = 'InconsistentSnapshotError';
  constructor(readonly nodeId: string, readonly problems: string[]) {
    super(`snapshot for ${nodeId} refused: ${problems.join('; ')}`);
  }
}

/** The latest consistent snapshot per proxy; observers hear about every set. */
export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly observers = new Set<(nodeId: string, snapshot: Snapshot) => void>();

  /** Sets the node's snapshot after the consistency check; throws InconsistentSnapshotError (keeping the old one). */
  set(nodeId: string, snapshot: Snapshot): void {
    const problems = checkConsistency(snapshot);
    if (problems.length) throw new InconsistentSnapshotError(nodeId, problems);
    this.snapshots.set(nodeId, snapshot);
    for (const o of this.observers) o(nodeId, snapshot);
  }

  get(nodeId: string): Snapshot | undefined {
    return this.snapshots.get(nodeId);
  }

  delete(nodeId: string): void {
    this.snapshots.delete(nodeId);
  }

  nodes(): string[] {
    return [...this.snapshots.keys()];
  }

  observe(observer: (nodeId: string, snapshot: Snapshot) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }
}
