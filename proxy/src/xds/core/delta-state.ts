/**
 * The delta (incremental) ADS protocol of one proxy, without sockets or clocks (pure): what
 * DeltaAggregatedResources asks and answers — the Skein proxy's default.
 *
 * - Subscriptions: CDS and LDS subscribe to `*` (wildcard); EDS and RDS subscribe and unsubscribe
 *   names as accepted clusters and listeners change.
 * - A response carries only what changed (added or updated resources, `removed_resources`); it is
 *   merged into what the proxy holds and ACKed with its nonce, or NACKed (error_detail) and nothing
 *   changes: the proxy keeps its last good version of every resource.
 * - The version of each resource held is kept, so a new stream (reconnect, perhaps to another
 *   replica) opens with `initial_resource_versions` and is sent only what differs.
 * Warming, the applied snapshot and subscriptions following accepted resources are shared with
 * state of the world (./xds-state.ts).
 */
import { create } from '@bufbuild/protobuf';
import { DeltaDiscoveryRequestSchema, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from '../../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import type * as M from '../../config/model';
import {
  ResourceError, ResourceLabels, SubscribedTypes, isSubscribedType, translateResources,
  type SubscribedType, type Translated, type TranslatedCluster, type TranslatedListener,
} from './resources';
import { type Accepted, type Incoming, InvalidArgument, type Step, XdsState } from './xds-state';

/** Subscribes to everything of a type. */
export const Wildcard = '*';

export type DeltaStep = Step<DeltaDiscoveryRequest>;

export class DeltaAdsState extends XdsState<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  /** Per type: the version of every resource held (accepted). */
  private readonly held = new Map<SubscribedType, Map<string, string>>(SubscribedTypes.map((t) => [t, new Map()]));

  /**
   * Requests that open a stream: CDS, EDS, LDS, RDS (each only when subscribed) with what is held
   * as initial_resource_versions; the first carries the node.
   */
  streamStart(): DeltaDiscoveryRequest[] {
    const out: DeltaDiscoveryRequest[] = [];
    for (const t of SubscribedTypes) {
      const s = this.type(t);
      if (s.names !== undefined && s.names.length === 0) continue;
      s.nonce = '';
      out.push(create(DeltaDiscoveryRequestSchema, {
        typeUrl: t,
        resourceNamesSubscribe: s.names ?? [Wildcard],
        initialResourceVersions: Object.fromEntries(this.held.get(t)!),
      }));
    }
    if (out[0]) out[0].node = this.options.node;
    return out;
  }

  /** The version held for each resource of a type (what a reconnect announces). */
  heldVersions(t: SubscribedType): Record<string, string> {
    return Object.fromEntries(this.held.get(t)!);
  }

  onResponse(response: DeltaDiscoveryResponse): DeltaStep {
    const typeUrl = response.typeUrl;
    const incoming: Incoming = { typeUrl: typeUrl as SubscribedType, version: response.systemVersionInfo || `nonce-${response.nonce}`, nonce: response.nonce };
    if (!isSubscribedType(typeUrl)) {
      return this.nackStep(incoming, `unsupported resource type ${typeUrl} (the proxy subscribes to ${SubscribedTypes.join(', ')})`);
    }
    const label = ResourceLabels[typeUrl];
    const bodiless = response.resources.findIndex((r) => r.resource === undefined);
    if (bodiless >= 0) return this.nackStep(incoming, `${label} ${response.resources[bodiless]!.name || `resources[${bodiless}]`}: the resource has no body`);
    let translated: Translated[];
    try {
      translated = translateResources(typeUrl, response.resources.map((r) => r.resource!), this.options.listenerContext);
    } catch (err) {
      if (err instanceof ResourceError) return this.nackStep(incoming, err.message);
      throw err;
    }
    for (const [i, t] of translated.entries()) {
      const named = response.resources[i]!.name;
      if (named !== '' && named !== t.name) return this.nackStep(incoming, `${label} ${t.name}: sent under the name "${named}"`);
    }
    const versions = new Map(translated.map((t, i) => [t.name, response.resources[i]!.version]));
    const next = this.merge(typeUrl, translated, response.removedResources);
    return this.acceptStep(incoming, next, () => {
      this.recordAccepted(incoming);
      const held = this.held.get(typeUrl)!;
      const wanted = this.wanted(typeUrl);
      for (const [name, version] of versions) if (!wanted || wanted.has(name)) held.set(name, version);
      for (const name of response.removedResources) held.delete(name);
      return [create(DeltaDiscoveryRequestSchema, { typeUrl, responseNonce: response.nonce })];
    });
  }

  protected nackRequests(incoming: Incoming, message: string): DeltaDiscoveryRequest[] {
    this.recordNack(incoming, message);
    return [create(DeltaDiscoveryRequestSchema, { typeUrl: incoming.typeUrl, responseNonce: incoming.nonce, errorDetail: { code: InvalidArgument, message } })];
  }

  protected subscriptionChange(t: SubscribedType, before: string[], after: string[]): DeltaDiscoveryRequest[] {
    const was = new Set(before);
    const now = new Set(after);
    const subscribe = after.filter((n) => !was.has(n));
    const unsubscribe = before.filter((n) => !now.has(n));
    if (subscribe.length === 0 && unsubscribe.length === 0) return [];
    return [create(DeltaDiscoveryRequestSchema, { typeUrl: t, resourceNamesSubscribe: subscribe, resourceNamesUnsubscribe: unsubscribe })];
  }

  /** The names subscribed to (undefined: wildcard). */
  private wanted(t: SubscribedType): Set<string> | undefined {
    const names = this.type(t).names;
    return names === undefined ? undefined : new Set(names);
  }

  protected override forget(t: SubscribedType, names: string[]): void {
    const held = this.held.get(t)!;
    for (const n of names) held.delete(n);
  }

  /** What is held with this response in: updated and added resources set, removed ones deleted. */
  private merge(typeUrl: SubscribedType, translated: Translated[], removed: readonly string[]): Accepted {
    const next: Accepted = { ...this.accepted };
    const wanted = this.wanted(typeUrl);
    const accept = (name: string) => !wanted || wanted.has(name);
    const update = <T>(current: Map<string, T>): Map<string, T> => {
      const out = new Map(current);
      for (const t of translated) if (accept(t.name)) out.set(t.name, t.value as T);
      for (const name of removed) out.delete(name);
      return out;
    };
    switch (typeUrl) {
      case TypeUrls.cluster:
        next.clusters = update<TranslatedCluster>(this.accepted.clusters);
        break;
      case TypeUrls.listener:
        next.listeners = update<TranslatedListener>(this.accepted.listeners);
        break;
      case TypeUrls.clusterLoadAssignment:
        next.endpoints = update<M.LbEndpoint[]>(this.accepted.endpoints);
        break;
      case TypeUrls.routeConfiguration:
        next.routes = update<M.RouteConfiguration>(this.accepted.routes);
        break;
    }
    return next;
  }
}
