/**
 * State-of-the-world ADS (envoy.service.discovery.v3.AggregatedDiscoveryService) over @grpc/grpc-js.
 *
 * Per stream and type it keeps the subscription (wildcard for CDS/LDS when no names are given, the
 * named resources for EDS/RDS), the last version and nonce sent, and pushes a type only when the
 * version of what the proxy subscribed to changed. Pushes go out in ADS order CDS → EDS → LDS → RDS.
 * A NACK (a request carrying the latest nonce and `error_detail`) is recorded with its reason and
 * nothing is re-sent until the config changes: the proxy keeps its last good config.
 *
 * Every stream is authorized by its first request (./stream-auth.ts: the caller's certificate must
 * match the node id) and keeps its own state — node, metadata, snapshot, sync — under its own key:
 * a second stream sending someone else's node id never changes what that proxy gets.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  DiscoveryResponseSchema, type DiscoveryRequest, type DiscoveryResponse,
} from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { adsServiceDefinition } from '../../../api/src/xds';
import { type ProxyNode, parseNodeId } from '../core/node-id';
import { type Snapshot, type VersionedResource, versionOf } from '../core/snapshot';
import { type SyncState } from '../core/sync-state';
import { TypeUrls, type XdsTypeUrl, XdsTypeOrder } from '../core/translate/envoy';
import { encodeResource } from './encode';
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
}

export interface AdsEvents {
  /** A stream's first request, authorized: the control plane produces its snapshot. */
  connected(proxy: ConnectedProxy): Snapshot | undefined;
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

interface Watch {
  /** undefined = wildcard */
  names: Set<string> | undefined;
  sentVersion?: string;
  nonce?: string;
}

const wildcardTypes = new Set<string>([TypeUrls.cluster, TypeUrls.listener]);

function isServedType(typeUrl: string): typeUrl is XdsTypeUrl {
  return (XdsTypeOrder as readonly string[]).includes(typeUrl);
}

type AdsCall = grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

let streamCounter = 0;

/** One proxy's ADS stream. */
export class AdsStream {
  /** Unique per stream (the node id is the caller's claim; two streams may send the same one). */
  readonly key = String(++streamCounter);
  private node: ProxyNode | undefined;
  private snapshot: Snapshot | undefined;
  private readonly watches = new Map<XdsTypeUrl, Watch>();
  private nonceCounter = 0;
  private closed = false;
  /** Requests that arrived while the first one was being authorized. */
  private waiting: DiscoveryRequest[] | undefined;

  constructor(private readonly call: AdsCall, private readonly deps: AdsServerDeps, private readonly streams: Set<AdsStream>, private readonly callers: CallerAuthenticator) {
    call.on('data', (req: DiscoveryRequest) => this.onRequest(req));
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

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private fail(code: grpc.status, details: string): void {
    this.deps.log?.(`ads: closing stream: ${details}`);
    this.call.emit('error', { code, details });
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.streams.delete(this);
    if (this.node) {
      this.deps.sync.disconnect(this.key);
      this.deps.events.disconnected(this.key);
    }
  }

  private onRequest(req: DiscoveryRequest): void {
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

  /** The first request: parse the node id, authorize the caller as that node, build its snapshot. */
  private async start(req: DiscoveryRequest): Promise<void> {
    if (!req.node?.id) throw new StreamAuthError(grpc.status.INVALID_ARGUMENT, 'the first DiscoveryRequest must carry node.id');
    let node: ProxyNode;
    try {
      node = parseNodeId(req.node.id);
    } catch (err) {
      throw new StreamAuthError(grpc.status.INVALID_ARGUMENT, (err as Error).message);
    }
    const authorized = await authorizeStream(this.call, node, (req.node.metadata ?? {}) as Record<string, unknown>, this.callers, this.deps.authorizeNode);
    if (this.closed) return;
    this.node = node;
    this.deps.sync.connect(this.key, node.id, this.now(), authorized.identity);
    this.snapshot = this.deps.events.connected({ stream: this.key, node, ...authorized });
  }

  private handle(req: DiscoveryRequest): void {
    if (this.closed || !this.node) return;
    const typeUrl = req.typeUrl;
    if (!isServedType(typeUrl)) {
      this.deps.log?.(`ads: ${this.node.id} asked for unsupported type ${typeUrl}; ignored`);
      return;
    }
    const verdict = this.deps.sync.received(this.key, typeUrl, {
      versionInfo: req.versionInfo, responseNonce: req.responseNonce, errorMessage: req.errorDetail?.message,
    }, this.now());
    if (verdict === 'stale') return; // answers an older response; a newer one is on its way
    if (verdict === 'nack') this.deps.events.nacked?.(typeUrl, this.node.id, req.errorDetail?.message ?? '');
    const names = req.resourceNames.length === 0 && wildcardTypes.has(typeUrl) ? undefined : new Set(req.resourceNames);
    const watch = this.watches.get(typeUrl);
    const namesChanged = !watch || !sameNames(watch.names, names);
    if (!watch) this.watches.set(typeUrl, { names });
    else watch.names = names;
    // After an ACK/NACK only a changed subscription triggers a response; an initial request always does.
    if (verdict === 'initial' || namesChanged) this.push(typeUrl, verdict === 'initial');
  }

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

  /** Called by the server when the node's snapshot changed. */
  update(snapshot: Snapshot): void {
    if (this.closed) return;
    this.snapshot = snapshot;
    for (const typeUrl of XdsTypeOrder) if (this.watches.has(typeUrl)) this.push(typeUrl, false);
  }

  private push(typeUrl: XdsTypeUrl, force: boolean): void {
    const watch = this.watches.get(typeUrl);
    if (!watch || !this.snapshot || !this.node) return;
    const all = this.snapshot.types[typeUrl];
    let selected: VersionedResource[];
    let version: string;
    if (watch.names) {
      selected = [...watch.names].map((n) => all.resources.get(n)).filter((r): r is VersionedResource => r !== undefined);
      version = versionOf(selected);
    } else {
      selected = [...all.resources.values()];
      version = all.version;
    }
    if (!force && version === watch.sentVersion) return;
    const started = performance.now();
    let resources;
    try {
      resources = selected.map((r) => encodeResource(r.resource, r.version));
    } catch (err) {
      this.deps.log?.(`ads: not pushing ${typeUrl} to ${this.node.id}: ${(err as Error).message}`);
      return;
    }
    const nonce = String(++this.nonceCounter);
    watch.sentVersion = version;
    watch.nonce = nonce;
    this.deps.sync.sent(this.key, typeUrl, version, nonce, this.now());
    this.call.write(create(DiscoveryResponseSchema, { versionInfo: version, typeUrl, nonce, resources, controlPlane: { identifier: 'skein' } }));
    this.deps.events.pushed?.(typeUrl, this.node.id, resources.length, performance.now() - started);
  }
}

function sameNames(a: Set<string> | undefined, b: Set<string> | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && [...a].every((n) => b.has(n));
}

/** The ADS service: add it to a grpc.Server, then call `update(stream, snapshot)` on every change. */
export class AdsServer {
  private readonly streams = new Set<AdsStream>();

  constructor(private readonly deps: AdsServerDeps) {}

  /** Serves ADS on `server`, whose callers `callers` authenticates (mTLS port or loopback). */
  register(server: grpc.Server, callers: CallerAuthenticator): void {
    server.addService(adsServiceDefinition as unknown as grpc.ServiceDefinition, {
      streamAggregatedResources: (call: AdsCall) => {
        this.streams.add(new AdsStream(call, this.deps, this.streams, callers));
      },
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'Skein serves state-of-the-world ADS; delta xDS is not implemented yet' });
      },
    });
  }

  /** Pushes a stream's new snapshot. */
  update(stream: string, snapshot: Snapshot): void {
    for (const s of this.streams) if (s.key === stream) s.update(snapshot);
  }

  /** Re-authenticates every stream's caller (after a trust bundle change); returns how many were cut. */
  async recheckCallers(): Promise<number> {
    const cut = await Promise.all([...this.streams].map((s) => s.recheck()));
    return cut.filter(Boolean).length;
  }

  connectedNodes(): string[] {
    return [...new Set([...this.streams].filter((s) => s.connected).map((s) => s.nodeId!))];
  }
}
