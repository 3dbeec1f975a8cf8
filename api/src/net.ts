/**
 * IP address and CIDR syntax, in one place for every part that reads them from people (webhook
 * annotations, init-network flags). Pure string checks: no `node:net` needed.
 */
export type IpFamily = 'ipv4' | 'ipv6';

export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const all = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    // An embedded IPv4 tail (::ffff:10.0.0.1) fills two groups.
    if (!isIpv4(last)) return false;
    all.pop();
    count += 1;
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function ipFamily(text: string): IpFamily | undefined {
  return isIpv4(text) ? 'ipv4' : isIpv6(text) ? 'ipv6' : undefined;
}

export interface Cidr {
  family: IpFamily;
  /** Normalised `ADDRESS/PREFIX` (a bare address gets /32 or /128). */
  text: string;
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8`, and — when `bareAddress` is allowed — `10.1.2.3` (→ /32) or
 * `::1` (→ /128). Returns a reason instead of throwing, so each caller words its own error.
 */
export function parseCidr(text: string, options: { bareAddress: boolean }): Cidr | { error: string } {
  const [address = '', prefix, extra] = text.trim().split('/');
  if (extra !== undefined) return { error: 'expected ADDRESS/PREFIX' };
  const family = ipFamily(address);
  if (!family) return { error: `"${address}" is not an IPv4 or IPv6 address` };
  const max = family === 'ipv4' ? 32 : 128;
  if (prefix === undefined) {
    return options.bareAddress ? { family, text: `${address}/${max}` } : { error: 'expected ADDRESS/PREFIX (e.g. 10.0.0.0/8 or fd00::/8)' };
  }
  if (!/^(0|[1-9]\d{0,2})$/.test(prefix) || Number(prefix) > max) return { error: `prefix length must be 0-${max}` };
  return { family, text: `${address}/${prefix}` };
}

/**
 * The TLS name to verify when dialling the control plane at `address` (`host:port`). An IP address
 * is not a valid TLS server name (SNI): then the control plane's Service name is used, which every
 * serving certificate of the control plane carries.
 */
export function controlPlaneTlsName(address: string, controlPlaneHost: string): string {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return ipFamily(host) ? controlPlaneHost : host;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Whether `ip` lies in `cidr` (`10.0.0.0/8`, or a bare address). IPv6 ranges compare exactly. */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenText] = cidr.split('/');
  if (!base) return false;
  if (!isIpv4(base) || !isIpv4(ip)) return base === ip;
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) return false;
  const mask = len === 0 ? 0 : 2 ** 32 - 2 ** (32 - len);
  return (ipv4ToInt(base) & mask) >>> 0 === ((ipv4ToInt(ip) & mask) >>> 0);
}
