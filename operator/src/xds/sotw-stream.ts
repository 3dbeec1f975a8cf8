/**
 * State-of-the-world ADS (StreamAggregatedResources) for one proxy: what @grpc/grpc-js-xds speaks,
 * and the Skein proxy's fallback.
 *
 * Per type it keeps the subscription (wildcard for CDS/LDS when no names are given, the named
 * resources for EDS/RDS), the last version and nonce sent, and pushes a type only when the version
 * of what the proxy subscribed to changed. Pushes go out in ADS order CDS → EDS → LDS → RDS. A NACK
 * (a request carrying the latest nonce and `error_detail`) is recorded with its reason and nothing
 * is re-sent until the config changes: the proxy keeps its last good config.
 */
import { create } from '@bufbuild/protobuf';
import {
  DiscoveryResponseSchema, type DiscoveryRequest, type DiscoveryResponse,
} from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { type Snapshot, type VersionedResource, versionOf } from '../core/snapshot';
import { type XdsTypeUrl, XdsTypeOrder } from '../core/translate/envoy';
import { encodeResource } from './encode';
import { AdsSession } from './stream-session';
import { isServedType, wildcardTypes } from './types';

interface Watch {
  /** undefined = wildcard */
  names: Set<string> | undefined;
  sentVersion?: string;
  nonce?: string;
}

/** One proxy's state-of-the-world ADS stream. */
export class AdsStream extends AdsSession<DiscoveryRequest, DiscoveryResponse> {
  protected readonly protocol = 'sotw' as const;
  private readonly watches = new Map<XdsTypeUrl, Watch>();
  private nonceCounter = 0;

  protected handle(req: DiscoveryRequest): void {
    if (this.isClosed || !this.node) return;
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
    if (verdict === 'initial' || namesChanged) void this.push(typeUrl, verdict === 'initial');
  }

  async update(snapshot: Snapshot): Promise<void> {
    if (this.isClosed) return;
    this.snapshot = snapshot;
    const writes: Promise<void>[] = [];
    for (const typeUrl of XdsTypeOrder) if (this.watches.has(typeUrl)) writes.push(this.push(typeUrl, false));
    await Promise.all(writes);
  }

  private push(typeUrl: XdsTypeUrl, force: boolean): Promise<void> {
    const watch = this.watches.get(typeUrl);
    if (!watch || !this.snapshot || !this.node) return Promise.resolve();
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
    if (!force && version === watch.sentVersion) return Promise.resolve();
    const started = performance.now();
    let resources;
    try {
      resources = selected.map((r) => encodeResource(r.resource, r.version));
    } catch (err) {
      this.deps.log?.(`ads: not pushing ${typeUrl} to ${this.node.id}: ${(err as Error).message}`);
      return Promise.resolve();
    }
    const nonce = String(++this.nonceCounter);
    watch.sentVersion = version;
    watch.nonce = nonce;
    this.deps.sync.sent(this.key, typeUrl, version, nonce, this.now());
    const written = this.write(create(DiscoveryResponseSchema, { versionInfo: version, typeUrl, nonce, resources, controlPlane: { identifier: 'skein' } }));
    this.deps.events.pushed?.(typeUrl, this.node.id, resources.length, performance.now() - started);
    return written;
  }
}

function sameNames(a: Set<string> | undefined, b: Set<string> | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && [...a].every((n) => b.has(n));
}
