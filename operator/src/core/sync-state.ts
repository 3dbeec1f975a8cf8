/**
 * ACK/NACK bookkeeping per proxy and type (what `/debug/syncz` shows). A response to the latest
 * nonce with `error_detail` is a NACK: the reason is kept until a later ACK.
 */
export interface TypeSyncState {
  /** Version and nonce of the last response sent. */
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: string;
  /** Last version the proxy accepted. */
  ackedVersion?: string;
  /** The last rejection, cleared by a later ACK. */
  nack?: { version: string; nonce: string; message: string; at: string };
}

export type ResponseVerdict = 'ack' | 'nack' | 'stale' | 'initial';

export class SyncState {
  private readonly nodes = new Map<string, { connectedAt: string; types: Map<string, TypeSyncState> }>();

  connect(nodeId: string, at: string): void {
    this.nodes.set(nodeId, { connectedAt: at, types: new Map() });
  }

  disconnect(nodeId: string): void {
    this.nodes.delete(nodeId);
  }

  private state(nodeId: string, typeUrl: string): TypeSyncState {
    let node = this.nodes.get(nodeId);
    if (!node) {
      node = { connectedAt: '', types: new Map() };
      this.nodes.set(nodeId, node);
    }
    let s = node.types.get(typeUrl);
    if (!s) {
      s = {};
      node.types.set(typeUrl, s);
    }
    return s;
  }

  sent(nodeId: string, typeUrl: string, version: string, nonce: string, at: string): void {
    Object.assign(this.state(nodeId, typeUrl), { sentVersion: version, sentNonce: nonce, sentAt: at });
  }

  /** Records a DiscoveryRequest and says what it was. */
  received(nodeId: string, typeUrl: string, req: { versionInfo: string; responseNonce: string; errorMessage?: string }, at: string): ResponseVerdict {
    const s = this.state(nodeId, typeUrl);
    if (req.responseNonce === '') return 'initial';
    if (req.responseNonce !== s.sentNonce) return 'stale';
    if (req.errorMessage) {
      s.nack = { version: s.sentVersion ?? '', nonce: req.responseNonce, message: req.errorMessage, at };
      return 'nack';
    }
    s.ackedVersion = req.versionInfo;
    s.nack = undefined;
    return 'ack';
  }

  connected(): number {
    return this.nodes.size;
  }

  /** A plain view for /debug/syncz. */
  view(): Record<string, { connectedAt: string; types: Record<string, TypeSyncState> }> {
    const out: Record<string, { connectedAt: string; types: Record<string, TypeSyncState> }> = {};
    for (const [id, node] of [...this.nodes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out[id] = { connectedAt: node.connectedAt, types: Object.fromEntries([...node.types].map(([t, s]) => [t, { ...s }])) };
    }
    return out;
  }
}

/**
 * One type's state for a proxy, in istioctl's words: SYNCED (the proxy ACKed what was sent last),
 * NACKED (it rejected what was sent last; `nack.message` says why), STALE (sent, no answer yet),
 * NOT SENT (nothing of this type sent: not subscribed, or nothing to send yet).
 */
export type SyncStatus = 'SYNCED' | 'NACKED' | 'STALE' | 'NOT SENT';

export function syncStatus(s: TypeSyncState | undefined): SyncStatus {
  if (!s?.sentVersion) return 'NOT SENT';
  if (s.nack && s.nack.nonce === s.sentNonce) return 'NACKED';
  return s.ackedVersion === s.sentVersion ? 'SYNCED' : 'STALE';
}
