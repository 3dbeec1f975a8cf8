/**
 * The Aggregated Discovery Service (envoy.service.discovery.v3.AggregatedDiscoveryService) over
 * @grpc/grpc-js: state of the world (./sotw-stream.ts) for @grpc/grpc-js-xds and as the Skein
 * proxy's fallback, delta (./delta-stream.ts) as the Skein proxy's default.
 *
 * Every stream is authorized by its first request (./stream-session.ts → ./stream-auth.ts: the
 * caller's certificate must match the node id) and keeps its own state — node, metadata, snapshot,
 * sync — under its own key: a second stream sending someone else's node id never changes what that
 * proxy gets. Every replica serves: versions are content hashes, so a proxy that reconnects to
 * another replica with the same configuration is sent the same versions (with delta, nothing).
 */
import type * as grpc from '@grpc/grpc-js';
import { type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DiscoveryRequest, type DiscoveryResponse } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { adsServiceDefinition } from '../../../api/src/xds';
import { type Snapshot } from '../core/snapshot';
import { DeltaAdsStream } from './delta-stream';
import { AdsStream } from './sotw-stream';
import { type AdsServerDeps, type AdsSession, type SessionCall } from './stream-session';
import { type CallerAuthenticator } from './stream-auth';

export { type AdsEvents, type AdsServerDeps, type ConnectedProxy } from './stream-session';
export { AdsStream } from './sotw-stream';
export { DeltaAdsStream } from './delta-stream';

type AnySession = AdsSession<DiscoveryRequest, DiscoveryResponse> | AdsSession<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** The ADS service: add it to a grpc.Server, then call `update(stream, snapshot)` on every change. */
export class AdsServer {
  private readonly streams = new Map<string, AnySession>();

  constructor(private readonly deps: AdsServerDeps) {}

  /** Serves ADS on `server`, whose callers `callers` authenticates (mTLS port or loopback). */
  register(server: grpc.Server, callers: CallerAuthenticator): void {
    const closed = (s: AnySession) => this.streams.delete(s.key);
    server.addService(adsServiceDefinition as unknown as grpc.ServiceDefinition, {
      streamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        const s = new AdsStream(call as unknown as SessionCall<DiscoveryResponse>, this.deps, closed, callers);
        this.streams.set(s.key, s);
      },
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => {
        const s = new DeltaAdsStream(call as unknown as SessionCall<DeltaDiscoveryResponse>, this.deps, closed, callers);
        this.streams.set(s.key, s);
      },
    });
  }

  /** Pushes a stream's new snapshot; resolves once what it wrote was taken by gRPC. */
  update(stream: string, snapshot: Snapshot): Promise<void> {
    return this.streams.get(stream)?.update(snapshot) ?? Promise.resolve();
  }

  /** Re-authenticates every stream's caller (after a trust bundle change); returns how many were cut. */
  async recheckCallers(): Promise<number> {
    const cut = await Promise.all([...this.streams.values()].map((s) => s.recheck()));
    return cut.filter(Boolean).length;
  }

  connectedNodes(): string[] {
    return [...new Set([...this.streams.values()].filter((s) => s.connected).map((s) => s.nodeId!))];
  }
}
