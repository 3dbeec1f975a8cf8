/**
 * Incremental (delta) xDS for one stream and one resource type, without sockets or clocks (pure).
 *
 * It keeps what the proxy subscribed to and what the proxy holds, and turns a snapshot into the
 * next DeltaDiscoveryResponse: the resources whose version differs from what the proxy holds, and
 * `removed_resources` for what it holds that is gone. Per the xDS protocol
 * (envoyproxy.io, "xDS REST and gRPC protocol", incremental variants):
 * - Subscriptions: `*` is the wildcard; a first request that subscribes to nothing is the legacy
 *   wildcard. Named subscriptions add and remove names; `*` can be unsubscribed.
 * - `initial_resource_versions` (first request of a type on a stream: a reconnect) says what the
 *   proxy already holds, so only what differs is sent — nothing at all when it is current.
 * - One response per type is in flight at a time; the next is computed when it is ACKed or NACKed,
 *   from the newest snapshot (a proxy that is slow to ACK gets the latest state, not every step).
 * - ACK: the proxy holds what the response said. NACK: it kept what it had; the rejected versions
 *   are not sent again until some resource of that response changes (then the whole rejected
 *   response is reconsidered: it was refused as a unit).
 * - The first request of a type is always answered once a snapshot exists, even with nothing in
 *   it, so that the proxy knows it is current.
 *
 * What the proxy holds is kept as a reference to the resources of the snapshot it last ACKed plus a
 * small overlay of differences, so a stream costs little memory however many resources it holds,
 * and resources of a part that is the same object in both snapshots are not even compared.
 */
import { type Part, type TypeResources, type VersionedResource } from './snapshot';

export const WildcardName = '*';

/** The parts of a DeltaDiscoveryRequest this type's state reads. */
export interface DeltaRequestFields {
  subscribe: readonly string[];
  unsubscribe: readonly string[];
  /** Only honoured on the first request of the type on this stream. */
  initialVersions: Readonly<Record<string, string>>;
  /** '' when the request answers no response. */
  nonce: string;
  /** error_detail.message: present on a NACK. */
  error?: string;
}

/** What a request was, as far as responses go. */
export type DeltaVerdict =
  /** Answers the response in flight: the proxy accepted it. */
  | 'ack'
  /** Answers the response in flight: the proxy rejected it. */
  | 'nack'
  /** Names a nonce that is not the one in flight (old, or unknown): only its subscription changes count. */
  | 'stale'
  /** Carries no nonce: a subscription change or the first request. */
  | 'request';

/** The next response to send: resources to add or update, names to remove. */
export interface DeltaResponsePlan {
  resources: VersionedResource[];
  removed: string[];
}

interface InFlight {
  nonce: string;
  /** The snapshot resources the response was computed from. */
  target: TypeResources;
  /** Name → version sent, or null for a removal. */
  entries: Map<string, string | null>;
  /** Names whose difference was not sent (a rejected version): what the proxy holds for them. */
  skipped: Map<string, string | null>;
}

export class DeltaWatch {
  private started = false;
  private wildcard = false;
  /** Explicitly subscribed names (never `*`). */
  private readonly names = new Set<string>();
  /** What the proxy holds: the resources of an ACKed snapshot … */
  private base: TypeResources | undefined;
  /** … overridden per name (null = holds nothing under that name). */
  private overlay = new Map<string, string | null>();
  private inFlight: InFlight | undefined;
  /** Subscription changes while a response is in flight (kept in the overlay when it is ACKed). */
  private readonly touched = new Set<string>();
  /** Responses the proxy rejected: their entries are not sent again until one of them changes. */
  private rejected: Map<string, string | null>[] = [];
  private owesFirstResponse = false;
  /** Planned, not yet written. */
  private pendingPlan: Omit<InFlight, 'nonce'> | undefined;

  /** True once the proxy asked for this type on this stream. */
  get active(): boolean {
    return this.started;
  }

  get isWildcard(): boolean {
    return this.wildcard;
  }

  /** Explicit subscriptions, sorted (for status pages and tests). */
  subscriptions(): string[] {
    return [...this.names].sort();
  }

  /** The nonce of the response in flight, if any. */
  get pendingNonce(): string | undefined {
    return this.inFlight?.nonce;
  }

  /** Applies a request; says whether it answered the response in flight. */
  onRequest(req: DeltaRequestFields): DeltaVerdict {
    let verdict: DeltaVerdict = 'request';
    if (req.nonce !== '') {
      if (!this.inFlight || req.nonce !== this.inFlight.nonce) verdict = 'stale';
      else if (req.error !== undefined && req.error !== '') {
        this.nacked(this.inFlight);
        verdict = 'nack';
      } else {
        this.acked(this.inFlight);
        verdict = 'ack';
      }
    }
    const first = !this.started;
    if (first) {
      this.started = true;
      this.owesFirstResponse = true;
      for (const [name, version] of Object.entries(req.initialVersions)) this.overlay.set(name, version);
      // Legacy wildcard: a first request that names nothing.
      if (req.subscribe.length === 0) this.wildcard = true;
    }
    for (const name of req.subscribe) this.subscribe(name, first && Object.hasOwn(req.initialVersions, name));
    for (const name of req.unsubscribe) this.unsubscribe(name);
    return verdict;
  }

  private subscribe(name: string, held: boolean): void {
    if (name === WildcardName) {
      this.wildcard = true;
      return;
    }
    if (this.names.has(name)) return;
    this.names.add(name);
    // A name the proxy did not hold before subscribing is one it does not hold now — except in
    // wildcard mode, where it already receives everything.
    if (!held && !this.wildcard) this.setHeld(name, null);
  }

  private unsubscribe(name: string): void {
    if (name === WildcardName) {
      if (!this.wildcard) return;
      // Keep what the explicit names hold; everything else is dropped by the proxy.
      const kept = new Map<string, string | null>();
      for (const n of this.names) kept.set(n, this.held(n) ?? null);
      this.wildcard = false;
      this.base = undefined;
      this.overlay = kept;
      return;
    }
    if (!this.names.delete(name)) return;
    // The proxy forgets an unsubscribed resource (in wildcard mode it keeps receiving it).
    if (!this.wildcard) this.setHeld(name, null);
  }

  private setHeld(name: string, version: string | null): void {
    this.overlay.set(name, version);
    if (this.inFlight) this.touched.add(name);
  }

  /** The version the proxy holds under `name` (undefined: nothing). */
  private held(name: string): string | undefined {
    if (this.overlay.has(name)) return this.overlay.get(name) ?? undefined;
    return this.base?.get(name)?.version;
  }

  private covers(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  private acked(sent: InFlight): void {
    this.inFlight = undefined;
    // The proxy now holds the target for every covered name, except what was skipped.
    const overlay = new Map<string, string | null>(sent.skipped);
    for (const name of this.touched) if (this.overlay.has(name)) overlay.set(name, this.overlay.get(name)!);
    this.base = sent.target;
    this.overlay = overlay;
    this.touched.clear();
    this.rejected = this.rejected.filter((batch) => ![...sent.entries.keys()].some((n) => batch.has(n)));
  }

  private nacked(sent: InFlight): void {
    this.inFlight = undefined;
    this.touched.clear();
    if (sent.entries.size > 0) this.rejected.push(sent.entries);
  }

  /**
   * The next response for `target`, or undefined when there is nothing to send (or a response is
   * still in flight). Call `sent(nonce)` after writing it.
   */
  plan(target: TypeResources): DeltaResponsePlan | undefined {
    if (!this.started || this.inFlight) return undefined;
    // A rejected response counts again as soon as one of its resources changed.
    this.rejected = this.rejected.filter((batch) => [...batch].every(([n, v]) => (target.get(n)?.version ?? null) === v));
    const resources: VersionedResource[] = [];
    const removed: string[] = [];
    const skipped = new Map<string, string | null>();
    const entries = new Map<string, string | null>();
    const seen = new Set<string>();
    const consider = (name: string, want: VersionedResource | undefined): void => {
      if (seen.has(name)) return;
      seen.add(name);
      if (!this.covers(name)) return;
      const has = this.held(name);
      if (want?.version === has) return;
      const wanted = want?.version ?? null;
      if (this.rejected.some((batch) => batch.has(name) && batch.get(name) === wanted)) {
        skipped.set(name, has ?? null);
        return;
      }
      if (want) {
        resources.push(want);
        entries.set(name, want.version);
      } else if (has !== undefined) {
        removed.push(name);
        entries.set(name, null);
      }
    };
    const baseParts = new Set<Part>(this.base?.parts ?? []);
    const targetParts = new Set<Part>(target.parts);
    for (const part of target.parts) {
      if (baseParts.has(part)) continue; // same object, same content: the proxy holds it already
      for (const r of part.byName.values()) consider(r.name, r);
    }
    for (const part of baseParts) {
      if (targetParts.has(part)) continue;
      for (const name of part.byName.keys()) consider(name, target.get(name));
    }
    for (const name of this.overlay.keys()) consider(name, target.get(name));
    if (!this.wildcard) for (const name of this.names) consider(name, target.get(name));
    if (resources.length === 0 && removed.length === 0 && !this.owesFirstResponse) {
      // Nothing to send; the proxy holds the target (apart from what it rejected).
      if (skipped.size === 0) {
        this.base = target;
        this.overlay = new Map();
      }
      return undefined;
    }
    this.pendingPlan = { target, entries, skipped };
    return { resources, removed };
  }

  /** The planned response was written with this nonce. */
  sent(nonce: string): void {
    if (!this.pendingPlan) throw new Error('delta: sent() without a plan');
    this.inFlight = { ...this.pendingPlan, nonce };
    this.pendingPlan = undefined;
    this.owesFirstResponse = false;
    this.touched.clear();
  }
}
