/**
 * What the proxy's xDS protocols share (pure): the accepted resources, subscriptions that follow
 * them, warming, the snapshot handed to the data plane. The protocol — state of the world
 * (./ads-state.ts) or delta (./delta-state.ts) — decides how responses turn into accepted
 * resources and what the requests look like.
 *
 * - Subscriptions: CDS and LDS wildcard; EDS for the EDS clusters' service names; RDS for the route
 *   names the listeners reference. They change as accepted CDS/LDS change, and are re-sent with
 *   what is held when a stream starts (reconnect).
 * - Each response is translated and checked; a resource the proxy cannot honour NACKs the whole
 *   response (error_detail naming resource and field) and nothing changes: the proxy keeps its last
 *   good version. Otherwise it is accepted and ACKed.
 * - Ordering and warming as Envoy: a snapshot is applied only when it is complete, i.e. every EDS
 *   cluster has its ClusterLoadAssignment and every RDS name its RouteConfiguration (or their
 *   initial fetch timed out: no endpoints / no routes, as Envoy), so listeners never go live before
 *   the clusters and routes they use. Until then the last applied snapshot keeps serving.
 * - A snapshot whose references do not resolve yet (a route naming a cluster CDS has not sent) is
 *   not applied either; it waits for the update that completes it.
 */
import type { Node } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import { TypeUrls } from '../../../../api/src/xds/type-urls';
import type * as M from '../../config/model';
import { ConfigError, validateConfig } from '../../config/validate';
import type { ListenerContext } from './listener';
import { ResourceLabels, SubscribedTypes, type SubscribedType, type TranslatedCluster, type TranslatedListener } from './resources';

/** google.rpc.Code INVALID_ARGUMENT, the code Envoy puts in a NACK's error_detail. */
export const InvalidArgument = 3;

export interface AcceptedVersion {
  version: string;
  nonce: string;
  /** Clock value (ms) when it was accepted. */
  at: number;
}

export interface NackRecord {
  typeUrl: string;
  /** Version the server sent and the proxy refused. */
  rejectedVersion: string;
  nonce: string;
  message: string;
  at: number;
}

export interface AdsStatus {
  /** Last accepted version per type URL (delta: the response's system_version_info). */
  lastAccepted: Partial<Record<SubscribedType, AcceptedVersion>>;
  lastNack?: NackRecord;
  /** Version label of the snapshot last handed to the proxy. */
  appliedVersion?: string;
  /** Why the newest accepted resources are not applied yet (warming, unresolved references). */
  waitingFor?: string;
  /** Current subscriptions (undefined = wildcard). */
  subscriptions: Partial<Record<SubscribedType, string[] | undefined>>;
}

/** Result of handling a response. */
export type Step<Req> =
  | { kind: 'nack'; requests: Req[]; message: string }
  | {
      kind: 'accept';
      /** A new snapshot to apply before committing, if the applied config changes. */
      config?: M.ProxyConfig;
      /** The snapshot applied (or there was none): ACK, plus subscription changes. */
      commit(): Req[];
      /** Applying the snapshot failed: NACK with this reason; the state is as before the response. */
      abort(reason: string): Req[];
    };

/** What every protocol state offers the client shell (proxy/src/xds/client.ts). */
export interface XdsProtocolState<Req, Res> {
  readonly config: M.ProxyConfig | undefined;
  snapshotStatus(): AdsStatus;
  /** The version last accepted for a type ('' when none). */
  acceptedVersion(typeUrl: string): string;
  /** Requests that open a stream (the first carries the node). */
  streamStart(): Req[];
  onResponse(response: Res): Step<Req>;
  missing(): string[];
  expireMissing(): Step<Req>;
}

export interface TypeState {
  /** undefined = wildcard. */
  names: string[] | undefined;
  /** Version label of the last accepted response. */
  version: string;
  nonce: string;
  received: boolean;
  /** Initial fetch timed out: missing resources of this type count as empty. */
  expired: boolean;
}

export interface Accepted {
  clusters: Map<string, TranslatedCluster>;
  endpoints: Map<string, M.LbEndpoint[]>;
  listeners: Map<string, TranslatedListener>;
  routes: Map<string, M.RouteConfiguration>;
}

export interface AdsStateOptions {
  node: Node;
  nodeInfo: M.NodeInfo;
  listenerContext: ListenerContext;
  now: () => number;
}

/** An accepted response, for the version label and the NACK that aborting it sends. */
export interface Incoming {
  typeUrl: SubscribedType;
  version: string;
  nonce: string;
}

const sortedUnique = (names: Iterable<string>): string[] => [...new Set(names)].sort();

export abstract class XdsState<Req, Res> implements XdsProtocolState<Req, Res> {
  protected readonly types = new Map<SubscribedType, TypeState>();
  protected accepted: Accepted = { clusters: new Map(), endpoints: new Map(), listeners: new Map(), routes: new Map() };
  private applied: M.ProxyConfig | undefined;
  private appliedJson = '';
  protected readonly status: AdsStatus = { lastAccepted: {}, subscriptions: {} };

  constructor(protected readonly options: AdsStateOptions) {
    for (const t of SubscribedTypes) {
      const wildcard = t === TypeUrls.cluster || t === TypeUrls.listener;
      this.types.set(t, { names: wildcard ? undefined : [], version: '', nonce: '', received: false, expired: false });
    }
    this.refreshStatus();
  }

  abstract streamStart(): Req[];
  abstract onResponse(response: Res): Step<Req>;
  /** A NACK of `incoming` with `message` (records it in the status). */
  protected abstract nackRequests(incoming: Incoming, message: string): Req[];
  /** Requests that change the subscription of `t` from `before` to `after` (named types). */
  protected abstract subscriptionChange(t: SubscribedType, before: string[], after: string[]): Req[];
  /** Called on commit when subscriptions drop names: the protocol forgets what it held under them. */
  protected forget(_t: SubscribedType, _names: string[]): void {}

  /** The snapshot last handed out (what the proxy runs), if any. */
  get config(): M.ProxyConfig | undefined {
    return this.applied;
  }

  snapshotStatus(): AdsStatus {
    return structuredClone(this.status);
  }

  acceptedVersion(typeUrl: string): string {
    return this.status.lastAccepted[typeUrl as SubscribedType]?.version ?? '';
  }

  /** Whether some subscribed resource has not arrived yet (the shell arms the initial fetch timer). */
  missing(): string[] {
    const out: string[] = [];
    const need = (t: SubscribedType, names: string[], have: Map<string, unknown>) => {
      if (this.type(t).expired) return;
      for (const n of names) if (!have.has(n)) out.push(`${ResourceLabels[t]} ${n}`);
    };
    for (const t of [TypeUrls.cluster, TypeUrls.listener] as const) if (!this.type(t).received && !this.type(t).expired) out.push(`${ResourceLabels[t]} (initial response)`);
    need(TypeUrls.clusterLoadAssignment, this.type(TypeUrls.clusterLoadAssignment).names ?? [], this.accepted.endpoints);
    need(TypeUrls.routeConfiguration, this.type(TypeUrls.routeConfiguration).names ?? [], this.accepted.routes);
    return out;
  }

  /**
   * The initial fetch timed out: what is still missing counts as empty from now on (EDS clusters
   * without endpoints, listeners whose routes answer 404), as Envoy's initial_fetch_timeout.
   */
  expireMissing(): Step<Req> {
    for (const s of this.types.values()) s.expired = true;
    return this.acceptStep(undefined, this.accepted, () => []);
  }

  protected type(t: SubscribedType): TypeState {
    return this.types.get(t)!;
  }

  /** Records a rejected response in the status. */
  protected recordNack(incoming: Incoming, message: string): void {
    this.status.lastNack = { typeUrl: incoming.typeUrl, rejectedVersion: incoming.version, nonce: incoming.nonce, message, at: this.options.now() };
  }

  /** Marks a type's response accepted (called from the protocol's ack callback). */
  protected recordAccepted(incoming: Incoming): void {
    const s = this.type(incoming.typeUrl);
    s.version = incoming.version;
    s.nonce = incoming.nonce;
    s.received = true;
    this.status.lastAccepted[incoming.typeUrl] = { version: incoming.version, nonce: incoming.nonce, at: this.options.now() };
  }

  protected nackStep(incoming: Incoming, message: string): Step<Req> {
    return { kind: 'nack', message, requests: this.nackRequests(incoming, message) };
  }

  /**
   * Builds the step for accepted resources: the snapshot to apply (if complete, consistent and
   * different), and on commit the ACK plus EDS/RDS subscription updates.
   */
  protected acceptStep(incoming: Incoming | undefined, next: Accepted, ack: () => Req[]): Step<Req> {
    const edsNames = sortedUnique([...next.clusters.values()].flatMap((c) => (c.eds === undefined ? [] : [c.eds])));
    const rdsNames = sortedUnique([...next.listeners.values()].flatMap((l) => l.rds));
    const built = this.build(next, edsNames, rdsNames, incoming);
    if (built.error !== undefined && incoming !== undefined) return this.nackStep(incoming, built.error);
    // Only a change of content is applied: a new version label alone is ACKed, not re-applied.
    const contentJson = built.config === undefined ? '' : JSON.stringify({ ...built.config, version: '' });
    const changed = built.config !== undefined && contentJson !== this.appliedJson;
    const commit = (): Req[] => {
      this.accepted = { ...next, endpoints: prune(next.endpoints, edsNames), routes: prune(next.routes, rdsNames) };
      if (changed) {
        this.applied = built.config;
        this.appliedJson = contentJson;
      }
      this.status.waitingFor = built.waiting;
      const out = ack();
      out.push(...this.resubscribe(TypeUrls.clusterLoadAssignment, edsNames), ...this.resubscribe(TypeUrls.routeConfiguration, rdsNames));
      this.refreshStatus();
      return out;
    };
    const abort = (reason: string): Req[] => (incoming === undefined ? [] : this.nackRequests(incoming, reason));
    return { kind: 'accept', config: changed ? built.config : undefined, commit, abort };
  }

  private resubscribe(t: SubscribedType, names: string[]): Req[] {
    const s = this.type(t);
    const before = s.names ?? [];
    if (JSON.stringify(before) === JSON.stringify(names)) return [];
    s.names = names;
    // A new name starts a new initial fetch for it.
    s.expired = false;
    const kept = new Set(names);
    this.forget(t, before.filter((n) => !kept.has(n)));
    return this.subscriptionChange(t, before, names);
  }

  protected refreshStatus(): void {
    for (const t of SubscribedTypes) this.status.subscriptions[t] = this.type(t).names === undefined ? undefined : [...this.type(t).names!];
    this.status.appliedVersion = this.applied?.version;
  }

  /** The snapshot of `next`, or why there is none yet (`waiting`), or a NACK reason (`error`). */
  private build(next: Accepted, edsNames: string[], rdsNames: string[], incoming?: Incoming): { config?: M.ProxyConfig; waiting?: string; error?: string } {
    const missing: string[] = [];
    const cds = this.type(TypeUrls.cluster);
    const lds = this.type(TypeUrls.listener);
    const eds = this.type(TypeUrls.clusterLoadAssignment);
    const rds = this.type(TypeUrls.routeConfiguration);
    // `received` flips on commit, so the type being accepted now counts through `next`.
    if (!cds.received && !cds.expired && next.clusters === this.accepted.clusters) missing.push('the first CDS response');
    if (!lds.received && !lds.expired && next.listeners === this.accepted.listeners) missing.push('the first LDS response');
    const endpoints: M.ClusterLoadAssignment[] = [];
    for (const c of next.clusters.values()) {
      if (c.eds === undefined) continue;
      const lb = next.endpoints.get(c.eds);
      if (lb === undefined && !(eds.expired && eds.names?.includes(c.eds))) missing.push(`ClusterLoadAssignment ${c.eds}`);
      endpoints.push({ clusterName: c.model.name, endpoints: lb ?? [] });
    }
    const routeConfigs: M.RouteConfiguration[] = [];
    for (const name of rdsNames) {
      const rc = next.routes.get(name);
      if (rc === undefined && !(rds.expired && rds.names?.includes(name))) missing.push(`RouteConfiguration ${name}`);
      routeConfigs.push(rc ?? { name, virtualHosts: [] });
    }
    if (missing.length) return { waiting: `waiting for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}` };
    const versionOf = (t: SubscribedType): string => (incoming?.typeUrl === t ? incoming.version : this.type(t).version);
    const version = SubscribedTypes.map((t) => `${ResourceLabels[t]}=${versionOf(t) || '-'}`).join(' ');
    const candidate = {
      version,
      node: this.options.nodeInfo,
      listeners: [...next.listeners.values()].map((l) => l.model),
      routeConfigs,
      clusters: [...next.clusters.values()].map((c) => c.model),
      endpoints,
    };
    try {
      return { config: validateConfig(candidate) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const message = describe(err.message, candidate);
      // A reference to something another type has not delivered yet: wait for it, as Envoy warms.
      if (/unknown (cluster|route configuration) "/.test(err.message)) return { waiting: `unresolved reference: ${message}` };
      return { error: message };
    }
  }
}

function prune<T>(map: Map<string, T>, keep: string[]): Map<string, T> {
  const wanted = new Set(keep);
  return new Map([...map].filter(([k]) => wanted.has(k)));
}

/** `listeners[2].filterChains[0]…: msg` → `Listener virtualInbound: filterChains[0]…: msg (model field)`. */
function describe(message: string, c: { listeners: M.Listener[]; routeConfigs: M.RouteConfiguration[]; clusters: M.Cluster[]; endpoints: M.ClusterLoadAssignment[] }): string {
  const m = /^(listeners|routeConfigs|clusters|endpoints)\[(\d+)\]\.?(.*)$/s.exec(message);
  if (!m) return message;
  const i = Number(m[2]);
  const label = { listeners: `Listener ${c.listeners[i]?.name}`, routeConfigs: `RouteConfiguration ${c.routeConfigs[i]?.name}`, clusters: `Cluster ${c.clusters[i]?.name}`, endpoints: `ClusterLoadAssignment ${c.endpoints[i]?.clusterName}` }[m[1] as 'listeners'];
  return `${label}: ${m[3]} (model field)`;
}
