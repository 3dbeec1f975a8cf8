/**
 * Cross-resource checks (what a single object's validation cannot see): routes to unknown hosts,
 * dangling subsets, DestinationRules for unknown hosts, VirtualServices that lose a conflict.
 * Used by `skein analyze`, /debug/configz and the config-error metric.
 */
import { type ConfigError } from './config-error';
import { type MeshModel } from './model';
import { type Destination } from './policy-types';
import { MeshScope, expandHost, resolveDestination } from './translate/scope';

function key(kind: string, o: { namespace: string; name: string }): string {
  return `${kind}/${o.namespace}/${o.name}`;
}

export function analyzeModel(model: MeshModel): ConfigError[] {
  const errors: ConfigError[] = [];
  const scopes = new Map<string, MeshScope>();
  const scopeOf = (ns: string) => {
    let s = scopes.get(ns);
    if (!s) scopes.set(ns, (s = new MeshScope(model, ns)));
    return s;
  };
  const claimed = new Map<string, string>();

  for (const vs of model.virtualServices) {
    const object = key('VirtualService', vs);
    const scope = scopeOf(vs.namespace);
    (vs.spec.hosts ?? []).forEach((host, i) => {
      const fqdn = expandHost(host, vs.namespace, model.clusterDomain);
      if (host.includes('*')) {
        errors.push({ object, path: `spec.hosts[${i}]`, message: `wildcard host "${host}" is not supported; name a service` });
      } else if (!scope.service(host, vs.namespace)) {
        errors.push({ object, path: `spec.hosts[${i}]`, message: `host "${host}" (${fqdn}) is not a known service` });
      }
      const owner = claimed.get(fqdn);
      if (owner && owner !== object) {
        errors.push({ object, path: `spec.hosts[${i}]`, message: `${owner} already routes ${fqdn}; this VirtualService is ignored for it (the oldest wins)` });
      } else claimed.set(fqdn, object);
    });
    const check = (dest: Destination | undefined, path: string) => {
      if (!dest) return;
      const r = resolveDestination(scope, dest, vs.namespace);
      if (!r.ok && !/needs port.number/.test(r.reason)) errors.push({ object, path, message: r.reason });
    };
    (vs.spec.http ?? []).forEach((h, i) => {
      (h.route ?? []).forEach((d, j) => check(d.destination, `spec.http[${i}].route[${j}].destination`));
      check(h.mirror, `spec.http[${i}].mirror`);
    });
    (vs.spec.tcp ?? []).forEach((t, i) => (t.route ?? []).forEach((d, j) => check(d.destination, `spec.tcp[${i}].route[${j}].destination`)));
  }

  const drClaims = new Map<string, string>();
  for (const dr of model.destinationRules) {
    const object = key('DestinationRule', dr);
    const fqdn = expandHost(dr.spec.host, dr.namespace, model.clusterDomain);
    if (!scopeOf(dr.namespace).service(dr.spec.host, dr.namespace)) {
      errors.push({ object, path: 'spec.host', message: `host "${dr.spec.host}" (${fqdn}) is not a known service` });
    }
    const claimKey = `${dr.namespace}|${fqdn}`;
    const owner = drClaims.get(claimKey);
    if (owner) errors.push({ object, path: 'spec.host', message: `${owner} in the same namespace already configures ${fqdn}; this one is ignored` });
    else drClaims.set(claimKey, object);
  }
  return errors;
}
