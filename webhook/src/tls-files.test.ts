// The webhook's file-based serving certificate: a pair that is expired or does not match is refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeyPair, webhookTlsFloor } from './tls-files';
import { makeServingCert } from './testing';

describe('loadKeyPair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-tls-files-'));
  const a = makeServingCert(dir, 'a');
  const b = makeServingCert(dir, 'b');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a matching, current pair with the mesh TLS floor (TLS 1.2+, AEAD suites only)', () => {
    expect(loadKeyPair(a)).toMatchObject({ minVersion: 'TLSv1.2', ciphers: expect.stringMatching(/^ECDHE-ECDSA-AES128-GCM-SHA256:/) });
    expect(webhookTlsFloor.ciphers).not.toMatch(/CBC|SHA1|CCM|ARIA|-SHA:/);
  });

  it('refuses a certificate that has expired', () => {
    expect(() => loadKeyPair(a, new Date('2999-01-01T00:00:00Z'))).toThrow(/: the certificate expired at /);
  });

  it('refuses a key that does not match', () => {
    expect(() => loadKeyPair({ certFile: a.certFile, keyFile: b.keyFile })).toThrow();
  });
});
