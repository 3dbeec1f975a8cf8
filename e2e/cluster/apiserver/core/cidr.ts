/** ClusterIP allocation from the service CIDR (IPv4): the first address is the `kubernetes` Service's. Pure. */

export interface Cidr {
  base: number;
  size: number;
  text: string;
}

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

export function parseCidr(text: string): Cidr {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!m || m[1]!.split('.').some((o) => Number(o) > 255) || Number(m[2]) < 8 || Number(m[2]) > 30) throw new Error(`service CIDR ${text}: expected an IPv4 CIDR between /8 and /30`);
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  return { base: toInt(m[1]!) - (toInt(m[1]!) % size), size, text };
}

export function contains(cidr: Cidr, ip: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
  const n = toInt(ip);
  return n > cidr.base && n < cidr.base + cidr.size - 1;
}

/** The address of the `kubernetes` Service (the first usable one). */
export const firstAddress = (cidr: Cidr): string => toIp(cidr.base + 1);

/** The lowest free address (after the first), or undefined when the range is full. */
export function nextFree(cidr: Cidr, allocated: ReadonlySet<string>): string | undefined {
  for (let n = cidr.base + 2; n < cidr.base + cidr.size - 1; n++) {
    const ip = toIp(n);
    if (!allocated.has(ip)) return ip;
  }
  return undefined;
}
