/**
 * Wire codec for the two messages of api/proto/skein/ca/v1/ca.proto, written by hand with
 * @bufbuild/protobuf's BinaryWriter/BinaryReader until generated code exists. It follows that
 * .proto exactly (field numbers and types below); unknown fields are skipped, as protobuf requires.
 *   CreateCertificateRequest  { string csr = 1; int64 validity_seconds = 2; }
 *   CreateCertificateResponse { repeated string cert_chain = 1; }
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** Full method name of CertificateService.CreateCertificate. */
export const createCertificatePath = '/skein.ca.v1.CertificateService/CreateCertificate';

export interface CreateCertificateRequest {
  csr: string;
  validitySeconds: number;
}

export interface CreateCertificateResponse {
  certChain: string[];
}

export class CodecError extends Error {
  override name = 'CodecError';
}

function expectWireType(field: number, got: WireType, want: WireType): void {
  if (got !== want) throw new CodecError(`field ${field}: wire type ${got}, expected ${want}`);
}

function read<T>(bytes: Uint8Array, what: string, onField: (reader: BinaryReader, field: number, wireType: WireType) => boolean, result: T): T {
  const reader = new BinaryReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (!onField(reader, field, wireType)) reader.skip(wireType, field);
    }
  } catch (err) {
    if (err instanceof CodecError) throw err;
    throw new CodecError(`malformed ${what}: ${(err as Error).message}`);
  }
  return result;
}

export function encodeCreateCertificateRequest(m: CreateCertificateRequest): Uint8Array {
  const w = new BinaryWriter();
  if (m.csr !== '') w.tag(1, WireType.LengthDelimited).string(m.csr);
  if (m.validitySeconds !== 0) w.tag(2, WireType.Varint).int64(m.validitySeconds);
  return w.finish();
}

export function decodeCreateCertificateRequest(bytes: Uint8Array): CreateCertificateRequest {
  const m: CreateCertificateRequest = { csr: '', validitySeconds: 0 };
  return read(bytes, 'CreateCertificateRequest', (r, field, wt) => {
    if (field === 1) {
      expectWireType(field, wt, WireType.LengthDelimited);
      m.csr = r.string();
    } else if (field === 2) {
      expectWireType(field, wt, WireType.Varint);
      const v = BigInt(r.int64());
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new CodecError(`validity_seconds ${v} is out of range`);
      m.validitySeconds = Number(v);
    } else return false;
    return true;
  }, m);
}

export function encodeCreateCertificateResponse(m: CreateCertificateResponse): Uint8Array {
  const w = new BinaryWriter();
  for (const pem of m.certChain) w.tag(1, WireType.LengthDelimited).string(pem);
  return w.finish();
}

export function decodeCreateCertificateResponse(bytes: Uint8Array): CreateCertificateResponse {
  const m: CreateCertificateResponse = { certChain: [] };
  return read(bytes, 'CreateCertificateResponse', (r, field, wt) => {
    if (field !== 1) return false;
    expectWireType(field, wt, WireType.LengthDelimited);
    m.certChain.push(r.string());
    return true;
  }, m);
}
