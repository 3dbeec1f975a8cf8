/**
 * What every ADS stream shares, state of the world and delta alike: the first request names the
 * node and is authorized (./stream-auth.ts) before anything is answered — requests arriving
 * meanwhile wait in order —, the stream's state lives under its own key, and closing it (by the
 * proxy, an error, or a failed check) tells the control plane once. Writes report when gRPC has
 * taken them (the push queue holds a slot until then).
 */
import * as grpc from '@grpc/grpc-js';
import { type Node } from '../../../api/gen/envoy/config/core/v3/base_pb';
import { type ProxyNode, parseNodeId } from '../core/node-id';
import { type Snapshot } from '../core/snapshot';
import { type SyncState, type XdsProtocol } from '../core/sync-state';
import { authorizeStream, type CallerAuthenticator, type NodeAuthorizer, StreamAuthError } from './stream-auth';

/** An authorized stream's proxy: what translation gets. */
export interface ConnectedProxy {
  /** The stream's key: state is kept per stream, never per node id. */
  stream: string;
  node: ProxyNode;
  /** Metadata as authorized (ignored keys removed). */
  metadata: Record<string, unknown>;
  identity?: string;
  /** Metadata that was ignored, and why. */
  warnings: string[];
  protocol: XdsProtocol;
}

export interface AdsEvents {
  /** A stream's first request, authorized: the control plane builds its snapshot and calls `update`. */
  connected(proxy: ConnectedProxy): void;
  disconnected(stream: string): void;
  pushed?(typeUrl: string, nodeId: string, resources: number, encodeMs: number): void;
  nacked?(typeUrl: string, nodeId: string, message: string): void;
}

export interface AdsServerDeps {
  sync: SyncState;
  events: AdsEvents;
  /** Whether a caller may be a node (the control plane's rules and model). */
  authorizeNode: NodeAuthorizer;
  now?: () => Date;
  log?: (line: string) => void;
}

/** The server side of a bidi gRPC call as a session uses it. */
export interface SessionCall<Res> {
  write(message: Res, callback: (error?: Error | null) => void): boolean;
  end(): void;
  emit(event: 'error', error: { code: grpc.status; details: string }): boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } };
}

let streamCounter = 0;

/** The first request of a stream, whatever its protocol. */
interface FirstRequest {
  node?: Node;
}

export abstract class AdsSession<Req extends FirstRequest, Res> {
  /** Unique per stream (the node id is the caller's claim; two streams may send the same one). */
  readonly key = String(++streamCounter);
  protected node: ProxyNode | undefined;
  protected snapshot: Snapshot | undefined;
  private closed = false;
  /** Requests that arrived while the first one was being authorized. */
  private waiting: Req[] | undefined;
  private readonly unflushed = new Set<() => void>();
  protected abstract readonly protocol: XdsProtocol;

  constructor(
    protected readonly call: SessionCall<Res>,
    protected readonly deps: AdsServerDeps,
    private readonly onClose: (session: AdsSession<Req, Res>) => void,
    private readonly callers: CallerAuthenticator,
  ) {
    call.on('data', (req: Req) => this.onRequest(req));
    call.on('end', () => {
      // The proxy half-closed: finish the RPC cleanly.
      if (!this.closed) call.end();
      this.close();
    });
    call.on('error', () => this.close());
    call.on('cancelled', () => this.close());
  }

  get nodeId(): string | undefined {
    return this.node?.id;
  }

  /** True once the stream is authorized and has a node. */
  get connected(): boolean {
    return this.node !== undefined && !this.closed;
  }

  protected get isClosed(): boolean {
    return this.closed;
  }

  protected now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  protected fail(code: grpc.status, details: string): void {
    this.deps.log?.(`ads: closing stream: ${details}`);
    this.call.emit('error', { code, details });
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const done of this.unflushed) done();
    this.unflushed.clear();
    this.onClose(this);
    if (this.node) {
      this.deps.sync.disconnect(this.key);
      this.deps.events.disconnected(this.key);
    }
  }

  /** Writes a response; resolves once gRPC has taken it (or the stream closed). */
  protected write(message: Res): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.unflushed.delete(done);
        resolve();
      };
      this.unflushed.add(done);
      this.call.write(message, done);
    });
  }

  private onRequest(req: Req): void {
    if (this.closed) return;
    if (this.waiting) {
      this.waiting.push(req);
      return;
    }
    if (!this.node) {
      this.waiting = [];
      this.start(req).then(
        () => {
          const queued = this.waiting ?? [];
          this.waiting = undefined;
          for (const r of [req, ...queued]) this.handle(r);
        },
        (err: unknown) => {
          this.waiting = undefined;
          if (err instanceof StreamAuthError) return this.fail(err.code, err.message);
          this.deps.log?.(`ads: internal error authorizing a stream: ${(err as Error).stack ?? String(err)}`);
          this.fail(grpc.status.INTERNAL, 'internal error');
        },
      );
      return;
    }
    this.handle(req);
  }

  /** The first request: parse the node id, authorize the caller as that node, announce the proxy. */
  private async start(req: Req): Promise<void> {
    if (!req.node?.id) throw new StreamAuthError(grpc.status.INVALID_ARGUMENT, `the first ${this.protocol === 'delta' ? 'DeltaDiscoveryRequest' : 'DiscoveryRequest'} must carry node.id`);
    let node: ProxyNode;
    try {
      node = parseNodeId(req.node.id);
    } catch (err) {
      throw new StreamAuthError(grpc.status.INVALID_ARGUMENT, (err as Error).message);
    }
    const authorized = await authorizeStream(this.call, node, (req.node.metadata ?? {}) as Record<string, unknown>, this.callers, this.deps.authorizeNode);
    if (this.closed) return;
    this.node = node;
    this.deps.sync.connect(this.key, node.id, this.now(), { protocol: this.protocol, ...(authorized.identity ? { identity: authorized.identity } : {}) });
    this.deps.events.connected({ stream: this.key, node, protocol: this.protocol, ...authorized });
  }

  /** A request after the stream is authorized. */
  protected abstract handle(req: Req): void;

  /** The proxy's new snapshot; resolves once what it caused to be written was taken by gRPC. */
  abstract update(snapshot: Snapshot): Promise<void>;

  /**
   * Authenticates the caller again (the trust bundle changed: a retired root no longer
   * authenticates anyone); a caller that no longer passes is cut and reconnects with its current
   * certificate. Returns whether the stream was cut.
   */
  async recheck(): Promise<boolean> {
    if (this.closed || !this.node) return false;
    try {
      await this.callers(this.call);
      return false;
    } catch (err) {
      if (!(err instanceof StreamAuthError)) throw err;
      this.fail(err.code, `${err.message} (checked again after the trust bundle changed)`);
      return true;
    }
  }
}
