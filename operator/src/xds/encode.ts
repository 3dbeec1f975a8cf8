/**
 * Translated resources (proto3 JSON) → protobuf Any for the wire. Encoding is memoised per resource
 * object and, when the caller passes the content version (hash), per content: identical resources of
 * different namespaces and generations are encoded once.
 */
import { fromJson, type DescMessage, type JsonObject } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { typeNameOf, xdsRegistry } from '../../../api/src/xds';
import { type Json } from '../core/translate/envoy';

const encoded = new WeakMap<Json, Any>();
const byContent = new Map<string, Any>();
/** Bound on the content cache; when full it starts over (the next generation refills it). */
const maxContentEntries = 200_000;

export class EncodeError extends Error {
  override name = 'EncodeError';
}

function schemaFor(typeUrl: string): DescMessage {
  const schema = xdsRegistry.getMessage(typeNameOf(typeUrl));
  if (!schema) throw new EncodeError(`no protobuf schema for ${typeUrl}`);
  return schema;
}

/** Encodes one resource (which carries its own `@type`). Throws EncodeError naming the resource. */
export function encodeResource(resource: Json, contentVersion?: string): Any {
  const cached = encoded.get(resource) ?? (contentVersion === undefined ? undefined : byContent.get(contentVersion));
  if (cached) {
    encoded.set(resource, cached);
    return cached;
  }
  const { '@type': typeUrl, ...body } = resource;
  if (typeof typeUrl !== 'string') throw new EncodeError('resource without @type');
  const schema = schemaFor(typeUrl);
  try {
    const any = anyPack(schema, fromJson(schema, body as JsonObject, { registry: xdsRegistry }));
    encoded.set(resource, any);
    if (contentVersion !== undefined) {
      if (byContent.size >= maxContentEntries) byContent.clear();
      byContent.set(contentVersion, any);
    }
    return any;
  } catch (err) {
    const name = String(body.name ?? body.cluster_name ?? '?');
    throw new EncodeError(`cannot encode ${typeUrl} "${name}": ${(err as Error).message}`);
  }
}
