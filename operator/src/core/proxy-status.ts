/**
 * `skein proxy-status`: every connected proxy, its CDS/LDS/EDS/RDS state, config generation and
 * certificate expiry, from one or more control planes' `/debug/syncz` (a proxy is connected to one
 * replica). Pure: the verbs fetch the JSON, this turns it into rows and problems; time is passed in.
 */
import { formatTable } from '../../../api/src/table';
import { formatAge } from './readiness';
import { settled, type SyncStatus, syncStatus, type TypeSyncState } from './sync-state';
import { TypeUrls } from './translate/envoy';

/** The columns, in istioctl's order. */
export const StatusTypes = [
  ['CDS', TypeUrls.cluster],
  ['LDS', TypeUrls.listener],
  ['EDS', TypeUrls.endpoint],
  ['RDS', TypeUrls.route],
] as const;

export interface SynczNode {
  connectedAt?: string;
  types?: Record<string, TypeSyncState & { state?: SyncStatus }>;
  configGeneration?: number;
  certificate?: { spiffeId: string; serialNumber: string; notAfter: string; issuedAt: string; matchedBy: 'pod' | 'identity' };
  snapshotErrors?: string[];
  translationWarnings?: string[];
}

export interface ProxyStatus {
  nodeId: string;
  /** `pod.namespace` from the node id (the node id when it has another shape). */
  name: string;
  /** Which control plane answered: a pod name, or the monitoring URL in local mode. */
  controlPlane: string;
  states: Record<(typeof StatusTypes)[number][0], SyncStatus>;
  nacks: { type: string; version: string; message: string }[];
  configGeneration?: number;
  certificate?: SynczNode['certificate'];
  snapshotErrors: string[];
}

export class SynczError extends Error {
  override name = 'SynczError';
}

/** Parses one control plane's `/debug/syncz` body. */
export function parseSyncz(text: string, controlPlane: string): ProxyStatus[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SynczError(`${controlPlane}: /debug/syncz is not JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SynczError(`${controlPlane}: /debug/syncz is not a map of proxies`);
  return Object.entries(body as Record<string, SynczNode>).map(([nodeId, node]) => {
    const parts = nodeId.split('~');
    const types = node.types ?? {};
    const states = Object.fromEntries(StatusTypes.map(([short, url]) => [short, types[url]?.state ?? syncStatus(types[url])])) as ProxyStatus['states'];
    const nacks = StatusTypes.flatMap(([short, url]) => {
      const t = types[url];
      return states[short] === 'NACKED' && t?.nack ? [{ type: short, version: t.nack.version, message: t.nack.message }] : [];
    });
    return {
      nodeId, name: parts.length === 4 ? parts[2]! : nodeId, controlPlane, states, nacks,
      ...(node.configGeneration !== undefined ? { configGeneration: node.configGeneration } : {}),
      ...(node.certificate ? { certificate: node.certificate } : {}),
      snapshotErrors: node.snapshotErrors ?? [],
    };
  });
}

/** Several replicas may list one proxy (a reconnect in flight): the first answer wins; sorted by name. */
export function mergeStatuses(lists: readonly ProxyStatus[][]): ProxyStatus[] {
  const byId = new Map<string, ProxyStatus>();
  for (const list of lists) for (const s of list) if (!byId.has(s.nodeId)) byId.set(s.nodeId, s);
  return [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function inSync(s: ProxyStatus): boolean {
  return Object.values(s.states).every(settled) && s.snapshotErrors.length === 0 && s.nacks.length === 0;
}

function certificateCell(s: ProxyStatus, now: Date): string {
  if (!s.certificate) return '-';
  const left = new Date(s.certificate.notAfter).getTime() - now.getTime();
  const mark = s.certificate.matchedBy === 'identity' ? '*' : '';
  return left > 0 ? `${formatAge(left)} (${s.certificate.notAfter.slice(0, 16).replace('T', ' ')}Z)${mark}` : `EXPIRED ${formatAge(-left)} ago${mark}`;
}

/** The table, then one line per NACK and per refused snapshot: the reasons. */
export function formatProxyStatus(statuses: readonly ProxyStatus[], now: Date): string {
  const rows = statuses.map((s) => [
    s.name, ...StatusTypes.map(([short]) => s.states[short]), s.controlPlane,
    s.configGeneration === undefined ? '-' : String(s.configGeneration), certificateCell(s, now),
  ]);
  let out = formatTable(['NAME', ...StatusTypes.map(([short]) => short), 'CONTROL PLANE', 'VERSION', 'CERT EXPIRES IN'], rows);
  const problems = statuses.flatMap((s) => [
    ...s.nacks.map((n) => `${s.name} ${n.type} NACKED (version ${n.version}): ${n.message}`),
    ...s.snapshotErrors.map((e) => `${s.name}: snapshot refused by the control plane: ${e}`),
  ]);
  if (statuses.some((s) => s.certificate?.matchedBy === 'identity')) {
    out += '* the latest certificate the CA issued to the proxy\'s identity (the CA did not know the pod: local mode)\n';
  }
  if (problems.length) out += `\n${problems.join('\n')}\n`;
  return out;
}
