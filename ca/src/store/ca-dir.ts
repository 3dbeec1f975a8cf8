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
import { joinPem, parseCertificates } from '../core/pem';
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
  const pem = readPem(dir);
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

/**
 * Root rotation, step by step on a CA directory (ca/README.md "Root rotation"): every step is
 * validated as a whole before anything is written, and the step that would cause an outage is
 * refused.
 */
function readPem(dir: string): AuthorityPem {
  return {
    trustDomain: readTrustDomain(dir),
    caCertPem: readRequired(dir, CaFiles.caCert),
    caKeyPem: readRequired(dir, CaFiles.caKey),
    certChainPem: fs.existsSync(path.join(dir, CaFiles.certChain)) ? readRequired(dir, CaFiles.certChain) : '',
    rootBundlePem: readRequired(dir, CaFiles.rootCert),
  };
}

async function validated(dir: string, pem: AuthorityPem, now: Date): Promise<SigningAuthority> {
  try {
    return await assembleAuthority(pem, now);
  } catch (err) {
    throw new CaDirError(`refused, ${dir} is unchanged: ${(err as Error).message}`);
  }
}

/** Step 1: adds the roots in `rootsPem` to the trust bundle (root-cert.pem). Returns how many were new. */
export async function addTrustedRoots(dir: string, rootsPem: string, now: Date = new Date()): Promise<number> {
  const pem = readPem(dir);
  const current = parseCertificates(pem.rootBundlePem, CaFiles.rootCert);
  const added = parseCertificates(rootsPem, 'new roots').filter((r, i, all) => !current.some((c) => c.equal(r)) && all.findIndex((o) => o.equal(r)) === i);
  for (const root of added) {
    if (!(await root.isSelfSigned())) throw new CaDirError(`refused, ${dir} is unchanged: "${root.subject}" is not a self-signed root certificate`);
  }
  if (added.length === 0) return 0;
  const bundle = joinPem([...current, ...added]);
  await validated(dir, { ...pem, rootBundlePem: bundle }, now);
  writeFileAtomic(path.join(dir, CaFiles.rootCert), bundle, 0o644);
  return added.length;
}

/** Step 3: removes the roots in `rootsPem` from the bundle; refused while the CA still signs under one of them. */
export async function removeTrustedRoots(dir: string, rootsPem: string, now: Date = new Date()): Promise<number> {
  const pem = readPem(dir);
  const current = parseCertificates(pem.rootBundlePem, CaFiles.rootCert);
  const removed = parseCertificates(rootsPem, 'roots to remove');
  const kept = current.filter((c) => !removed.some((r) => r.equal(c)));
  if (kept.length === current.length) return 0;
  if (kept.length === 0) throw new CaDirError(`refused, ${dir} is unchanged: that would leave the trust bundle empty`);
  const authority = await validated(dir, { ...pem, rootBundlePem: joinPem(kept) }, now).catch(() => {
    throw new CaDirError(`refused, ${dir} is unchanged: the CA still signs under a root being removed; switch the signer first (skein ca switch) and wait one certificate lifetime`);
  });
  writeFileAtomic(path.join(dir, CaFiles.rootCert), joinPem(authority.roots), 0o644);
  return current.length - kept.length;
}

/**
 * Step 2: the CA in `dir` signs with the CA certificate and key of `fromDir` from now on (trust
 * bundle, join token key and trust domain of `dir` stay). Refused unless the new chain's root is
 * already in `dir`'s trust bundle: workloads must trust the new root before anything is signed
 * under it (linkerd#4287).
 */
export async function switchSigner(dir: string, fromDir: string, now: Date = new Date()): Promise<SigningAuthority> {
  const pem = readPem(dir);
  const next = readPem(fromDir);
  if (next.trustDomain !== pem.trustDomain) throw new CaDirError(`refused, ${dir} is unchanged: ${fromDir} is for trust domain ${next.trustDomain}, ${dir} for ${pem.trustDomain}`);
  const nextAuthority = await validated(fromDir, next, now);
  const top = nextAuthority.chain[nextAuthority.chain.length - 1]!;
  if (!parseCertificates(pem.rootBundlePem, CaFiles.rootCert).some((r) => r.equal(top))) {
    throw new CaDirError(`refused, ${dir} is unchanged: the root of ${fromDir} ("${top.subject}") is not in ${path.join(dir, CaFiles.rootCert)} yet; add it first (skein ca bundle --dir ${dir} --add ${path.join(fromDir, CaFiles.rootCert)}) and wait until every workload has the new bundle`);
  }
  const authority = await validated(dir, { ...pem, caCertPem: next.caCertPem, caKeyPem: next.caKeyPem, certChainPem: next.certChainPem }, now);
  writeFileAtomic(path.join(dir, CaFiles.certChain), next.certChainPem, 0o644);
  writeFileAtomic(path.join(dir, CaFiles.caCert), next.caCertPem, 0o644);
  writeFileAtomic(path.join(dir, CaFiles.caKey), next.caKeyPem, 0o600);
  return authority;
}
