/**
 * The CA directory on disk (`skein ca init --dir DIR`), laid out like Istio's `cacerts` Secret so
 * that a Secret mount works unchanged:
 *   ca-cert.pem         the signing CA certificate (the root itself for a self-signed CA)
 *   ca-key.pem          its private key (0600)
 *   cert-chain.pem      ca-cert's issuers up to and including the root (may start with ca-cert)
 *   root-cert.pem       trust bundle: every trusted root; append a new root here to rotate
 *   join-token-key.pem  ES256 key that signs join tokens for local mode (0600, optional)
 *   skein-ca.json       { "trustDomain": "…" }
 * Loading validates everything (see core/authority.ts) and fails with the reason.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DefaultTrustDomain } from '../../../api/src/names';
import { validateTrustDomain } from '../../../api/src/spiffe';
import { assembleAuthority, type AuthorityPem, type SigningAuthority } from '../core/authority';
import { importJoinTokenKey, type JoinTokenKey } from '../core/join-token';
import { exportPrivateKeyPem, generateKeyPair, type KeyType } from '../core/keys';
import { createSelfSignedRoot } from '../core/root';

export const CaFiles = {
  caCert: 'ca-cert.pem',
  caKey: 'ca-key.pem',
  certChain: 'cert-chain.pem',
  rootCert: 'root-cert.pem',
  joinTokenKey: 'join-token-key.pem',
  config: 'skein-ca.json',
} as const;

const secretFiles = new Set<string>([CaFiles.caKey, CaFiles.joinTokenKey]);

export class CaDirError extends Error {
  override name = 'CaDirError';
}

/** PEM files of a CA made elsewhere (an intermediate under the organisation's root). */
export interface PluggedInCa {
  caCertPem: string;
  caKeyPem: string;
  certChainPem: string;
  rootCertPem: string;
}

export interface InitOptions {
  trustDomain?: string;
  keyType?: KeyType;
  /** Overwrite an existing CA in the directory. */
  force?: boolean;
  pluggedIn?: PluggedInCa;
  now?: Date;
}

export interface LoadedCa {
  dir: string;
  authority: SigningAuthority;
  joinTokenKey?: JoinTokenKey;
}

/** Writes a file with the given mode, via a temporary file and rename so readers never see half. */
function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

export function caDirExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, CaFiles.caCert)) || fs.existsSync(path.join(dir, CaFiles.caKey));
}

/** Creates a CA in `dir` (self-signed root, or the plugged-in CA after validating it). */
export async function initCaDir(dir: string, options: InitOptions = {}): Promise<LoadedCa> {
  const now = options.now ?? new Date();
  const trustDomain = validateTrustDomain(options.trustDomain ?? DefaultTrustDomain);
  if (caDirExists(dir) && !options.force) throw new CaDirError(`${dir} already holds a CA (${CaFiles.caCert}); pass --force to replace it`);
  let pem: AuthorityPem;
  if (options.pluggedIn) {
    const p = options.pluggedIn;
    pem = { trustDomain, caCertPem: p.caCertPem, caKeyPem: p.caKeyPem, certChainPem: p.certChainPem, rootBundlePem: p.rootCertPem };
  } else {
    const root = await createSelfSignedRoot({ keyType: options.keyType ?? 'ec', trustDomain, now, randomBytes: (n) => randomBytes(n) });
    pem = { trustDomain, caCertPem: root.certPem, caKeyPem: root.keyPem, certChainPem: root.certPem, rootBundlePem: root.certPem };
  }
  const authority = await assembleAuthority(pem, now); // validate before anything is written
  const tokenKeyPem = await exportPrivateKeyPem((await generateKeyPair('ec', true)).privateKey);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: Record<string, string> = {
    [CaFiles.caKey]: pem.caKeyPem,
    [CaFiles.caCert]: pem.caCertPem,
    [CaFiles.certChain]: pem.certChainPem,
    [CaFiles.rootCert]: pem.rootBundlePem,
    [CaFiles.joinTokenKey]: tokenKeyPem + '\n',
    [CaFiles.config]: JSON.stringify({ trustDomain }, null, 2) + '\n',
  };
  for (const [name, data] of Object.entries(files)) writeFileAtomic(path.join(dir, name), data, secretFiles.has(name) ? 0o600 : 0o644);
  return { dir, authority, joinTokenKey: await importJoinTokenKey(tokenKeyPem) };
}

function readRequired(dir: string, name: string): string {
  const file = path.join(dir, name);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaDirError(code === 'ENOENT' ? `${file} not found; run 'skein ca init --dir ${dir}' first` : `cannot read ${file}: ${(err as Error).message}`);
  }
}

function readTrustDomain(dir: string): string {
  const text = readRequired(dir, CaFiles.config);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new CaDirError(`${path.join(dir, CaFiles.config)}: not JSON: ${(err as Error).message}`);
  }
  const td = (config as { trustDomain?: unknown }).trustDomain;
  if (typeof td !== 'string') throw new CaDirError(`${path.join(dir, CaFiles.config)}: "trustDomain" (string) is required`);
  return validateTrustDomain(td);
}

/** Loads and validates the CA in `dir`. The join token key is optional (Kubernetes mode). */
export async function loadCaDir(dir: string, now: Date = new Date()): Promise<LoadedCa> {
  const pem: AuthorityPem = {
    trustDomain: readTrustDomain(dir),
    caCertPem: readRequired(dir, CaFiles.caCert),
    caKeyPem: readRequired(dir, CaFiles.caKey),
    certChainPem: fs.existsSync(path.join(dir, CaFiles.certChain)) ? readRequired(dir, CaFiles.certChain) : '',
    rootBundlePem: readRequired(dir, CaFiles.rootCert),
  };
  let authority: SigningAuthority;
  try {
    authority = await assembleAuthority(pem, now);
  } catch (err) {
    throw new CaDirError(`invalid CA in ${dir}: ${(err as Error).message}`);
  }
  const tokenKeyFile = path.join(dir, CaFiles.joinTokenKey);
  const joinTokenKey = fs.existsSync(tokenKeyFile) ? await importJoinTokenKey(readRequired(dir, CaFiles.joinTokenKey)) : undefined;
  return { dir, authority, ...(joinTokenKey ? { joinTokenKey } : {}) };
}
