/**
 * Traffic-capture settings of one pod: defaults plus the pod's `traffic.skein.dev/*` annotations,
 * turned into the flags of `skein init-network`. Invalid annotation values refuse the pod with a
 * message naming the annotation: a capture setting silently ignored is a security hole.
 */
import { Annotations, ExcludedInboundPorts, ProxyGid, ProxyPorts, ProxyUid } from '../../../api/src/names';
import { parseCidr } from '../../../api/src/net';
import { InjectionError } from './types';

export interface CaptureSettings {
  excludeInboundPorts: number[];
  /** `*` = every port not excluded; otherwise only these. */
  includeInboundPorts: '*' | number[];
  excludeOutboundPorts: number[];
  excludeOutboundCidrs: string[];
  /** `*` = every destination; otherwise only these CIDRs are redirected. */
  includeOutboundCidrs: '*' | string[];
}

function listItems(annotation: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InjectionError(`annotation ${annotation}: "${value}" has an empty item; expected a comma-separated list`);
  return items;
}

function parsePorts(annotation: string, value: string): number[] {
  if (value.trim() === '') return [];
  return listItems(annotation, value).map((item) => {
    const port = /^\d{1,5}$/.test(item) ? Number(item) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new InjectionError(`annotation ${annotation}: "${item}" is not a port (1-65535)`);
    return port;
  });
}

function parseCidrs(annotation: string, value: string): string[] {
  if (value.trim() === '') return [];
  return listItems(annotation, value).map((item) => {
    if ('error' in parseCidr(item, { bareAddress: false })) throw new InjectionError(`annotation ${annotation}: "${item}" is not a CIDR (e.g. 10.0.0.0/8 or fd00::/8)`);
    return item;
  });
}

function star<T>(annotation: string, value: string | undefined, parse: (a: string, v: string) => T[]): '*' | T[] {
  if (value === undefined || value.trim() === '*') return '*';
  const list = parse(annotation, value);
  if (list.length === 0) throw new InjectionError(`annotation ${annotation}: empty; use "*" for all or list the values`);
  return list;
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];

export function captureSettings(annotations: Record<string, string>): CaptureSettings {
  const get = (name: string) => annotations[name];
  return {
    excludeInboundPorts: unique([...ExcludedInboundPorts, ...parsePorts(Annotations.excludeInboundPorts, get(Annotations.excludeInboundPorts) ?? '')]),
    includeInboundPorts: star(Annotations.includeInboundPorts, get(Annotations.includeInboundPorts), parsePorts),
    excludeOutboundPorts: unique(parsePorts(Annotations.excludeOutboundPorts, get(Annotations.excludeOutboundPorts) ?? '')),
    excludeOutboundCidrs: unique(parseCidrs(Annotations.excludeOutboundIPRanges, get(Annotations.excludeOutboundIPRanges) ?? '')),
    includeOutboundCidrs: star(Annotations.includeOutboundIPRanges, get(Annotations.includeOutboundIPRanges), parseCidrs),
  };
}

/**
 * The flags of `skein init-network` (agreed with capture/src/flags.ts): the init container's
 * arguments, and in CNI mode the pod's cni.skein.dev/capture annotation. Empty lists are left out.
 */
export function captureFlags(settings: CaptureSettings): string[] {
  const list = (values: '*' | (string | number)[]) => (values === '*' ? '*' : values.join(','));
  const args = [
    '--proxy-uid', String(ProxyUid),
    '--proxy-gid', String(ProxyGid),
    '--inbound-capture-port', String(ProxyPorts.inbound),
    '--outbound-capture-port', String(ProxyPorts.outbound),
    '--exclude-inbound-ports', list(settings.excludeInboundPorts),
    '--include-inbound-ports', list(settings.includeInboundPorts),
  ];
  if (settings.excludeOutboundPorts.length > 0) args.push('--exclude-outbound-ports', list(settings.excludeOutboundPorts));
  if (settings.excludeOutboundCidrs.length > 0) args.push('--exclude-outbound-cidrs', list(settings.excludeOutboundCidrs));
  args.push('--include-outbound-cidrs', list(settings.includeOutboundCidrs));
  return args;
}

/** The argv of `skein init-network` for these settings. */
export function initNetworkArgs(settings: CaptureSettings): string[] {
  return ['init-network', ...captureFlags(settings)];
}
