/**
 * Address plan of a mesh: pod addresses from a /24 (gateway .1 on the bridge, pods from .2) and
 * ClusterIP-style VIPs from another /24. VIPs are never assigned to an interface: they only exist as
 * destinations that the pods' iptables capture redirects to the proxy.
 */

export interface Cidr24 {
  /** The first three octets, e.g. `10.77.0`. */
  prefix: string;
}

/** Parses `a.b.c.0/24`; other prefix lengths are rejected (the harness keeps its plan simple). */
export function parseCidr24(cidr: string): Cidr24 {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(cidr.trim());
  const octets = m ? [m[1], m[2], m[3]].map(Number) : [];
  if (!m || octets.some((o) => o > 255)) throw new Error(`invalid CIDR "${cidr}": expected a /24 such as 10.77.0.0/24`);
  return { prefix: octets.join('.') };
}

/** Hands out host addresses `.first`..`.254` of a /24, in order, and never the same twice. */
export class AddressPool {
  private next: number;

  constructor(
    private readonly cidr: Cidr24,
    first: number,
    private readonly what: string,
  ) {
    this.next = first;
  }

  allocate(): string {
    if (this.next > 254) throw new Error(`no ${this.what} addresses left in ${this.cidr.prefix}.0/24`);
    return `${this.cidr.prefix}.${this.next++}`;
  }
}

export interface AddressPlan {
  podCidr: Cidr24;
  vipCidr: Cidr24;
  /** The bridge's address, the pods' default gateway. */
  gateway: string;
  pods: AddressPool;
  vips: AddressPool;
}

export function addressPlan(podCidr: string, vipCidr: string): AddressPlan {
  const pods = parseCidr24(podCidr);
  const vips = parseCidr24(vipCidr);
  if (pods.prefix === vips.prefix) throw new Error(`pod CIDR and VIP CIDR must differ (both are ${podCidr})`);
  return {
    podCidr: pods,
    vipCidr: vips,
    gateway: `${pods.prefix}.1`,
    pods: new AddressPool(pods, 2, 'pod'),
    vips: new AddressPool(vips, 10, 'service VIP'),
  };
}

/**
 * Hands out host addresses `.first`..`.254` of a /24 and takes them back: the next address is
 * the one after the last handed out (wrapping around), so a released address is reused as late
 * as possible — stale ARP entries and conntrack state of a gone pod never meet its successor.
 */
export class ReusableAddressPool {
  private readonly inUse = new Set<number>();
  private last: number;

  constructor(
    private readonly cidr: Cidr24,
    private readonly first: number,
    private readonly what: string,
  ) {
    if (!Number.isInteger(first) || first < 1 || first > 254) throw new Error(`invalid first host ${first}`);
    this.last = first - 1;
  }

  allocate(): string {
    const size = 255 - this.first;
    for (let i = 1; i <= size; i++) {
      const host = this.first + ((this.last - this.first + i) % size);
      if (this.inUse.has(host)) continue;
      this.inUse.add(host);
      this.last = host;
      return `${this.cidr.prefix}.${host}`;
    }
    throw new Error(`no ${this.what} addresses left in ${this.cidr.prefix}.0/24`);
  }

  release(address: string): void {
    const m = /^(\d+\.\d+\.\d+)\.(\d+)$/.exec(address);
    if (m && m[1] === this.cidr.prefix) this.inUse.delete(Number(m[2]));
  }
}
