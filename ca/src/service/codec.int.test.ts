// The hand-written codec against the real schema: buf compiles api/proto/skein/ca/v1/ca.proto and
// @bufbuild/protobuf's reflection encodes/decodes with it; both directions must agree byte for byte.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { create, createFileRegistry, type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { decodeCreateCertificateRequest, decodeCreateCertificateResponse, encodeCreateCertificateRequest, encodeCreateCertificateResponse } from './codec';

const root = path.join(__dirname, '..', '..', '..');

describe('codec follows api/proto/skein/ca/v1/ca.proto', () => {
  let request: DescMessage;
  let response: DescMessage;
  beforeAll(() => {
    const buf = path.join(root, 'node_modules', '.bin', 'buf');
    const bytes = execFileSync(buf, ['build', 'api/proto', '--path', 'api/proto/skein/ca/v1/ca.proto', '-o', '-'], { cwd: root, timeout: 60_000 });
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
    request = registry.getMessage('skein.ca.v1.CreateCertificateRequest')!;
    response = registry.getMessage('skein.ca.v1.CreateCertificateResponse')!;
    expect(registry.getService('skein.ca.v1.CertificateService')?.methods.map((m) => m.name)).toEqual(['CreateCertificate']);
  }, 90_000);

  it.each([
    { csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n', validitySeconds: 86_400 },
    { csr: 'x', validitySeconds: 0 },
    { csr: '', validitySeconds: -1 },
  ])('CreateCertificateRequest %j', (m) => {
    const theirs = toBinary(request, create(request, { csr: m.csr, validitySeconds: BigInt(m.validitySeconds) }));
    expect(Buffer.from(encodeCreateCertificateRequest(m))).toEqual(Buffer.from(theirs));
    expect(decodeCreateCertificateRequest(theirs)).toEqual(m);
  });

  it.each([[[]], [['leaf']], [['leaf', 'intermediate', 'root']]])('CreateCertificateResponse %j', (certChain) => {
    const theirs = toBinary(response, create(response, { certChain }));
    expect(Buffer.from(encodeCreateCertificateResponse({ certChain }))).toEqual(Buffer.from(theirs));
    expect(decodeCreateCertificateResponse(theirs)).toEqual({ certChain });
  });
});
