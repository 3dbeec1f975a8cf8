/**
 * The three patch formats of PATCH (besides apply): JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902, via fast-json-patch) and strategic merge patch with its directives ($patch,
 * $setElementOrder, $deleteFromPrimitiveList, $retainKeys) for the lists the built-in kinds
 * declare (shapes.ts). Errors are the API server's 422/400 wording. Pure.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { clone, deepEqual, isObject, type JsonObject } from './json';
import { fieldShape, itemShape, type Shape } from './shapes';

/** RFC 7386 JSON merge patch; returns a new value (the target is not changed). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(clone(target), patch);
}

function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeInto(out[k], v);
  }
  return out;
}

export class PatchError extends Error {}

/** RFC 6902 JSON patch; a failed `test` or a bad path throws PatchError with the reason. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return applyPatch(clone(target), ops as Operation[], true, false).newDocument;
  } catch (err) {
    const e = err as { name?: string; message: string; operation?: { path?: string } };
    if (e.name === 'TEST_OPERATION_FAILED') throw new PatchError(`testing value ${e.operation?.path ?? ''} failed: test failed`);
    throw new PatchError(e.message.split('\n')[0] ?? e.message);
  }
}

const directive = '$patch';
const setElementOrder = '$setElementOrder/';
const deleteFromPrimitiveList = '$deleteFromPrimitiveList/';
const retainKeys = '$retainKeys';

function mergeKeyOf(item: unknown, key: string): unknown {
  return isObject(item) ? item[key] : undefined;
}

/** Strategic merge patch of `patch` onto `original` (a JSON object) given the object's shape. */
export function strategicMergePatch(original: unknown, patch: unknown, shape: Shape): unknown {
  if (!isObject(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  return mergeMap(isObject(original) ? clone(original) : {}, patch, shape);
}

function mergeMap(original: JsonObject, patch: JsonObject, shape: Shape): JsonObject {
  const kind = patch[directive];
  if (kind === 'replace') {
    const { [directive]: _d, ...rest } = patch;
    return clone(rest);
  }
  if (kind !== undefined && kind !== 'merge' && kind !== 'delete') throw new PatchError(`Unknown patch type: ${String(kind)}`);
  let result: JsonObject = { ...original };
  if (Array.isArray(patch[retainKeys])) {
    const keep = new Set(patch[retainKeys] as string[]);
    result = Object.fromEntries(Object.entries(result).filter(([k]) => keep.has(k)));
  }
  const orders: [string, unknown[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === directive || key === retainKeys) continue;
    if (key.startsWith(setElementOrder)) {
      if (Array.isArray(value)) orders.push([key.slice(setElementOrder.length), value]);
      continue;
    }
    if (key.startsWith(deleteFromPrimitiveList)) {
      const field = key.slice(deleteFromPrimitiveList.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) result[field] = (result[field] as unknown[]).filter((v) => !value.some((d) => deepEqual(d, v)));
      continue;
    }
    const child = fieldShape(shape, key);
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      if (value[directive] === 'delete') delete result[key];
      else result[key] = child.mapType === 'atomic' ? clone(value) : mergeMap(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, child);
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as unknown[]) : [], value, child);
    } else {
      result[key] = clone(value);
    }
  }
  for (const [field, order] of orders) {
    if (Array.isArray(result[field])) result[field] = reorder(result[field] as unknown[], order, fieldShape(shape, field).patchMergeKey);
  }
  return result;
}

function mergeList(original: unknown[], patch: unknown[], shape: Shape): unknown[] {
  if (patch.some((p) => isObject(p) && p[directive] === 'replace')) return clone(patch.filter((p) => !(isObject(p) && p[directive] === 'replace')));
  const strategy = shape.patchStrategy ?? '';
  if (!strategy.includes('merge')) return clone(patch);
  const key = shape.patchMergeKey;
  if (!key) {
    // A merged list of scalars (finalizers): union, original order first.
    const out = [...original];
    for (const v of patch) if (!out.some((o) => deepEqual(o, v))) out.push(clone(v));
    return out;
  }
  const out = original.map((o) => clone(o));
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`merging an object in json but data type is not map[string]interface{}`);
    const id = item[key];
    if (id === undefined) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((o) => deepEqual(mergeKeyOf(o, key), id));
    if (item[directive] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = mergeMap(out[at] as JsonObject, item, itemShape(shape));
    else out.push(mergeMap({}, item, itemShape(shape)));
  }
  return out;
}

/** $setElementOrder: the listed elements in that order, the others after them in their order. */
function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const id = (v: unknown) => (key ? mergeKeyOf(v, key) : v);
  const orderIds = order.map((o) => (key && isObject(o) ? o[key] : o));
  const ranked = list.map((v, i) => ({ v, i, r: orderIds.findIndex((o) => deepEqual(o, id(v))) }));
  return ranked.sort((a, b) => (a.r < 0 ? Infinity : a.r) - (b.r < 0 ? Infinity : b.r) || a.i - b.i).map((x) => x.v);
}
