/** Packing and unpacking `google.protobuf.Any` with readable errors for what cannot be unpacked. */
import { fromBinary, type DescMessage, type Message, type MessageShape, type Registry } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { typeNameOf, typeUrlOf, xdsRegistry } from './type-urls';

/** An Any that cannot be unpacked: empty or malformed type URL, bytes that do not decode, wrong type. */
export class AnyUnpackError extends Error {
  override name = 'AnyUnpackError';
  constructor(
    message: string,
    /** The offending type URL (as received). */
    readonly typeUrl: string,
  ) {
    super(message);
  }
}

/** An Any whose type URL names a message that is not in the registry. */
export class UnknownTypeUrlError extends AnyUnpackError {
  override name = 'UnknownTypeUrlError';
}

/** Wraps a message in an Any with type URL `type.googleapis.com/<full name>`. */
export function packAny<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Any {
  return anyPack(schema, message);
}

function nameOrThrow(any: Any): string {
  try {
    return typeNameOf(any.typeUrl);
  } catch (err) {
    throw new AnyUnpackError(`cannot unpack Any: ${(err as Error).message}`, any.typeUrl);
  }
}

function decode<Desc extends DescMessage>(schema: Desc, any: Any): MessageShape<Desc> {
  try {
    return fromBinary(schema, any.value);
  } catch (err) {
    throw new AnyUnpackError(`cannot unpack Any of type "${any.typeUrl}": ${(err as Error).message}`, any.typeUrl);
  }
}

/**
 * Decodes the message inside an Any, looking its type up in the registry (by default every type
 * Skein generates). Narrow the result with `isMessage(msg, Schema)` or `msg.$typeName`.
 */
export function unpackAny(any: Any, registry: Registry = xdsRegistry): Message {
  const name = nameOrThrow(any);
  const schema = registry.getMessage(name);
  if (!schema) {
    throw new UnknownTypeUrlError(`cannot unpack Any: unknown type URL "${any.typeUrl}" (${name} is not a message type Skein knows)`, any.typeUrl);
  }
  return decode(schema, any);
}

/** Decodes an Any that must hold `schema`; throws if it holds anything else. */
export function unpackAnyAs<Desc extends DescMessage>(any: Any, schema: Desc): MessageShape<Desc> {
  const name = nameOrThrow(any);
  if (name !== schema.typeName) {
    throw new AnyUnpackError(`cannot unpack Any: expected type URL "${typeUrlOf(schema)}", got "${any.typeUrl}"`, any.typeUrl);
  }
  return decode(schema, any);
}
