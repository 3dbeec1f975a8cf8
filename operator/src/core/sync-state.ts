/**
 * ACK/NACK bookkeeping per ADS stream and type (what `/debug/syncz` shows). A response to the
 * latest nonce with `error_detail` is a NACK: the reason is kept until a later ACK. State is keyed
 * by stream, never by node id: a second stream that sends a proxy's node id has its own entry and
 * cannot touch the proxy's.
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

/** Which ADS variant a stream speaks. */
export type XdsProtocol = 'sotw' | 'delta';

export interface StreamInfo {
  /** The caller's SPIFFE id (mTLS port); absent on the loopback plaintext port. */
  identity?: string;
  /** Default state of the world. */
  protocol?: XdsProtocol;
}

/** One stream as /debug/syncz shows it. */
export interface StreamSyncView {
  /** The stream's key (ads-server.ts: node id and connection number). */
  stream: string;
  connectedAt: string;
  /** The caller's SPIFFE id (mTLS port); absent on the loopback plaintext port. */
  identity?: string;
  protocol: XdsProtocol;
  types: Record<string, TypeSyncState>;
}

interface StreamSync {
  nodeId: string;
  identity?: string;
  protocol: XdsProtocol;
  connectedAt: string;
  types: Map<string, TypeSyncState>;
}

export class SyncState {
  private readonly streams = new Map<string, StreamSync>();

  connect(stream: string, nodeId: string, at: string, info: StreamInfo = {}): void {
    this.streams.set(stream, { nodeId, connectedAt: at, types: new Map(), protocol: info.protocol ?? 'sotw', ...(info.identity ? { identity: info.identity } : {}) });
  }

  disconnect(stream: string): void {
    this.streams.delete(stream);
  }

  private state(stream: string, typeUrl: string): TypeSyncState {
    const node = this.streams.get(stream);
    if (!node) throw new Error(`sync state: stream ${stream} is not connected`);
    let s = node.types.get(typeUrl);
    if (!s) {
      s = {};
      node.types.set(typeUrl, s);
    }
    return s;
  }

  sent(stream: string, typeUrl: string, version: string, nonce: string, at: string): void {
    Object.assign(this.state(stream, typeUrl), { sentVersion: version, sentNonce: nonce, sentAt: at });
  }

  /** Records a DiscoveryRequest and says what it was. */
  received(stream: string, typeUrl: string, req: { versionInfo: string; responseNonce: string; errorMessage?: string }, at: string): ResponseVerdict {
    const s = this.state(stream, typeUrl);
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
    return this.streams.size;
  }

  /**
   * A plain view for /debug/syncz, keyed by node id. When several streams send one node id (a proxy
   * reconnecting before its old stream is noticed dead, or someone else using that id), the oldest
   * is under the node id and each other under `<node id> (stream <key>)`.
   */
  view(): Record<string, StreamSyncView> {
    const out: Record<string, StreamSyncView> = {};
    // The map holds streams in connection order; a stable sort by node id keeps the oldest first.
    const byNode = [...this.streams].sort(([, a], [, b]) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    for (const [stream, s] of byNode) {
      const key = out[s.nodeId] ? `${s.nodeId} (stream ${stream})` : s.nodeId;
      out[key] = { stream, connectedAt: s.connectedAt, ...(s.identity ? { identity: s.identity } : {}), protocol: s.protocol, types: Object.fromEntries([...s.types].map(([t, ts]) => [t, { ...ts }])) };
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

/** A type in this state needs nothing from the proxy or the control plane: SYNCED, or never asked for (NOT SENT). */
export function settled(status: SyncStatus): boolean {
  return status === 'SYNCED' || status === 'NOT SENT';
}
