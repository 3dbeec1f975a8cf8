/**
 * State-of-the-world ADS (envoy.service.discovery.v3.AggregatedDiscoveryService) over @grpc/grpc-js.
 *
 * Per stream and type it keeps the subscription (wildcard for CDS/LDS when no names are given, the
 * named resources for EDS/RDS), the last version and nonce sent, and pushes a type only when the
 * version of what the proxy subscribed to changed. Pushes go out in ADS order CDS → EDS → LDS → RDS.
 * A NACK (a request carrying the latest nonce and `error_detail`) is recorded with its reason and
 * nothing is re-sent until the config changes: the proxy keeps its last good config.
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

export interface AdsEvents {
  /** A proxy's first request: the control plane must produce its snapshot (may be async). */
  connected(proxy: { node: ProxyNode; metadata: Record<string, unknown> }): Snapshot | undefined;
  disconnected(nodeId: string): void;
  pushed?(typeUrl: string, nodeId: string, resources: number, encodeMs: number): void;
  nacked?(typeUrl: string, nodeId: string, message: string): void;
}

export interface AdsServerDeps {
  sync: SyncState;
  events: AdsEvents;
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

/** One proxy's ADS stream. */
export class AdsStream {
  private node: ProxyNode | undefined;
  private snapshot: Snapshot | undefined;
  private readonly watches = new Map<XdsTypeUrl, Watch>();
  private nonceCounter = 0;
  private closed = false;

  constructor(private readonly call: AdsCall, private readonly deps: AdsServerDeps, private readonly streams: Set<AdsStream>) {
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
      const id = this.node.id;
      if (![...this.streams].some((s) => s.nodeId === id)) {
        this.deps.sync.disconnect(id);
        this.deps.events.disconnected(id);
      }
    }
  }

  private onRequest(req: DiscoveryRequest): void {
    if (this.closed) return;
    if (!this.node) {
      if (!req.node?.id) return this.fail(grpc.status.INVALID_ARGUMENT, 'the first DiscoveryRequest must carry node.id');
      let node: ProxyNode;
      try {
        node = parseNodeId(req.node.id);
      } catch (err) {
        return this.fail(grpc.status.INVALID_ARGUMENT, (err as Error).message);
      }
      this.node = node;
      this.deps.sync.connect(node.id, this.now());
      this.snapshot = this.deps.events.connected({ node, metadata: (req.node.metadata ?? {}) as Record<string, unknown> });
    }
    const typeUrl = req.typeUrl;
    if (!isServedType(typeUrl)) {
      this.deps.log?.(`ads: ${this.node.id} asked for unsupported type ${typeUrl}; ignored`);
      return;
    }
    const verdict = this.deps.sync.received(this.node.id, typeUrl, {
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
    this.deps.sync.sent(this.node.id, typeUrl, version, nonce, this.now());
    this.call.write(create(DiscoveryResponseSchema, { versionInfo: version, typeUrl, nonce, resources, controlPlane: { identifier: 'skein' } }));
    this.deps.events.pushed?.(typeUrl, this.node.id, resources.length, performance.now() - started);
  }
}

function sameNames(a: Set<string> | undefined, b: Set<string> | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && [...a].every((n) => b.has(n));
}

/** The ADS service: add it to a grpc.Server, then call `update(nodeId, snapshot)` on every change. */
export class AdsServer {
  private readonly streams = new Set<AdsStream>();

  constructor(private readonly deps: AdsServerDeps) {}

  register(server: grpc.Server): void {
    server.addService(adsServiceDefinition as unknown as grpc.ServiceDefinition, {
      streamAggregatedResources: (call: AdsCall) => {
        this.streams.add(new AdsStream(call, this.deps, this.streams));
      },
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'Skein serves state-of-the-world ADS; delta xDS is not implemented yet' });
      },
    });
  }

  update(nodeId: string, snapshot: Snapshot): void {
    for (const s of this.streams) if (s.nodeId === nodeId) s.update(snapshot);
  }

  connectedNodes(): string[] {
    return [...new Set([...this.streams].map((s) => s.nodeId).filter((id): id is string => id !== undefined))];
  }
}
