/**
 * The state-of-the-world ADS protocol of one proxy, without sockets or clocks (pure): what
 * StreamAggregatedResources asks and answers. The Skein proxy speaks delta (./delta-state.ts) by
 * default; this is its fallback for control planes that answer delta with UNIMPLEMENTED.
 *
 * Every response carries all resources of its type (CDS/LDS replace what was held; EDS/RDS merge
 * by name), is ACKed with its version_info and nonce or NACKed with the previous version; a stream
 * opens with the versions already accepted and no nonce. What the protocols share — subscriptions
 * following accepted clusters and listeners, warming, the applied snapshot — is ./xds-state.ts.
 */
import { create } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema, type DiscoveryRequest, type DiscoveryResponse } from '../../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import type * as M from '../../config/model';
import {
  ResourceError, SubscribedTypes, isSubscribedType, translateResources,
  type SubscribedType, type Translated, type TranslatedCluster, type TranslatedListener,
} from './resources';
import { type Accepted, type Incoming, InvalidArgument, type Step as GenericStep, XdsState } from './xds-state';

export { type AcceptedVersion, type AdsStateOptions, type AdsStatus, InvalidArgument, type NackRecord } from './xds-state';

/** Result of handling a state-of-the-world response. */
export type Step = GenericStep<DiscoveryRequest>;

export class AdsState extends XdsState<DiscoveryRequest, DiscoveryResponse> {
  /**
   * Requests that open a stream: CDS, EDS, LDS, RDS (each only when subscribed), with the versions
   * already accepted and no nonce; the first carries the node.
   */
  streamStart(): DiscoveryRequest[] {
    const out: DiscoveryRequest[] = [];
    for (const t of SubscribedTypes) {
      const s = this.type(t);
      if (s.names !== undefined && s.names.length === 0) continue;
      s.nonce = '';
      out.push(this.request(t, s.version, ''));
    }
    if (out[0]) out[0].node = this.options.node;
    return out;
  }

  onResponse(response: DiscoveryResponse): Step {
    const typeUrl = response.typeUrl;
    const incoming: Incoming = { typeUrl: typeUrl as SubscribedType, version: response.versionInfo, nonce: response.nonce };
    if (!isSubscribedType(typeUrl)) {
      return this.nackStep(incoming, `unsupported resource type ${typeUrl} (the proxy subscribes to ${SubscribedTypes.join(', ')})`);
    }
    let translated: Translated[];
    try {
      translated = translateResources(typeUrl, response.resources, this.options.listenerContext);
    } catch (err) {
      if (err instanceof ResourceError) return this.nackStep(incoming, err.message);
      throw err;
    }
    const next = this.merge(typeUrl, translated, this.type(typeUrl).names);
    return this.acceptStep(incoming, next, () => {
      this.recordAccepted(incoming);
      return [this.request(typeUrl, response.versionInfo, response.nonce)];
    });
  }

  protected nackRequests(incoming: Incoming, message: string): DiscoveryRequest[] {
    const s = isSubscribedType(incoming.typeUrl) ? this.type(incoming.typeUrl) : undefined;
    if (s) s.nonce = incoming.nonce;
    this.recordNack(incoming, message);
    return [this.request(incoming.typeUrl, s?.version ?? '', incoming.nonce, message)];
  }

  protected subscriptionChange(t: SubscribedType): DiscoveryRequest[] {
    const s = this.type(t);
    return [this.request(t, s.version, s.nonce)];
  }

  private request(typeUrl: string, version: string, nonce: string, error?: string): DiscoveryRequest {
    const s = isSubscribedType(typeUrl) ? this.type(typeUrl) : undefined;
    return create(DiscoveryRequestSchema, {
      typeUrl,
      versionInfo: version,
      responseNonce: nonce,
      resourceNames: s?.names ?? [],
      ...(error === undefined ? {} : { errorDetail: { code: InvalidArgument, message: error } }),
    });
  }

  /** The accepted sets with this response in: CDS/LDS replace (state of the world), EDS/RDS merge by name. */
  private merge(typeUrl: SubscribedType, translated: Translated[], names: string[] | undefined): Accepted {
    const next: Accepted = { ...this.accepted };
    const wanted = names === undefined ? undefined : new Set(names);
    switch (typeUrl) {
      case TypeUrls.cluster:
        next.clusters = new Map(translated.map((t) => [t.name, t.value as TranslatedCluster]));
        break;
      case TypeUrls.listener:
        next.listeners = new Map(translated.map((t) => [t.name, t.value as TranslatedListener]));
        break;
      case TypeUrls.clusterLoadAssignment:
        next.endpoints = new Map(this.accepted.endpoints);
        for (const t of translated) if (!wanted || wanted.has(t.name)) next.endpoints.set(t.name, t.value as M.LbEndpoint[]);
        break;
      case TypeUrls.routeConfiguration:
        next.routes = new Map(this.accepted.routes);
        for (const t of translated) if (!wanted || wanted.has(t.name)) next.routes.set(t.name, t.value as M.RouteConfiguration);
        break;
    }
    return next;
  }
}
