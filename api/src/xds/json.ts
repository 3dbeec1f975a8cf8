/**
 * The JSON view of xDS messages (proto3 JSON mapping), for config dumps, debug endpoints and
 * fixtures. Anys print as `{"@type": "type.googleapis.com/…", …fields}` via the xDS registry.
 */
import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape, type Registry } from '@bufbuild/protobuf';
import { xdsRegistry } from './type-urls';

export interface ConfigJsonOptions {
  /** Registry for Any contents; defaults to every type Skein generates. */
  registry?: Registry;
  /** Also print fields that hold their default value (false: omit them, as Envoy's dumps do). */
  includeDefaults?: boolean;
}

/** A message as proto3 JSON (lowerCamelCase field names, enums by name). */
export function toConfigJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, options: ConfigJsonOptions = {}): JsonValue {
  try {
    return toJson(schema, message, { registry: options.registry ?? xdsRegistry, alwaysEmitImplicit: options.includeDefaults ?? false });
  } catch (err) {
    throw new Error(`cannot print ${schema.typeName} as JSON: ${(err as Error).message}`);
  }
}

/** toConfigJson, serialised with two-space indentation. */
export function toConfigJsonString<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, options: ConfigJsonOptions = {}): string {
  return JSON.stringify(toConfigJson(schema, message, options), null, 2);
}

/** Parses proto3 JSON (as toConfigJson prints it, or as Envoy docs show it) into a message. */
export function fromConfigJson<Desc extends DescMessage>(schema: Desc, json: JsonValue, options: Pick<ConfigJsonOptions, 'registry'> = {}): MessageShape<Desc> {
  try {
    return fromJson(schema, json, { registry: options.registry ?? xdsRegistry });
  } catch (err) {
    throw new Error(`invalid ${schema.typeName} JSON: ${(err as Error).message}`);
  }
}
