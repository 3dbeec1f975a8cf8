/**
 * Shared helpers of the xDS → model translation (pure): precise rejections, the "every set field is
 * handled" check, durations, percentages, typed_config unpacking.
 *
 * Paths use the proto field names (snake_case) as Envoy prints them, e.g.
 * `filter_chains[2].filters[0].typed_config`, so a NACK reads like the resource it rejects.
 */
import { isFieldSet, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { Any, Duration } from '@bufbuild/protobuf/wkt';
import { FractionalPercent_DenominatorType, type FractionalPercent } from '../../../../api/gen/envoy/type/v3/percent_pb';
import { unpackAnyAs } from '../../../../api/src/xds/any';
import { typeNameOf } from '../../../../api/src/xds/type-urls';

/** Something in a resource the proxy cannot honour; `path` is relative to the resource. */
export class FieldError extends Error {
  override name = 'FieldError';
  constructor(readonly path: string, readonly reason: string) {
    super(path ? `${path}: ${reason}` : reason);
  }
}

export function fail(path: string, reason: string): never {
  throw new FieldError(path, reason);
}

/** `a.b`, or `b` at the root. */
export function at(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

export function idx(path: string, i: number): string {
  return `${path}[${i}]`;
}

/**
 * Rejects every field of `message` that is set (non-default) but not in `handled`, and any field
 * this build of the protos does not know (wire unknowns): what the proxy does not understand must
 * not be dropped silently.
 */
export function onlyFields<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, path: string, handled: readonly string[]): void {
  const unknown = (message as { $unknown?: Array<{ no: number }> }).$unknown;
  if (unknown && unknown.length > 0) fail(path, `unknown field number ${unknown[0]!.no} in ${schema.typeName} (newer Envoy API than the proxy knows)`);
  for (const field of schema.fields) {
    if (handled.includes(field.name)) continue;
    if (isFieldSet(message, field)) fail(at(path, field.name), `not supported by the Skein proxy (${schema.typeName}.${field.name})`);
  }
}

const MaxMs = 365 * 86_400_000;

/** Duration → integer milliseconds (sub-millisecond parts round up so a timeout never becomes 0 by rounding). */
export function durationMs(d: Duration, path: string): number {
  const ms = Number(d.seconds) * 1000 + Math.ceil(d.nanos / 1_000_000);
  if (d.seconds < 0n || d.nanos < 0) fail(path, 'must not be negative');
  if (ms > MaxMs) fail(path, `longer than the supported maximum of ${MaxMs} ms`);
  return ms;
}

export function optDurationMs(d: Duration | undefined, path: string): number | undefined {
  return d === undefined ? undefined : durationMs(d, path);
}

const denominators: Record<FractionalPercent_DenominatorType, number> = {
  [FractionalPercent_DenominatorType.HUNDRED]: 100,
  [FractionalPercent_DenominatorType.TEN_THOUSAND]: 10_000,
  [FractionalPercent_DenominatorType.MILLION]: 1_000_000,
};

/** FractionalPercent → percentage in [0, 100] (Envoy caps numerators above the denominator). */
export function fractionToPercent(f: FractionalPercent | undefined, path: string, dflt = 100): number {
  if (f === undefined) return dflt;
  const denominator = denominators[f.denominator];
  if (denominator === undefined) fail(at(path, 'denominator'), `unknown denominator ${f.denominator}`);
  return Math.min(100, (f.numerator / denominator) * 100);
}

/** The message name inside a typed_config Any (the part after the last `/` of its type URL). */
export function typeNameAt(any: Any | undefined, path: string): string {
  if (any === undefined) fail(path, 'typed_config is required');
  try {
    return typeNameOf(any.typeUrl);
  } catch (err) {
    return fail(path, (err as Error).message);
  }
}

/** Decodes a typed_config Any that must hold `schema`. */
export function unpackAt<Desc extends DescMessage>(any: Any, schema: Desc, path: string): MessageShape<Desc> {
  try {
    return unpackAnyAs(any, schema);
  } catch (err) {
    return fail(path, (err as Error).message);
  }
}

/** `unsupported filter envoy.filters.network.mongo_proxy (envoy.extensions…MongoProxy)`. */
export function unsupported(path: string, what: string, name: string, typeName: string): never {
  return fail(path, `unsupported ${what} ${name || typeName}${name && name !== typeName ? ` (${typeName})` : ''}`);
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
