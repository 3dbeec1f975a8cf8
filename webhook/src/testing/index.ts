/** Test helpers shared by the webhook's tests (not used at run time). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultInjectionConfig, type InjectionConfig, parseInjectionConfig } from '../core/config';

/** A fixed config for golden files: they must not change with the package version. */
export function testConfig(overrides: Record<string, unknown> = {}): InjectionConfig {
  return parseInjectionConfig({ image: 'skein:test', version: '0.0.0-test', ...overrides }, defaultInjectionConfig('0.0.0-test'));
}

/** A self-signed serving certificate for localhost/127.0.0.1 made by openssl, in `dir`. */
export function makeServingCert(dir: string, name: string, commonName = 'skein-webhook-test'): { certFile: string; keyFile: string; certPem: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}
