/**
 * `skein ca …`: make a CA, issue certificates and join tokens, run a standalone CA server.
 * Output is meant for people and scripts: results on stdout, diagnostics on stderr, exit 0/1/2.
 * What `skein help` loads: key handling, the store and the gRPC server load when a command runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type Command, type CommandIo, UsageError, usageErrors } from '../../api/src/command';
import { formatDuration, parseDuration } from '../../api/src/duration';
import { ControlPlanePorts, DefaultTrustDomain } from '../../api/src/names';
import { parseSpiffeId } from '../../api/src/spiffe';
import type * as JoinTokenAuth from './auth/join-token';
import type * as Csr from './client/csr';
import type * as Keys from './core/keys';
import type * as Pem from './core/pem';
import { defaultValidityPolicy } from './core/validity';
import type * as X509 from './core/x509';
import { defaultIssuanceLimits, formatRateLimit, type IssuanceLimits, parseRateLimit } from './core/rate-limit';
import type * as CaServer from './service/ca-server';
import type * as LiveCaModule from './service/live-ca';
import type * as CaDir from './store/ca-dir';
import type * as CaDirWatch from './store/ca-dir-watch';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: keys, store and gRPC only when a command runs */
const load = {
  joinToken: () => require('./auth/join-token') as typeof JoinTokenAuth,
  csr: () => require('./client/csr') as typeof Csr,
  keys: () => require('./core/keys') as typeof Keys,
  pem: () => require('./core/pem') as typeof Pem,
  x509: () => (require('./core/x509') as typeof X509).x509,
  server: () => require('./service/ca-server') as typeof CaServer,
  liveCa: () => require('./service/live-ca') as typeof LiveCaModule,
  dir: () => require('./store/ca-dir') as typeof CaDir,
  dirWatch: () => require('./store/ca-dir-watch') as typeof CaDirWatch,
};
/* eslint-enable @typescript-eslint/no-require-imports */

type Options = NonNullable<ParseArgsConfig['options']>;

function flags<O extends Options>(args: string[], options: O) {
  return usageErrors(() => parseArgs({ args, options, strict: true, allowPositionals: false }).values);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function duration(value: string | undefined, flag: string, fallback: number): number {
  return value === undefined ? fallback : usageErrors(() => parseDuration(value), flag);
}

function keyType(value: string | undefined) {
  return usageErrors(() => load.keys().parseKeyType(value ?? 'ec'), '--key-type');
}

function readInput(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as Error).message}`);
  }
}

const initUsage = () => `Usage: skein ca init --dir DIR [--trust-domain TD] [--key-type ec|rsa] [--force]
       skein ca init --dir DIR --ca-cert FILE --ca-key FILE --cert-chain FILE --root-cert FILE [--trust-domain TD] [--force]

Creates a CA in DIR (keys 0600). Without --ca-* flags: a new self-signed root valid 10 years
(ECDSA P-256 by default, --key-type rsa for RSA 2048). With them: plugs in an intermediate CA made
elsewhere (same files as Istio's cacerts): --ca-cert the intermediate, --ca-key its key,
--cert-chain its issuers up to the root, --root-cert the trust bundle (one or more roots).
Everything is validated (key matches, CA:true, chain links, anchored in the bundle) before anything
is written. Refuses to replace an existing CA unless --force.
Also writes ${load.dir().CaFiles.joinTokenKey}, the key that signs join tokens (skein ca token).
  --trust-domain   SPIFFE trust domain (default ${DefaultTrustDomain})`;

const initCommand: Command = {
  path: ['ca', 'init'],
  summary: 'create a CA (self-signed root or plugged-in intermediate)',
  get usage() {
    return initUsage();
  },
  async run(args, io) {
    const f = flags(args, {
      dir: { type: 'string' }, 'trust-domain': { type: 'string' }, 'key-type': { type: 'string' }, force: { type: 'boolean' },
      'ca-cert': { type: 'string' }, 'ca-key': { type: 'string' }, 'cert-chain': { type: 'string' }, 'root-cert': { type: 'string' },
    });
    const dir = required(f.dir, '--dir');
    const plugFlags = ['ca-cert', 'ca-key', 'cert-chain', 'root-cert'] as const;
    const given = plugFlags.filter((k) => f[k] !== undefined);
    if (given.length > 0 && given.length < plugFlags.length) {
      throw new UsageError(`plugging in a CA needs all of --ca-cert, --ca-key, --cert-chain, --root-cert (missing: ${plugFlags.filter((k) => f[k] === undefined).map((k) => `--${k}`).join(', ')})`);
    }
    if (given.length > 0 && f['key-type'] !== undefined) throw new UsageError('--key-type applies only to a new self-signed root');
    const pluggedIn = given.length > 0
      ? { caCertPem: readInput(f['ca-cert']!, '--ca-cert'), caKeyPem: readInput(f['ca-key']!, '--ca-key'), certChainPem: readInput(f['cert-chain']!, '--cert-chain'), rootCertPem: readInput(f['root-cert']!, '--root-cert') }
      : undefined;
    const ca = await load.dir().initCaDir(dir, { trustDomain: f['trust-domain'] ?? DefaultTrustDomain, keyType: keyType(f['key-type']), force: f.force === true, ...(pluggedIn ? { pluggedIn } : {}) });
    const caCert = ca.authority.chain[0]!;
    io.stdout.write(`CA ready in ${dir}: ${pluggedIn ? 'plugged-in intermediate' : 'self-signed root'} "${caCert.subject}", ${ca.authority.keyType === 'ec' ? 'ECDSA P-256' : 'RSA'}, trust domain ${ca.authority.trustDomain}, valid until ${caCert.notAfter.toISOString()}\n`);
    return 0;
  },
};

const issueUsage = `Usage: skein ca issue --dir DIR --spiffe-id ID --out DIR [--ttl 24h] [--key-type ec|rsa] [--force]

Issues a workload certificate for ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>, in the CA's trust
domain). Writes to the --out directory: cert.pem (leaf, then intermediates), key.pem (0600, made
here), root.pem (trust bundle). --ttl default ${formatDuration(defaultValidityPolicy.defaultTtlMs)}, at most ${formatDuration(defaultValidityPolicy.maxTtlMs)}.
Refuses to overwrite existing files unless --force.`;

const issueCommand: Command = {
  path: ['ca', 'issue'],
  summary: 'issue a workload certificate to files',
  usage: issueUsage,
  async run(args, io) {
    const f = flags(args, { dir: { type: 'string' }, 'spiffe-id': { type: 'string' }, out: { type: 'string' }, ttl: { type: 'string' }, 'key-type': { type: 'string' }, force: { type: 'boolean' } });
    const dir = required(f.dir, '--dir');
    const out = required(f.out, '--out');
    const idText = required(f['spiffe-id'], '--spiffe-id');
    const id = usageErrors(() => parseSpiffeId(idText), '--spiffe-id');
    const ttlMs = duration(f.ttl, '--ttl', defaultValidityPolicy.defaultTtlMs);
    const type = keyType(f['key-type']);
    const ca = await load.dir().loadCaDir(dir);
    if (id.trustDomain !== ca.authority.trustDomain) throw new UsageError(`--spiffe-id is in trust domain ${id.trustDomain}, but this CA serves ${ca.authority.trustDomain}`);
    const files = { cert: path.join(out, 'cert.pem'), key: path.join(out, 'key.pem'), root: path.join(out, 'root.pem') };
    const existing = Object.values(files).filter((file) => fs.existsSync(file));
    if (existing.length > 0 && !f.force) throw new UsageError(`${existing.join(', ')} already exist; pass --force to overwrite`);
    const issuer = load.server().createIssuer(ca);
    const key = await load.csr().generateWorkloadKey(type);
    const issued = await issuer.issue(await load.x509().PublicKey.create(key.keys.publicKey), [{ type: 'url', value: idText }], ttlMs);
    fs.mkdirSync(out, { recursive: true, mode: 0o700 });
    fs.writeFileSync(files.key, key.privateKeyPem + '\n', { mode: 0o600 });
    fs.chmodSync(files.key, 0o600);
    fs.writeFileSync(files.cert, load.pem().joinPem(issued.chainPem.slice(0, -1)), { mode: 0o644 });
    fs.writeFileSync(files.root, issuer.trustBundlePem(), { mode: 0o644 });
    io.stdout.write(`issued ${idText} serial ${issued.serialNumber} valid until ${issued.notAfter.toISOString()}: ${files.cert}, ${files.key}, ${files.root}\n`);
    return 0;
  },
};

const tokenUsage = `Usage: skein ca token --dir DIR --namespace NS --service-account SA [--ttl 1h]

Prints a join token (local mode) proving the workload NS/SA to this CA: an ES256-signed token with
audience skein-ca. Whoever holds it can get certificates for that identity until it expires; hand
it over like a password. --ttl default 1h, at most 365d.`;

const tokenCommand: Command = {
  path: ['ca', 'token'],
  summary: 'print a join token for a workload (local mode)',
  usage: tokenUsage,
  async run(args, io) {
    const f = flags(args, { dir: { type: 'string' }, namespace: { type: 'string' }, 'service-account': { type: 'string' }, ttl: { type: 'string' } });
    const dir = required(f.dir, '--dir');
    const namespace = required(f.namespace, '--namespace');
    const serviceAccount = required(f['service-account'], '--service-account');
    const ttlMs = duration(f.ttl, '--ttl', 3_600_000);
    const ca = await load.dir().loadCaDir(dir);
    if (!ca.joinTokenKey) throw new Error(`${path.join(dir, load.dir().CaFiles.joinTokenKey)} not found: this CA cannot mint join tokens (re-run skein ca init)`);
    let token: string;
    try {
      token = await load.joinToken().mintJoinToken(ca.joinTokenKey, { namespace, serviceAccount, ttlMs, now: new Date() });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    io.stdout.write(`${token}\n`);
    return 0;
  },
};

const bundleUsage = () => `Usage: skein ca bundle --dir DIR --add FILE
       skein ca bundle --dir DIR --remove FILE

Root rotation, steps 1 and 3: adds the root certificate(s) in FILE to the trust bundle
(DIR/${load.dir().CaFiles.rootCert}), or removes them. Removing is refused while the CA still signs under a
root being removed. A running control plane or CA server reloads the directory; hand the new
${load.dir().CaFiles.rootCert} to every workload (the skein-root-cert ConfigMap, the proxies' root file) too.`;

const bundleCommand: Command = {
  path: ['ca', 'bundle'],
  summary: 'add roots to the trust bundle or remove them (root rotation)',
  get usage() {
    return bundleUsage();
  },
  async run(args, io) {
    const f = flags(args, { dir: { type: 'string' }, add: { type: 'string' }, remove: { type: 'string' } });
    const dir = required(f.dir, '--dir');
    if ((f.add === undefined) === (f.remove === undefined)) throw new UsageError('give exactly one of --add FILE or --remove FILE');
    const adding = f.add !== undefined;
    const file = adding ? f.add! : f.remove!;
    const pem = readInput(file, adding ? '--add' : '--remove');
    const n = adding ? await load.dir().addTrustedRoots(dir, pem) : await load.dir().removeTrustedRoots(dir, pem);
    const roots = (await load.dir().loadCaDir(dir)).authority.roots.length;
    io.stdout.write(`${n === 0 ? 'nothing to do' : `${adding ? 'added' : 'removed'} ${n} root${n === 1 ? '' : 's'}`}: the trust bundle in ${dir} holds ${roots} root${roots === 1 ? '' : 's'}\n`);
    return 0;
  },
};

const switchUsage = `Usage: skein ca switch --dir DIR --from NEWDIR

Root rotation, step 2: the CA in DIR signs with NEWDIR's CA certificate and key from now on (made
with skein ca init --dir NEWDIR, a new root or a plugged-in intermediate). DIR keeps its trust
bundle, join token key and trust domain. Refused unless NEWDIR's root is already in DIR's trust
bundle (skein ca bundle --add first, and wait until every workload has it).`;

const switchCommand: Command = {
  path: ['ca', 'switch'],
  summary: 'sign with another CA certificate whose root is already trusted (root rotation)',
  usage: switchUsage,
  async run(args, io) {
    const f = flags(args, { dir: { type: 'string' }, from: { type: 'string' } });
    const dir = required(f.dir, '--dir');
    const from = required(f.from, '--from');
    const authority = await load.dir().switchSigner(dir, from);
    io.stdout.write(`${dir} now signs with "${authority.chain[0]!.subject}" (valid until ${authority.chain[0]!.notAfter.toISOString()}); the trust bundle holds ${authority.roots.length} roots\n`);
    return 0;
  },
};

const serveUsage = () => `Usage: skein ca serve --dir DIR [--host 127.0.0.1] [--port ${ControlPlanePorts.xds}] [--dns-name NAME]... [--max-ttl 90d] [--default-ttl 24h]
                      [--identity-limit ${formatRateLimit(defaultIssuanceLimits.perIdentity)}] [--global-limit ${formatRateLimit(defaultIssuanceLimits.global)}]

Serves skein.ca.v1.CertificateService over gRPC with TLS. First certificates: join tokens from
skein ca token; renewals: the caller's current certificate over mTLS. The serving certificate is
issued by this CA for --dns-name (default: ${load.server().defaultCaDnsNames.join(', ')}) and the --host address,
renewed at half its lifetime; clients verify it with root-cert.pem. DIR is reloaded when it
changes (root rotation). Issuance is rate limited per identity and in total (RATE/UNIT:BURST,
UNIT s, m or h; refusals are RESOURCE_EXHAUSTED). Runs until SIGINT/SIGTERM. Logs issued and
refused requests (never credentials) on stderr.`;

/** The two issuance limit flags (`--identity-limit`, `--global-limit`, or with `prefix` `--ca-…`); defaults when unset. */
export function issuanceLimits(identity: string | undefined, global: string | undefined, prefix = '--'): IssuanceLimits {
  return {
    perIdentity: identity === undefined ? defaultIssuanceLimits.perIdentity : usageErrors(() => parseRateLimit(identity), `${prefix}identity-limit`),
    global: global === undefined ? defaultIssuanceLimits.global : usageErrors(() => parseRateLimit(global), `${prefix}global-limit`),
  };
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** `skein ca serve` until `untilStopped()` resolves (the command waits for SIGINT/SIGTERM; tests pass their own). */
export async function serveCa(args: string[], io: CommandIo, untilStopped: () => Promise<string>): Promise<number> {
  const f = flags(args, {
    dir: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'dns-name': { type: 'string', multiple: true }, 'max-ttl': { type: 'string' }, 'default-ttl': { type: 'string' },
    'identity-limit': { type: 'string' }, 'global-limit': { type: 'string' },
  });
  const dir = required(f.dir, '--dir');
  const port = Number(f.port ?? ControlPlanePorts.xds);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: "${f.port}" is not a port number`);
  const policy = { ...defaultValidityPolicy, maxTtlMs: duration(f['max-ttl'], '--max-ttl', defaultValidityPolicy.maxTtlMs), defaultTtlMs: duration(f['default-ttl'], '--default-ttl', defaultValidityPolicy.defaultTtlMs) };
  if (policy.defaultTtlMs > policy.maxTtlMs) throw new UsageError('--default-ttl must not exceed --max-ttl');
  const limits = issuanceLimits(f['identity-limit'], f['global-limit']);
  const { LiveCa } = load.liveCa();
  const live = new LiveCa(await load.dir().loadCaDir(dir), { policy });
  const host = f.host ?? '127.0.0.1';
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const server = await load.server().startCaServer({
    ca: live,
    host,
    port,
    limits,
    log,
    ...(f['dns-name'] ? { dnsNames: f['dns-name'] } : {}),
    onEvent: (e) => log(e.type === 'issued' ? `issued ${e.spiffeId} serial ${e.serialNumber} until ${e.notAfter} (${e.authenticator})` : `refused (code ${e.code}): ${e.reason}`),
  });
  const watch = load.dirWatch().watchCaDir(dir, live, { log });
  io.stdout.write(`skein CA (trust domain ${live.trustDomain}) listening on ${host}:${server.port}\n`);
  const reason = await untilStopped();
  io.stderr.write(`${reason}: shutting down\n`);
  watch.stop();
  await server.close();
  return 0;
}

const serveCommand: Command = {
  path: ['ca', 'serve'],
  summary: 'run a standalone CA gRPC server (local mode)',
  get usage() {
    return serveUsage();
  },
  run: (args, io) => serveCa(args, io, waitForSignal),
};

const subcommands = [initCommand, issueCommand, tokenCommand, bundleCommand, switchCommand, serveCommand];

const groupUsage = `Usage: skein ca <command> [options]

The built-in certificate authority (SPIFFE identities spiffe://<trust-domain>/ns/<ns>/sa/<sa>).

Commands:
${subcommands.map((c) => `  skein ${c.path.join(' ').padEnd(13)} ${c.summary}`).join('\n')}

Run 'skein ca <command> --help' for a command's options.`;

const groupCommand: Command = {
  path: ['ca'],
  summary: 'the built-in certificate authority (init, issue, token, bundle, switch, serve)',
  usage: groupUsage,
  run(args) {
    return Promise.reject(new UsageError(args.length === 0 ? 'a ca command is required' : `unknown ca command "${args[0]}"`));
  },
};

export const caCommands: Command[] = [groupCommand, ...subcommands];
