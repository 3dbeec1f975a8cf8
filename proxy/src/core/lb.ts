/**
 * Load-balancer pickers (pure). Each picker chooses among the *healthy* endpoints it is given;
 * randomness and per-endpoint load are passed in. Weights are honoured by round robin
 * (smooth weighted round robin, as nginx), random and ring hash; least request uses Envoy's
 * power-of-two-choices weighted by active requests.
 */
import type { LbPolicy } from '../config/model';

export interface LbHost {
  key: string;
  weight: number;
}

export interface PickContext {
  /** Uniform in [0, 1); called as often as the picker needs. */
  random(): number;
  /** Active requests on a host (least request). */
  activeRequests(key: string): number;
  /** Hash of the request (ring hash); undefined → random pick. */
  hash?: bigint;
}

export interface Picker {
  pick(ctx: PickContext): LbHost | undefined;
}

export function createPicker(policy: LbPolicy, hosts: readonly LbHost[], ringSize = 1024): Picker {
  switch (policy) {
    case 'round-robin':
      return new RoundRobin(hosts);
    case 'least-request':
      return new LeastRequest(hosts);
    case 'random':
      return new RandomPick(hosts);
    case 'ring-hash':
      return new RingHash(hosts, ringSize);
  }
}

class RoundRobin implements Picker {
  private readonly current: number[];
  private readonly total: number;
  constructor(private readonly hosts: readonly LbHost[]) {
    this.current = hosts.map(() => 0);
    this.total = hosts.reduce((s, h) => s + h.weight, 0);
  }
  pick(): LbHost | undefined {
    if (this.hosts.length === 0) return undefined;
    let best = 0;
    for (let i = 0; i < this.hosts.length; i++) {
      this.current[i]! += this.hosts[i]!.weight;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.hosts[best];
  }
}

function weightedRandom(hosts: readonly LbHost[], r: number): LbHost | undefined {
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  let point = r * total;
  for (const h of hosts) {
    if (point < h.weight) return h;
    point -= h.weight;
  }
  return hosts[hosts.length - 1];
}

class RandomPick implements Picker {
  constructor(private readonly hosts: readonly LbHost[]) {}
  pick(ctx: PickContext): LbHost | undefined {
    return this.hosts.length === 0 ? undefined : weightedRandom(this.hosts, ctx.random());
  }
}

class LeastRequest implements Picker {
  constructor(private readonly hosts: readonly LbHost[]) {}
  pick(ctx: PickContext): LbHost | undefined {
    const n = this.hosts.length;
    if (n <= 1) return this.hosts[0];
    const a = this.hosts[Math.floor(ctx.random() * n)]!;
    const b = this.hosts[Math.floor(ctx.random() * n)]!;
    // Envoy: effective load = active / weight; fewer wins.
    return ctx.activeRequests(a.key) / a.weight <= ctx.activeRequests(b.key) / b.weight ? a : b;
  }
}

/** 64-bit FNV-1a; stable across processes (the ring and request hashes must agree everywhere). */
export function hash64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i) & 0xff);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    if (text.charCodeAt(i) > 0xff) {
      h ^= BigInt(text.charCodeAt(i) >> 8);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  // Final avalanche (splitmix64) so similar keys spread over the ring.
  h ^= h >> 30n;
  h = (h * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  h ^= h >> 27n;
  h = (h * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  h ^= h >> 31n;
  return h;
}

class RingHash implements Picker {
  private readonly ring: { point: bigint; host: LbHost }[] = [];
  constructor(private readonly hosts: readonly LbHost[], ringSize: number) {
    if (hosts.length === 0) return;
    const total = hosts.reduce((s, h) => s + h.weight, 0);
    for (const host of hosts) {
      const replicas = Math.max(1, Math.round((ringSize * host.weight) / total));
      for (let i = 0; i < replicas; i++) this.ring.push({ point: hash64(`${host.key}_${i}`), host });
    }
    this.ring.sort((x, y) => (x.point < y.point ? -1 : x.point > y.point ? 1 : 0));
  }
  pick(ctx: PickContext): LbHost | undefined {
    if (this.ring.length === 0) return undefined;
    if (ctx.hash === undefined) return weightedRandom(this.hosts, ctx.random());
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.point < ctx.hash) lo = mid + 1;
      else hi = mid;
    }
    return this.ring[lo === this.ring.length ? 0 : lo]!.host;
  }
}
