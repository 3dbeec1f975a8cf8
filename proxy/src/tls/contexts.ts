/**
 * TLS material from the IdentityProvider: ONE shared client `tls.SecureContext` per identity (a
 * per-connection cert/key/ca costs ~1.6 ms CPU), and the server-side `tls.Server`s that terminate
 * inbound mTLS, all rebuilt when the certificate rotates. Live connections keep the context they
 * were made with, so rotation drops nothing. Secrets `default` and `ROOTCA` resolve here.
 */
import crypto from 'node:crypto';
import tls from 'node:tls';
import type { IdentityProvider, WorkloadCertificate } from '../../../api/src/identity';
import { tryParseSpiffeId } from '../../../api/src/spiffe';
import { TlsFloor } from '../../../api/src/tls-floor';

export interface PeerIdentity {
  /** `spiffe://…` of the peer, if its certificate carries one. */
  spiffeId?: string;
  namespace?: string;
  /** sha256 of the peer certificate (DER), lower-case hex, for XFCC `Hash=`. */
  certHash?: string;
}

export interface ServerTlsOptions {
  requireClientCertificate: boolean;
  alpnProtocols: readonly string[];
  handshakeTimeoutMs: number;
  /** How often the session-ticket keys are replaced (default 1 h): tickets older than that no longer resume. */
  ticketKeyRotationMs?: number;
}

/** Lifetime of the keys that encrypt TLS session tickets (Node keeps a server's keys forever otherwise). */
const DefaultTicketKeyRotationMs = 3_600_000;

export class TlsContexts {
  private cert: WorkloadCertificate | undefined;
  private clientContext: tls.SecureContext | undefined;
  private readonly servers = new Set<tls.Server>();
  private readonly unsubscribe: () => void;
  private readonly rotationListeners = new Set<() => void>();

  constructor(identity: IdentityProvider) {
    this.unsubscribe = identity.onChange((c) => this.use(c));
    const first = identity.current();
    if (first) this.use(first);
  }

  /** True once a certificate exists. */
  get ready(): boolean {
    return this.cert !== undefined;
  }
  get spiffeId(): string | undefined {
    return this.cert?.spiffeId;
  }
  get certificate(): WorkloadCertificate | undefined {
    return this.cert;
  }

  /** The shared client context (throws before the first certificate: callers map it to 503 UF). */
  clientSecureContext(): tls.SecureContext {
    if (!this.clientContext) throw Object.assign(new Error('no workload certificate yet'), { code: 'SKEIN_NO_CERT' });
    return this.clientContext;
  }

  /**
   * A new (non-listening) tls.Server terminating mTLS with the current certificate, kept up to date
   * on rotation until `release` is called. Connections are handed to it with `emit('connection')`.
   */
  createServer(opts: ServerTlsOptions): { server: tls.Server; release: () => void } {
    const server = tls.createServer({
      ...this.serverMaterial(),
      requestCert: opts.requireClientCertificate,
      rejectUnauthorized: opts.requireClientCertificate,
      ALPNProtocols: [...opts.alpnProtocols],
      handshakeTimeout: opts.handshakeTimeoutMs,
    });
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    // Session tickets (peer sidecars resume with them) are encrypted with keys Node generates once
    // per server; replace them on a schedule so a stolen key opens at most one period's tickets.
    const rotation = setInterval(() => server.setTicketKeys(crypto.randomBytes(48)), opts.ticketKeyRotationMs ?? DefaultTicketKeyRotationMs);
    rotation.unref();
    this.servers.add(server);
    return {
      server,
      release: () => {
        clearInterval(rotation);
        this.servers.delete(server);
      },
    };
  }

  onRotate(listener: () => void): () => void {
    this.rotationListeners.add(listener);
    return () => this.rotationListeners.delete(listener);
  }

  close(): void {
    this.unsubscribe();
    this.servers.clear();
  }

  /**
   * Certificate, key and roots, with the mesh's TLS floor (api/src/tls-floor.ts: TLS 1.2+, ECDHE
   * with AEAD only) — also on rotation, which builds a new context from these alone.
   */
  private serverMaterial(): tls.SecureContextOptions {
    if (!this.cert) return { ...TlsFloor };
    return { cert: this.cert.certChainPem, key: this.cert.privateKeyPem, ca: this.cert.trustBundlePem, ...TlsFloor };
  }

  private use(cert: WorkloadCertificate): void {
    this.clientContext = tls.createSecureContext({ cert: cert.certChainPem, key: cert.privateKeyPem, ca: cert.trustBundlePem, ...TlsFloor });
    this.cert = cert;
    for (const s of this.servers.values()) s.setSecureContext(this.serverMaterial());
    for (const l of this.rotationListeners) l();
  }
}

const peerCache = new WeakMap<tls.TLSSocket, PeerIdentity>();

/** The verified peer's identity (call only on an authorized socket). Cached per socket. */
export function peerIdentity(socket: tls.TLSSocket): PeerIdentity {
  let peer = peerCache.get(socket);
  if (peer) return peer;
  const cert = socket.getPeerCertificate();
  peer = {};
  if (cert && cert.raw) {
    peer.certHash = crypto.createHash('sha256').update(cert.raw).digest('hex');
    const uri = spiffeUri(cert.subjectaltname);
    if (uri) {
      peer.spiffeId = uri;
      peer.namespace = tryParseSpiffeId(uri)?.namespace;
    }
  }
  peerCache.set(socket, peer);
  return peer;
}

/** The SPIFFE URI SAN from Node's `subjectaltname` string (`URI:spiffe://…, DNS:…`). */
export function spiffeUri(subjectAltName: string | undefined): string | undefined {
  if (!subjectAltName) return undefined;
  for (const part of subjectAltName.split(', ')) if (part.startsWith('URI:spiffe://')) return part.slice(4);
  return undefined;
}

/**
 * checkServerIdentity for upstream mTLS: the chain was verified against ROOTCA by OpenSSL; here the
 * peer's SPIFFE id must be one of the cluster's expected SANs (hostname checks do not apply).
 */
export function spiffeServerCheck(expectedSans: readonly string[]): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const uri = spiffeUri(cert.subjectaltname);
    if (uri && expectedSans.includes(uri)) return undefined;
    return Object.assign(new Error(`upstream identity ${uri ?? '(none)'} is not one of ${expectedSans.join(', ')}`), { code: 'SKEIN_PEER_IDENTITY' });
  };
}
