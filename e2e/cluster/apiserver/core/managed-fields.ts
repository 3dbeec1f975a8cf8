/**
 * Server-side apply: field ownership in `metadata.managedFields` (FieldsV1), conflicts between
 * managers, and the merge of an applied configuration into the live object. Follows
 * structured-merge-diff's model on the shapes of shapes.ts: every leaf a config sets is owned by
 * its manager; applying without a field the manager owned alone removes it; setting a field another
 * manager owns to a different value is a conflict unless forced (then ownership moves); PUT/PATCH
 * give the fields they change to their manager as an `Update` entry. Pure (time is passed in).
 */
import { clone, deepEqual, isObject, type JsonObject, type KubeObject, type ManagedFieldsEntry } from './json';
import { fieldShape, itemShape, type Shape } from './shapes';

/** One step of a field path in FieldsV1 spelling: `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`, `.`. */
export type PathElement = string;
export type FieldPath = PathElement[];

const keyOf = (path: FieldPath): string => JSON.stringify(path);
const pathOf = (key: string): FieldPath => JSON.parse(key) as FieldPath;

/** Fields the API server sets itself; they are never owned. */
const ignoredTop = new Set(['apiVersion', 'kind']);
const ignoredMeta = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName']);

function sortedKey(item: JsonObject, keys: readonly string[]): string {
  const picked: JsonObject = {};
  for (const k of [...keys].sort()) if (item[k] !== undefined) picked[k] = item[k];
  return `k:${JSON.stringify(picked)}`;
}

/** The leaf paths `value` sets, per its shape. */
export function leafPaths(value: unknown, shape: Shape, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [];
  walk(value, shape, prefix, out);
  return out;
}

function walk(value: unknown, shape: Shape, prefix: FieldPath, out: FieldPath[]): void {
  if (isObject(value) && shape.mapType !== 'atomic' && shape.kind !== 'scalar' && shape.kind !== 'list') {
    const all = Object.entries(value);
    const entries = all.filter(([k]) => !(prefix.length === 0 && ignoredTop.has(k)) && !(prefix.length === 1 && prefix[0] === 'f:metadata' && ignoredMeta.has(k)));
    if (all.length === 0 && prefix.length > 0) out.push(prefix); // an empty map is a value of its own
    for (const [k, v] of entries) walk(v, fieldShape(shape, k), [...prefix, `f:${k}`], out);
    return;
  }
  if (Array.isArray(value) && shape.kind === 'list' && shape.listType === 'map' && shape.listMapKeys) {
    for (const item of value) {
      if (!isObject(item)) continue;
      const at = [...prefix, sortedKey(item, shape.listMapKeys)];
      out.push([...at, '.']);
      for (const [k, v] of Object.entries(item)) walk(v, fieldShape(itemShape(shape), k), [...at, `f:${k}`], out);
    }
    return;
  }
  if (Array.isArray(value) && shape.kind === 'list' && shape.listType === 'set') {
    for (const item of value) out.push([...prefix, `v:${JSON.stringify(item)}`]);
    return;
  }
  out.push(prefix);
}

function matchesElement(item: unknown, element: PathElement): boolean {
  if (element.startsWith('k:')) {
    const key = JSON.parse(element.slice(2)) as JsonObject;
    return isObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v));
  }
  if (element.startsWith('v:')) return deepEqual(item, JSON.parse(element.slice(2)));
  return false;
}

/** The value at `path` (undefined when absent); `.` addresses the list item itself. */
export function lookup(obj: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let node: unknown = obj;
  for (const element of path) {
    if (element === '.') continue;
    if (element.startsWith('f:')) {
      if (!isObject(node) || !Object.hasOwn(node, element.slice(2))) return { found: false };
      node = node[element.slice(2)];
    } else if (element.startsWith('i:')) {
      if (!Array.isArray(node)) return { found: false };
      node = node[Number(element.slice(2))];
    } else {
      if (!Array.isArray(node)) return { found: false };
      const item = node.find((i) => matchesElement(i, element));
      if (item === undefined) return { found: false };
      node = item;
    }
  }
  return { found: true, value: node };
}

/** Deletes the value at `path` (a list item when the path ends in its key or `.`). */
export function removePath(obj: JsonObject, path: FieldPath): void {
  const p = path.at(-1) === '.' ? path.slice(0, -1) : path;
  if (p.length === 0) return;
  const parent = lookup(obj, p.slice(0, -1));
  if (!parent.found) return;
  const last = p.at(-1)!;
  if (last.startsWith('f:') && isObject(parent.value)) delete parent.value[last.slice(2)];
  else if (Array.isArray(parent.value)) {
    const at = last.startsWith('i:') ? Number(last.slice(2)) : parent.value.findIndex((i) => matchesElement(i, last));
    if (at >= 0) parent.value.splice(at, 1);
  }
}

/** FieldsV1 tree ⇄ set of paths. */
export function toFieldsV1(paths: Iterable<FieldPath>): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const element of path) {
      node[element] ??= {};
      node = node[element] as JsonObject;
    }
  }
  return root;
}

export function fromFieldsV1(tree: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isObject(tree)) return [];
  const entries = Object.entries(tree);
  if (entries.length === 0) return prefix.length ? [prefix] : [];
  return entries.flatMap(([k, v]) => (k === '.' ? [[...prefix, '.']] : fromFieldsV1(v, [...prefix, k])));
}

/** fieldpath.Path.String(): `.spec.containers[name="app"].image`. */
export function pathText(path: FieldPath): string {
  return path.filter((e) => e !== '.').map((e) => {
    if (e.startsWith('f:')) return `.${e.slice(2)}`;
    if (e.startsWith('i:')) return `[${e.slice(2)}]`;
    if (e.startsWith('v:')) return `[=${e.slice(2)}]`;
    const key = JSON.parse(e.slice(2)) as JsonObject;
    return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
  }).join('');
}

export interface ManagerId {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
}

const sameManager = (a: ManagerId, b: ManagerId) =>
  a.manager === b.manager && a.operation === b.operation && (a.subresource ?? '') === (b.subresource ?? '') && (a.operation === 'Apply' || a.apiVersion === b.apiVersion);

/** printManager of the conflict message: `"kubectl"`, `"ctl" using apps/v1`, `… with subresource "status"`. */
export function managerText(e: ManagerId): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

export interface Conflict {
  manager: ManagerId;
  path: FieldPath;
}

/** The Status message and causes of an apply conflict (managedfields/internal/conflict.go). */
export function conflictMessage(conflicts: readonly Conflict[]): { message: string; causes: { reason: string; message: string; field: string }[] } {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${managerText(c.manager)}`, field: pathText(c.path) }));
  if (conflicts.length === 1) return { message: `Apply failed with 1 conflict: conflict with ${managerText(conflicts[0]!.manager)}: ${pathText(conflicts[0]!.path)}`, causes };
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const m = managerText(c.manager);
    byManager.set(m, [...(byManager.get(m) ?? []), pathText(c.path)]);
  }
  const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
  return { message: `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes };
}

interface Entry {
  id: ManagerId;
  time?: string;
  paths: Set<string>;
}

function readEntries(obj: KubeObject | undefined): Entry[] {
  return (obj?.metadata.managedFields ?? []).map((e) => ({
    id: { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, ...(e.subresource ? { subresource: e.subresource } : {}) },
    ...(e.time ? { time: e.time } : {}),
    paths: new Set(fromFieldsV1(e.fieldsV1).map(keyOf)),
  }));
}

function writeEntries(entries: Entry[]): ManagedFieldsEntry[] {
  return entries.filter((e) => e.paths.size > 0).map((e) => ({
    manager: e.id.manager, operation: e.id.operation, apiVersion: e.id.apiVersion,
    ...(e.time ? { time: e.time } : {}), fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1([...e.paths].map(pathOf)),
    ...(e.id.subresource ? { subresource: e.id.subresource } : {}),
  }));
}

function entryFor(entries: Entry[], id: ManagerId, time: string): Entry {
  let e = entries.find((x) => sameManager(x.id, id));
  if (!e) entries.push((e = { id, paths: new Set() }));
  e.id = id;
  e.time = time;
  return e;
}

function withoutManagedFields(o: KubeObject): unknown {
  const { managedFields: _m, resourceVersion: _r, ...metadata } = o.metadata ?? {};
  return { ...o, metadata };
}

/** Merges an applied configuration into the live value per shape (maps by key, keyed lists by key). */
export function mergeApplied(live: unknown, config: unknown, shape: Shape): unknown {
  if (isObject(config) && isObject(live) && shape.mapType !== 'atomic' && shape.kind !== 'scalar' && shape.kind !== 'list') {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(config)) out[k] = Object.hasOwn(live, k) ? mergeApplied(live[k], v, fieldShape(shape, k)) : clone(v);
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && shape.kind === 'list' && shape.listType === 'map' && shape.listMapKeys) {
    const keys = shape.listMapKeys;
    const out = live.map((i) => clone(i));
    for (const item of config) {
      const at = isObject(item) ? out.findIndex((o) => isObject(o) && keys.every((k) => deepEqual(o[k], item[k]))) : -1;
      if (at >= 0) out[at] = mergeApplied(out[at], item, itemShape(shape));
      else out.push(clone(item));
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live) && shape.kind === 'list' && shape.listType === 'set') {
    const out = live.map((i) => clone(i));
    for (const v of config) if (!out.some((o) => deepEqual(o, v))) out.push(clone(v));
    return out;
  }
  return clone(config);
}

export interface ApplyInput {
  live: KubeObject | undefined;
  config: KubeObject;
  shape: Shape;
  id: ManagerId;
  force: boolean;
  now: string;
  /** Top-level fields this request may change (`status` only on /status; all but status on the main resource of a kind with a status subresource). */
  scope: (field: string) => boolean;
}

export type ApplyResult = { ok: true; object: KubeObject } | { ok: false; conflicts: Conflict[] };

/** Server-side apply of `config` by `id` onto `live` (undefined: the object is being created). */
export function apply(input: ApplyInput): ApplyResult {
  const { live, config, shape, id, force, now, scope } = input;
  const scoped = Object.fromEntries(Object.entries(config).filter(([k]) => k === 'metadata' || ignoredTop.has(k) || scope(k)));
  const newPaths = leafPaths(scoped, shape).filter((p) => p.length > 0);
  const newKeys = new Set(newPaths.map(keyOf));
  const entries = readEntries(live);
  const mine = entries.find((e) => sameManager(e.id, id));
  const others = entries.filter((e) => e !== mine);
  const conflicts: Conflict[] = [];
  for (const path of newPaths) {
    if (path.at(-1) === '.') continue;
    const have = lookup(live, path);
    if (!have.found || deepEqual(have.value, lookup(scoped, path).value)) continue;
    for (const other of others) if (other.paths.has(keyOf(path))) conflicts.push({ manager: other.id, path });
  }
  if (conflicts.length && !force) return { ok: false, conflicts };
  let othersChanged = false;
  for (const other of others) {
    for (const path of newPaths) {
      if (path.at(-1) === '.') continue;
      const have = lookup(live, path);
      // Forced (or same value): a field set to a different value changes hands; equal values are shared.
      if (have.found && !deepEqual(have.value, lookup(scoped, path).value) && other.paths.delete(keyOf(path))) othersChanged = true;
    }
  }
  const base: JsonObject = live ? clone(live) : {};
  const merged = mergeApplied(base, scoped, shape) as JsonObject;
  // What this manager owned before and no longer applies, and nobody else owns, goes away.
  const dropped = [...(mine?.paths ?? [])].filter((k) => !newKeys.has(k) && !others.some((o) => o.paths.has(k)));
  for (const k of dropped) {
    const path = pathOf(k);
    const isItem = path.at(-1) === '.';
    const itemPrefix = isItem ? keyOf(path.slice(0, -1)).slice(0, -1) : '';
    if (isItem && others.some((o) => [...o.paths].some((p) => p.startsWith(itemPrefix)))) continue; // others still own fields inside
    removePath(merged, path);
  }
  const object = merged as unknown as KubeObject;
  const sameSet = mine !== undefined && mine.paths.size === newKeys.size && [...newKeys].every((k) => mine.paths.has(k));
  if (live && sameSet && !othersChanged && deepEqual(withoutManagedFields(object), withoutManagedFields(live))) {
    // Applying the same configuration again changes nothing, not even the entry's time.
    object.metadata = { ...object.metadata, managedFields: live.metadata.managedFields ?? [] };
    return { ok: true, object };
  }
  const entry = entryFor(entries, id, now);
  entry.paths = newKeys;
  object.metadata = { ...(object.metadata ?? {}), managedFields: writeEntries(entries) };
  return { ok: true, object };
}

/** PUT/PATCH/create by `id`: the leaves it changed become its own; removed leaves lose their owners. */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, shape: Shape, id: ManagerId, now: string): ManagedFieldsEntry[] {
  const entries = readEntries(old ?? next);
  const oldPaths = old ? leafPaths(old, shape) : [];
  const newPaths = leafPaths(next, shape);
  const changed = newPaths.filter((p) => {
    const before = old ? lookup(old, p) : { found: false };
    // A keyed list item (`.`) changes hands only when it is new: a change inside it is its fields' change.
    if (p.at(-1) === '.') return !before.found;
    return !before.found || !deepEqual(before.value, lookup(next, p).value);
  });
  const newKeys = new Set(newPaths.map(keyOf));
  const removed = oldPaths.map(keyOf).filter((k) => !newKeys.has(k));
  if (!changed.length && !removed.length) return old?.metadata.managedFields ?? next.metadata.managedFields ?? [];
  for (const e of entries) {
    for (const k of removed) e.paths.delete(k);
    for (const p of changed) e.paths.delete(keyOf(p));
  }
  if (changed.length) {
    const entry = entryFor(entries, id, now);
    for (const p of changed) entry.paths.add(keyOf(p));
  }
  return writeEntries(entries);
}
