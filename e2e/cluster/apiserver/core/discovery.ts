/**
 * Discovery documents (`/api`, `/apis`, `/apis/<group>`, `/api/v1`, `/apis/<group>/<version>`,
 * `/version`) built from what the registry serves, in the unaggregated v1 format every client
 * understands. Pure.
 */
import { groupVersion, type ResourceType, subresourceKind, subresourceVerbs } from './resource-types';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** `v1.33.1` → the /version document. */
export function versionInfo(gitVersion: string): VersionInfo {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1', minor: m?.[2] ?? '0', gitVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.24.0', compiler: 'gc', platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupsOf(types: Iterable<ResourceType>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const t of types) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return groups;
}

/** kube-version-aware order: v1 > v1beta2 > v1beta1 > v1alpha1 (what preferredVersion picks). */
function versionRank(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return -1;
  return Number(m[1]) * 1000 + (m[2] === undefined ? 900 : m[2] === 'beta' ? 500 + Number(m[3]) : 100 + Number(m[3]));
}

function apiGroup(name: string, versions: string[]) {
  const sorted = [...versions].sort((a, b) => versionRank(b) - versionRank(a));
  return {
    name, versions: sorted.map((version) => ({ groupVersion: `${name}/${version}`, version })),
    preferredVersion: { groupVersion: `${name}/${sorted[0]}`, version: sorted[0] },
  };
}

export function apiGroupList(types: Iterable<ResourceType>) {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupsOf(types)].map(([name, versions]) => apiGroup(name, versions)) };
}

export function apiGroupDocument(types: Iterable<ResourceType>, group: string) {
  const versions = groupsOf(types).get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) } : undefined;
}

export function apiResourceList(types: Iterable<ResourceType>, group: string, version: string) {
  const served = [...types].filter((t) => t.group === group && t.version === version);
  if (served.length === 0) return undefined;
  const resources = served.flatMap((t) => [
    {
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}), ...(t.categories ? { categories: t.categories } : {}),
    },
    ...t.subresources.map((sub) => {
      const k = subresourceKind(t, sub);
      return { name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced, ...(k.group ? { group: k.group, version: k.version } : {}), kind: k.kind, verbs: subresourceVerbs[sub] ?? ['get'] };
    }),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}
