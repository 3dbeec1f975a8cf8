/**
 * Cross-resource checks (what a single object's validation cannot see): routes to unknown hosts,
 * dangling subsets, DestinationRules for unknown hosts, VirtualServices that lose a conflict.
 * Used by `skein analyze`, /debug/configz and the config-error metric. Below them, the driver of
 * `skein analyze` (`analyzeSources`): files and cluster objects in, every problem out.
 */
import { hostMatches, parseYamlDocuments } from '../../../api/src/crd';
import { type ConfigError } from './config-error';
import { type KubeObject, objectKey, withDefaultNamespace } from './kube';
import { MeshIndex, type MeshSettings } from './mesh-index';
import { type MeshModel } from './model';
import { type Destination } from './policy-types';
import { admittedObject, validateObject } from './validation';
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
      if (fqdn.startsWith('*')) {
        if (!scope.services.some((s) => hostMatches(fqdn, s.fqdn))) errors.push({ object, path: `spec.hosts[${i}]`, message: `wildcard host "${host}" matches no known service` });
        return;
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
    const known = fqdn.startsWith('*') ? scopeOf(dr.namespace).services.some((s) => hostMatches(fqdn, s.fqdn)) : scopeOf(dr.namespace).service(dr.spec.host, dr.namespace);
    if (!known) {
      errors.push({ object, path: 'spec.host', message: `host "${dr.spec.host}" (${fqdn}) is not a known service` });
    }
    const claimKey = `${dr.namespace}|${fqdn}`;
    const owner = drClaims.get(claimKey);
    if (owner) errors.push({ object, path: 'spec.host', message: `${owner} in the same namespace already configures ${fqdn}; this one is ignored` });
    else drClaims.set(claimKey, object);
  }
  return errors;
}

// ---- the analyze driver: sources → every problem, in one pass ----------------------------------

/** A file's text (paths relative to what the user named). */
export interface SourceFile {
  name: string;
  text: string;
}

export interface AnalyzeInput {
  files: readonly SourceFile[];
  /** Objects read from a cluster; files override them by kind/namespace/name ("as if applied"). */
  clusterObjects?: readonly unknown[];
  settings: MeshSettings;
}

interface Located {
  file: string;
  document: number;
  lineOf(path: string): number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function salvageDestination(d: unknown): Destination | undefined {
  if (!isRecord(d) || typeof d.host !== 'string') return undefined;
  const port = isRecord(d.port) && typeof d.port.number === 'number' ? { number: d.port.number } : undefined;
  return { host: d.host, ...(typeof d.subset === 'string' ? { subset: d.subset } : {}), ...(port ? { port } : {}) };
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * What the cross-resource checks read of an object the validator refused: VirtualService hosts and
 * destinations, DestinationRule host and subsets, each kept only where well-typed. So a VirtualService
 * with a bad weight still gets "subset v9 is not defined", and a DestinationRule with a bad
 * trafficPolicy still defines its subsets. Other kinds are not salvaged.
 */
export function salvageForAnalysis(raw: unknown): KubeObject | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata) || typeof raw.metadata.name !== 'string' || !isRecord(raw.spec)) return undefined;
  if (raw.metadata.namespace !== undefined && typeof raw.metadata.namespace !== 'string') return undefined;
  const spec = raw.spec;
  const routes = (r: unknown) => list(isRecord(r) ? r.route : undefined).map((d) => ({ destination: salvageDestination(isRecord(d) ? d.destination : undefined) })).filter((d) => d.destination);
  let salvaged: Record<string, unknown>;
  if (raw.kind === 'VirtualService') {
    salvaged = {
      hosts: list(spec.hosts).filter((h) => typeof h === 'string'),
      http: list(spec.http).map((h) => ({ route: routes(h), ...(isRecord(h) && salvageDestination(h.mirror) ? { mirror: salvageDestination(h.mirror) } : {}) })),
      tcp: list(spec.tcp).map((t) => ({ route: routes(t) })),
    };
  } else if (raw.kind === 'DestinationRule') {
    if (typeof spec.host !== 'string') return undefined;
    const subsets = list(spec.subsets).filter((s): s is Record<string, unknown> => isRecord(s) && typeof s.name === 'string')
      .map((s) => ({ name: s.name, labels: isRecord(s.labels) ? Object.fromEntries(Object.entries(s.labels).filter(([, v]) => typeof v === 'string')) : {} }));
    salvaged = { host: spec.host, subsets };
  } else return undefined;
  return withDefaultNamespace({ apiVersion: String(raw.apiVersion), kind: raw.kind, metadata: { name: raw.metadata.name, ...(raw.metadata.namespace ? { namespace: raw.metadata.namespace } : {}) }, spec: salvaged });
}

/**
 * Every problem in one pass: YAML syntax, each object's validation (the one validator), duplicates,
 * then the cross-resource checks over everything that could be read — schema-invalid VirtualServices
 * and DestinationRules included (salvaged), so one run shows what would otherwise take several.
 * Problems carry file, document and line when the object came from a file.
 */
export function analyzeSources(input: AnalyzeInput): { errors: ConfigError[]; objects: number } {
  const errors: ConfigError[] = [];
  const objects = new Map<string, KubeObject>();
  const where = new Map<string, Located>();
  const admit = (value: unknown, located?: Located): void => {
    const problems = validateObject(value);
    const candidate = problems.length === 0 ? admittedObject(withDefaultNamespace(value as KubeObject)) : salvageForAnalysis(value);
    const keyOfRaw = () => {
      const o = value as Partial<KubeObject>;
      return o?.kind && o.metadata?.name ? objectKey(withDefaultNamespace(o as KubeObject)) : undefined;
    };
    const key = candidate ? objectKey(candidate) : keyOfRaw();
    for (const e of problems) errors.push({ ...e, ...(located ? { file: located.file, document: located.document, line: located.lineOf(e.path) } : {}), ...(key ? { object: key } : {}) });
    if (!candidate || !key) return;
    const first = where.get(key);
    if (located && first && objects.has(key)) {
      errors.push({ file: located.file, document: located.document, line: located.lineOf('metadata.name'), object: key, path: 'metadata.name', message: `duplicate: also defined in ${first.file} document ${first.document}` });
      return;
    }
    objects.set(key, candidate);
    if (located) where.set(key, located);
  };
  for (const obj of input.clusterObjects ?? []) admit(obj);
  for (const file of input.files) {
    for (const doc of parseYamlDocuments(file.text)) {
      if (doc.syntaxErrors.length) {
        for (const e of doc.syntaxErrors) errors.push({ file: file.name, document: doc.index, line: e.line, path: '', message: `invalid YAML: ${e.message}` });
        continue;
      }
      admit(doc.value, { file: file.name, document: doc.index, lineOf: doc.lineOf });
    }
  }
  const index = new MeshIndex(input.settings);
  for (const obj of objects.values()) index.apply(obj);
  for (const e of analyzeModel(index.model())) {
    const at = e.object ? where.get(e.object) : undefined;
    errors.push(at ? { ...e, file: at.file, document: at.document, line: at.lineOf(e.path) } : e);
  }
  return { errors, objects: objects.size };
}
