/**
 * Which types are served: the built-in table plus one type per served version of every
 * established CustomResourceDefinition. Also the CRD's own checks and the status the
 * apiextensions controllers write (NamesAccepted, Established, acceptedNames, storedVersions). Pure.
 */
import { isObject, type KubeObject } from './json';
import { type Schema } from './openapi-schema';
import { builtinTypes, groupVersion, type ResourceType, typeKey } from './resource-types';
import { schemaShape } from './shapes';
import { type FieldError, invalid, required } from './status';

interface CrdNames {
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: unknown; scale?: unknown };
}

export interface CrdSpec {
  group?: string;
  names?: CrdNames;
  scope?: string;
  versions?: CrdVersion[];
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Validation of a CustomResourceDefinition (the subset that can go wrong in a hand-written CRD). */
export function validateCrd(crd: KubeObject): FieldError[] {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const errors: FieldError[] = [];
  const names = spec.names ?? {};
  if (!spec.group) errors.push(required('spec.group'));
  else if (!dns1123Subdomain.test(spec.group) || !spec.group.includes('.')) errors.push(invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (!names.plural) errors.push(required('spec.names.plural'));
  if (!names.kind) errors.push(required('spec.names.kind'));
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errors.push({ type: 'FieldValueNotSupported', field: 'spec.scope', value: spec.scope ?? '', detail: 'supported values: "Cluster", "Namespaced"' });
  if (names.plural && spec.group && crd.metadata.name !== `${names.plural}.${spec.group}`) {
    errors.push(invalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  const versions = spec.versions ?? [];
  if (versions.length === 0) errors.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage).length !== 1) errors.push(invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  versions.forEach((v, i) => {
    if (!v.name) errors.push(required(`spec.versions[${i}].name`));
    if (!isObject(v.schema?.openAPIV3Schema)) errors.push(required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
    else if (v.schema.openAPIV3Schema.type !== 'object') errors.push(invalid(`spec.versions[${i}].schema.openAPIV3Schema.type`, v.schema.openAPIV3Schema.type ?? '', 'must be object at the root'));
  });
  return errors;
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: string) {
  return { type, status, reason, message, lastTransitionTime: now };
}

export class Registry {
  private readonly builtin = new Map<string, ResourceType>();
  private readonly custom = new Map<string, ResourceType[]>();

  constructor(types: readonly ResourceType[] = builtinTypes) {
    for (const t of types) this.builtin.set(typeKey(t), t);
  }

  /** Serves the CRD's versions if its names are free; returns its status as the controllers would write it. */
  establish(crd: KubeObject, now: string): Record<string, unknown> {
    const name = crd.metadata.name!;
    const spec = crd.spec as CrdSpec;
    const names = spec.names!;
    const clash = [...this.all()].find((t) => t.crd !== name && t.group === spec.group && (t.plural === names.plural || t.kind === names.kind));
    const previous = (isObject(crd.status) ? crd.status : {}) as { storedVersions?: string[]; conditions?: { type: string; lastTransitionTime?: string; status?: string }[] };
    const keepTime = (c: ReturnType<typeof condition>) => {
      const old = previous.conditions?.find((x) => x.type === c.type);
      return old && old.status === c.status && old.lastTransitionTime ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
    };
    if (clash) {
      this.custom.delete(name);
      const what = clash.plural === names.plural ? `"${names.plural}" is already in use` : `"${names.kind}" is already in use`;
      return {
        acceptedNames: { kind: '', plural: '' },
        conditions: [
          keepTime(condition('NamesAccepted', 'False', clash.plural === names.plural ? 'PluralConflict' : 'KindConflict', what, now)),
          keepTime(condition('Established', 'False', 'NotAccepted', 'not all names are accepted', now)),
        ],
        storedVersions: previous.storedVersions ?? [],
      };
    }
    const types = (spec.versions ?? []).filter((v) => v.served !== false && v.name).map((v): ResourceType => {
      const schema = v.schema?.openAPIV3Schema ?? {};
      const status = isObject(v.subresources) && v.subresources.status !== undefined;
      return {
        group: spec.group!, version: v.name!, plural: names.plural!, singular: names.singular ?? names.kind!.toLowerCase(), kind: names.kind!,
        namespaced: spec.scope === 'Namespaced', ...(names.shortNames ? { shortNames: names.shortNames } : {}), ...(names.categories ? { categories: names.categories } : {}),
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        subresources: [...(status ? ['status'] : []), ...(isObject(v.subresources) && v.subresources.scale !== undefined ? ['scale'] : [])],
        fieldSelectors: [], generation: true, statusSubresource: status, createOnUpdate: false, unconditionalUpdate: false,
        defaultPropagation: 'Background', strategicMerge: false, shape: schemaShape(schema), schema, crd: name,
      };
    });
    this.custom.set(name, types);
    const storage = (spec.versions ?? []).find((v) => v.storage)?.name;
    const stored = [...new Set([...(previous.storedVersions ?? []), ...(storage ? [storage] : [])])];
    return {
      acceptedNames: { kind: names.kind, listKind: names.listKind ?? `${names.kind}List`, plural: names.plural, singular: names.singular ?? names.kind!.toLowerCase(), ...(names.shortNames ? { shortNames: names.shortNames } : {}), ...(names.categories ? { categories: names.categories } : {}) },
      conditions: [
        keepTime(condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', now)),
        keepTime(condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', now)),
      ],
      storedVersions: stored,
    };
  }

  /** Stops serving a CRD's types. */
  withdraw(crdName: string): void {
    this.custom.delete(crdName);
  }

  *all(): Iterable<ResourceType> {
    yield* this.builtin.values();
    for (const types of this.custom.values()) yield* types;
  }

  get(group: string, version: string, plural: string): ResourceType | undefined {
    const key = typeKey({ group, version, plural });
    return this.builtin.get(key) ?? [...this.custom.values()].flat().find((t) => typeKey(t) === key);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return [...this.all()].find((t) => groupVersion(t) === apiVersion && t.kind === kind);
  }

  /** The types of a custom resource definition currently served. */
  crdTypes(crdName: string): readonly ResourceType[] {
    return this.custom.get(crdName) ?? [];
  }
}
