/**
 * Incremental ADS (DeltaAggregatedResources) for one proxy: the Skein proxy's default protocol.
 * The protocol state per type — subscriptions, what the proxy holds, the response in flight, NACKed
 * versions — is the pure DeltaWatch (../core/delta-watch.ts); this adds the wire: requests in,
 * DeltaDiscoveryResponses out (only changed resources, `removed_resources`, per-resource versions
 * that are content hashes and so the same on every replica), in ADS order CDS → EDS → LDS → RDS.
 */
import { create } from '@bufbuild/protobuf';
import {
  DeltaDiscoveryResponseSchema, ResourceSchema, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse,
} from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { DeltaWatch } from '../core/delta-watch';
import { type Snapshot } from '../core/snapshot';
import { type XdsTypeUrl, XdsTypeOrder } from '../core/translate/envoy';
import { encodeResource } from './encode';
import { AdsSession } from './stream-session';
import { isServedType } from './types';

/** One proxy's delta ADS stream. */
export class DeltaAdsStream extends AdsSession<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  protected readonly protocol = 'delta' as const;
  private readonly watches = new Map<XdsTypeUrl, DeltaWatch>();
  /** The system version sent with each type's response in flight (for ACK bookkeeping). */
  private readonly sentVersions = new Map<XdsTypeUrl, string>();
  private nonceCounter = 0;

  protected handle(req: DeltaDiscoveryRequest): void {
    if (this.isClosed || !this.node) return;
    const typeUrl = req.typeUrl;
    if (!isServedType(typeUrl)) {
      this.deps.log?.(`ads: ${this.node.id} asked for unsupported type ${typeUrl} (delta); ignored`);
      return;
    }
    let watch = this.watches.get(typeUrl);
    if (!watch) {
      watch = new DeltaWatch();
      this.watches.set(typeUrl, watch);
    }
    const error = req.errorDetail?.message;
    const verdict = watch.onRequest({
      subscribe: req.resourceNamesSubscribe, unsubscribe: req.resourceNamesUnsubscribe,
      initialVersions: req.initialResourceVersions, nonce: req.responseNonce, ...(req.errorDetail ? { error: error || 'rejected (no message)' } : {}),
    });
    if (verdict === 'ack' || verdict === 'nack') {
      this.deps.sync.received(this.key, typeUrl, {
        versionInfo: verdict === 'ack' ? this.sentVersions.get(typeUrl) ?? '' : '', responseNonce: req.responseNonce,
        ...(verdict === 'nack' ? { errorMessage: error || 'rejected (no message)' } : {}),
      }, this.now());
    }
    if (verdict === 'nack') this.deps.events.nacked?.(typeUrl, this.node.id, error ?? '');
    void this.push(typeUrl);
  }

  async update(snapshot: Snapshot): Promise<void> {
    if (this.isClosed) return;
    this.snapshot = snapshot;
    const writes: Promise<void>[] = [];
    for (const typeUrl of XdsTypeOrder) if (this.watches.get(typeUrl)?.active) writes.push(this.push(typeUrl));
    await Promise.all(writes);
  }

  private push(typeUrl: XdsTypeUrl): Promise<void> {
    const watch = this.watches.get(typeUrl);
    if (!watch || !this.snapshot || !this.node) return Promise.resolve();
    const type = this.snapshot.types[typeUrl];
    const plan = watch.plan(type.resources);
    if (!plan) return Promise.resolve();
    const started = performance.now();
    let resources;
    try {
      resources = plan.resources.map((r) => create(ResourceSchema, { name: r.name, version: r.version, resource: encodeResource(r.resource, r.version) }));
    } catch (err) {
      this.deps.log?.(`ads: not pushing ${typeUrl} to ${this.node.id}: ${(err as Error).message}`);
      return Promise.resolve();
    }
    const nonce = String(++this.nonceCounter);
    watch.sent(nonce);
    this.sentVersions.set(typeUrl, type.version);
    this.deps.sync.sent(this.key, typeUrl, type.version, nonce, this.now());
    const written = this.write(create(DeltaDiscoveryResponseSchema, {
      systemVersionInfo: type.version, typeUrl, nonce, resources, removedResources: plan.removed, controlPlane: { identifier: 'skein' },
    }));
    this.deps.events.pushed?.(typeUrl, this.node.id, resources.length + plan.removed.length, performance.now() - started);
    return written;
  }
}
