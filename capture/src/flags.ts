/**
 * Flags of `skein init-network` (the webhook renders exactly these into the init container) and
 * their validation. Every bad value is a UsageError that names the flag.
 */
import { parseArgs } from 'node:util';
import { UsageError, usageErrors } from '../../api/src/command';
import { type Cidr, parseCidr as parseAddressRange } from '../../api/src/net';
import { type CaptureConfig, defaultCaptureConfig } from './core/capture-rules';

export type Ipv6Mode = 'auto' | 'on' | 'off';
export type BackendMode = 'auto' | 'nft' | 'legacy';

export interface InitNetworkOptions {
  config: CaptureConfig;
  ipv6: Ipv6Mode;
  backend: BackendMode;
  dryRun: boolean;
  cleanup: boolean;
}

export const initNetworkUsage = `Usage: skein init-network [options]

Installs the pod's iptables rules (nat table, chains SKEIN_*) that send every TCP connection in
and out of the pod through the sidecar proxy. Runs as the skein-init container (NET_ADMIN, NET_RAW).

Options (lists are comma separated; an empty value means none):
  --proxy-uid UID                 UID of the proxy; its traffic is not captured (default 1337)
  --proxy-gid GID                 GID of the proxy; its traffic is not captured (default 1337)
  --inbound-capture-port PORT     where inbound TCP is redirected (default 15006)
  --outbound-capture-port PORT    where outbound TCP is redirected (default 15001)
  --include-inbound-ports '*'|LIST  '*' = all inbound ports but the excluded ones; LIST = only these
  --exclude-inbound-ports LIST    never captured inbound (15090,15021,15020 always are)
  --include-outbound-cidrs '*'|LIST '*' = all destinations; LIST = only these (IPv4 and IPv6 CIDRs)
  --exclude-outbound-cidrs LIST   destinations never captured
  --exclude-outbound-ports LIST   destination ports never captured
  --ipv6 auto|on|off              ip6tables rules too: auto = when the pod has a global IPv6 address
  --iptables-backend auto|nft|legacy  auto = the backend the pod's rules are already in, else
                                  the image's default iptables
  --dry-run                       print the iptables-restore scripts, change nothing
  --cleanup                       remove Skein's rules and chains, leave everything else as it was
`;

const flagNames = {
  proxyUid: 'proxy-uid',
  proxyGid: 'proxy-gid',
  inboundCapturePort: 'inbound-capture-port',
  outboundCapturePort: 'outbound-capture-port',
  includeInboundPorts: 'include-inbound-ports',
  excludeInboundPorts: 'exclude-inbound-ports',
  includeOutboundCidrs: 'include-outbound-cidrs',
  excludeOutboundCidrs: 'exclude-outbound-cidrs',
  excludeOutboundPorts: 'exclude-outbound-ports',
} as const;

function bad(flag: string, value: string, why: string): UsageError {
  return new UsageError(`--${flag}: invalid value "${value}": ${why}`);
}

export function parsePort(flag: string, text: string): number {
  const value = text.trim();
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw bad(flag, text, 'expected a port number 1-65535');
  return Number(value);
}

export function parsePortList(flag: string, text: string): number[] {
  if (text.trim() === '') return [];
  return [...new Set(text.split(',').map((item) => {
    if (item.trim() === '*') throw bad(flag, text, "'*' is not allowed here; give a list of ports");
    if (item.includes('-') || item.includes(':')) throw bad(flag, text, 'port ranges are not supported; list the ports');
    return parsePort(flag, item);
  }))];
}

function parseId(flag: string, text: string): number {
  const value = text.trim();
  if (!/^\d{1,10}$/.test(value) || Number(value) > 4294967294) throw bad(flag, text, 'expected a numeric id');
  if (Number(value) === 0) throw bad(flag, text, 'must not be 0: all of root\'s traffic would bypass the proxy');
  return Number(value);
}

/** `10.0.0.0/8`, `10.1.2.3` (→ /32), `fd00::/8`, `::1` (→ /128). */
export function parseCidr(flag: string, text: string): Cidr {
  const cidr = parseAddressRange(text, { bareAddress: true });
  if ('error' in cidr) throw bad(flag, text, cidr.error);
  return cidr;
}

export function parseCidrList(flag: string, text: string): Cidr[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    if (item.trim() === '*') throw bad(flag, text, "'*' is not allowed here; give a list of CIDRs");
    return parseCidr(flag, item);
  });
}

/** `*` or a list (an empty list means nothing is included). */
function parseSelection<T>(flag: string, text: string, parseList: (flag: string, text: string) => T[]): '*' | T[] {
  return text.trim() === '*' ? '*' : parseList(flag, text);
}

function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw bad(flag, text, `expected ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`);
}

/** Parses and validates the command line of `skein init-network`. */
export function parseInitNetworkArgs(args: readonly string[]): InitNetworkOptions {
  const string = { type: 'string' } as const;
  const { values } = usageErrors(() =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.values(flagNames).map((name) => [name, string])),
        ipv6: { type: 'string', default: 'auto' },
        'iptables-backend': { type: 'string', default: 'auto' },
        'dry-run': { type: 'boolean', default: false },
        cleanup: { type: 'boolean', default: false },
      },
    }),
  );
  const get = (name: string): string | undefined => {
    const value = (values as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  const d = defaultCaptureConfig;
  const opt = <T>(name: string, parse: (flag: string, text: string) => T, fallback: T): T => {
    const text = get(name);
    return text === undefined ? fallback : parse(name, text);
  };
  const config: CaptureConfig = {
    proxyUid: opt(flagNames.proxyUid, parseId, d.proxyUid),
    proxyGid: opt(flagNames.proxyGid, parseId, d.proxyGid),
    inboundCapturePort: opt(flagNames.inboundCapturePort, parsePort, d.inboundCapturePort),
    outboundCapturePort: opt(flagNames.outboundCapturePort, parsePort, d.outboundCapturePort),
    includeInboundPorts: opt(flagNames.includeInboundPorts, (f, t) => parseSelection(f, t, parsePortList), d.includeInboundPorts),
    excludeInboundPorts: opt(flagNames.excludeInboundPorts, parsePortList, d.excludeInboundPorts),
    includeOutboundCidrs: opt(flagNames.includeOutboundCidrs, (f, t) => parseSelection(f, t, parseCidrList), d.includeOutboundCidrs),
    excludeOutboundCidrs: opt(flagNames.excludeOutboundCidrs, parseCidrList, d.excludeOutboundCidrs),
    excludeOutboundPorts: opt(flagNames.excludeOutboundPorts, parsePortList, d.excludeOutboundPorts),
  };
  if (config.inboundCapturePort === config.outboundCapturePort) {
    throw bad(flagNames.outboundCapturePort, String(config.outboundCapturePort), 'must differ from --inbound-capture-port');
  }
  const dryRun = values['dry-run'] === true;
  const cleanup = values.cleanup === true;
  if (dryRun && cleanup) throw new UsageError('--dry-run and --cleanup cannot be combined');
  return {
    config,
    ipv6: parseChoice<Ipv6Mode>('ipv6', get('ipv6') ?? 'auto', ['auto', 'on', 'off']),
    backend: parseChoice<BackendMode>('iptables-backend', get('iptables-backend') ?? 'auto', ['auto', 'nft', 'legacy']),
    dryRun,
    cleanup,
  };
}
