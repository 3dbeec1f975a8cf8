/**
 * CustomResourceDefinitions derived from the same schemas the validator uses: per kind the
 * OpenAPI v3 structural schema and the CRD names, and ready-to-apply CRD objects.
 */
import { ResourceStatus } from './metadata';
import { Kinds, type KindDefinition, type PrinterColumn, type SkeinKind, SkeinKinds } from './resources';
import { type OpenApiSchema, toOpenApi } from './schema/openapi';

export interface CrdSchema {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
  scope: 'Namespaced';
  printerColumns: PrinterColumn[];
  /** For `spec.versions[].schema.openAPIV3Schema`. */
  openAPIV3Schema: OpenApiSchema;
}

function rootSchema(def: KindDefinition): OpenApiSchema {
  return {
    type: 'object',
    description: def.description,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      // The API server owns metadata; a CRD may not constrain it beyond name.
      metadata: { type: 'object' },
      spec: toOpenApi(def.spec),
      status: toOpenApi(ResourceStatus),
    },
    required: ['spec'],
  };
}

/** Per kind: the OpenAPI v3 schema and CRD metadata (plural, singular, shortNames, listKind, scope). */
export function crdOpenApiSchemas(): Record<SkeinKind, CrdSchema> {
  const out = {} as Record<SkeinKind, CrdSchema>;
  for (const name of SkeinKinds) {
    const def: KindDefinition = Kinds[name];
    out[name] = {
      group: def.group,
      version: def.version,
      kind: def.kind,
      plural: def.plural,
      singular: def.singular,
      listKind: def.listKind,
      shortNames: [...def.shortNames],
      categories: [...def.categories],
      scope: 'Namespaced',
      printerColumns: def.printerColumns.map((c) => ({ ...c })),
      openAPIV3Schema: rootSchema(def),
    };
  }
  return out;
}

/** The CustomResourceDefinition objects (apiextensions.k8s.io/v1) for every Skein kind. */
export function crdManifests(labels: Record<string, string> = {}): Record<string, unknown>[] {
  return Object.values(crdOpenApiSchemas()).map((crd) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${crd.plural}.${crd.group}`, labels: { ...labels } },
    spec: {
      group: crd.group,
      names: {
        kind: crd.kind,
        listKind: crd.listKind,
        plural: crd.plural,
        singular: crd.singular,
        shortNames: crd.shortNames,
        categories: crd.categories,
      },
      scope: crd.scope,
      versions: [
        {
          name: crd.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: crd.printerColumns,
          schema: { openAPIV3Schema: crd.openAPIV3Schema },
        },
      ],
    },
  }));
}
