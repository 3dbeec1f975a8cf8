import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { decodeCreateCertificateRequest, decodeCreateCertificateResponse, encodeCreateCertificateRequest, encodeCreateCertificateResponse } from './codec';

describe('CA wire codec (api/proto/skein/ca/v1/ca.proto)', () => {
  it.each([
    [{ csr: '-----BEGIN CERTIFICATE REQUEST-----\n…', validitySeconds: 86_400 }],
    [{ csr: 'x', validitySeconds: 0 }],
    [{ csr: '', validitySeconds: 0 }],
    [{ csr: 'x', validitySeconds: -5 }],
  ])('request round-trips %j', (m) => expect(decodeCreateCertificateRequest(encodeCreateCertificateRequest(m))).toEqual(m));

  it('response round-trips, keeping order', () => {
    const m = { certChain: ['leaf', 'intermediate', 'root'] };
    expect(decodeCreateCertificateResponse(encodeCreateCertificateResponse(m))).toEqual(m);
    expect(decodeCreateCertificateResponse(new Uint8Array())).toEqual({ certChain: [] });
  });

  it('matches the protobuf encoding byte for byte (field 1 string, field 2 int64 varint)', () => {
    expect(Buffer.from(encodeCreateCertificateRequest({ csr: 'ab', validitySeconds: 300 })).toString('hex')).toBe('0a026162' + '10ac02');
    expect(Buffer.from(encodeCreateCertificateResponse({ certChain: ['a', 'b'] })).toString('hex')).toBe('0a0161' + '0a0162');
  });

  it('skips unknown fields (forward compatibility)', () => {
    const bytes = new BinaryWriter().tag(9, WireType.Varint).uint32(7).tag(1, WireType.LengthDelimited).string('csr').tag(10, WireType.LengthDelimited).string('x').finish();
    expect(decodeCreateCertificateRequest(bytes)).toEqual({ csr: 'csr', validitySeconds: 0 });
  });

  it.each([
    ['truncated', Uint8Array.from([0x0a, 0x05, 0x61]), /malformed CreateCertificateRequest/],
    ['wrong wire type for csr', new BinaryWriter().tag(1, WireType.Varint).uint32(1).finish(), /field 1: wire type 0, expected 2/],
    ['validity out of range', new BinaryWriter().tag(2, WireType.Varint).int64('9007199254740993').finish(), /out of range/],
  ])('refuses %s input with a clear error', (_n, bytes, message) => {
    expect(() => decodeCreateCertificateRequest(bytes)).toThrow(message);
  });
});
