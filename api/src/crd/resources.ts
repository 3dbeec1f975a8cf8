/**
 * Skein's four policy kinds, their Kubernetes envelope, and THE validator: `validateResource`
 * serves the file source, the operator's status conditions and `skein analyze` alike.
 */
import { ApiGroups, ApiVersion } from '../names';
import { type FieldError, type Infer, type ObjectSchema, object, required, string } from './schema/dsl';
import { parseWithSchema } from './schema/validate';
import { ObjectMeta, ResourceStatus } from './metadata';
import { VirtualServiceSpec } from './virtual-service';
import { DestinationRuleSpec } from './destination-rule';
import { PeerAuthenticationSpec } from './peer-authentication';
import { AuthorizationPolicySpec } from './authorization-policy';

export const NetworkingApiVersion = `${ApiGroups.networking}/${ApiVersion}` as const;
export const SecurityApiVersion = `${ApiGroups.security}/${ApiVersion}` as const;

/** One column of `kubectl get` output. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description?: string;
}

/** Everything about one kind: its group, names, spec schema and `kubectl get` columns. */
export interface KindDefinition<K extends string = string, S extends ObjectSchema = ObjectSchema> {
  kind: K;
  group: string;
  version: string;
  apiVersion: string;
  plural: string;
  singular: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
  spec: S;
  printerColumns: PrinterColumn[];
  description: string;
}

const accepted: PrinterColumn = {
  name: 'Accepted',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Accepted")].status',
  description: 'Whether Skein accepted the resource (see the Accepted condition for errors).',
};
const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function kind<K extends string, S extends ObjectSchema>(
  def: Omit<KindDefinition<K, S>, 'version' | 'apiVersion' | 'singular' | 'listKind' | 'printerColumns'> & { columns: PrinterColumn[] },
): KindDefinition<K, S> {
  const { columns, ...rest } = def;
  return {
    ...rest,
    version: ApiVersion,
    apiVersion: `${def.group}/${ApiVersion}`,
    singular: def.kind.toLowerCase(),
    listKind: `${def.kind}List`,
    printerColumns: [...columns, accepted, age],
  };
}

export const Kinds = {
  VirtualService: kind({
    kind: 'VirtualService',
    group: ApiGroups.networking,
    plural: 'virtualservices',
    shortNames: ['vs'],
    categories: ['skein', 'skein-networking'],
    spec: VirtualServiceSpec,
    columns: [{ name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts these rules apply to.' }],
    description: 'Routing rules for traffic to a set of hosts (Istio VirtualService semantics).',
  }),
  DestinationRule: kind({
    kind: 'DestinationRule',
    group: ApiGroups.networking,
    plural: 'destinationrules',
    shortNames: ['dr'],
    categories: ['skein', 'skein-networking'],
    spec: DestinationRuleSpec,
    columns: [{ name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The service these policies apply to.' }],
    description: 'Policies for traffic to a service after routing: subsets, load balancing, pools, outlier detection, TLS.',
  }),
  PeerAuthentication: kind({
    kind: 'PeerAuthentication',
    group: ApiGroups.security,
    plural: 'peerauthentications',
    shortNames: ['pa'],
    categories: ['skein', 'skein-security'],
    spec: PeerAuthenticationSpec,
    columns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.mtls.mode', description: 'The mTLS mode.' }],
    description: 'Which mTLS mode workloads accept inbound (mesh, namespace or workload scope).',
  }),
  AuthorizationPolicy: kind({
    kind: 'AuthorizationPolicy',
    group: ApiGroups.security,
    plural: 'authorizationpolicies',
    shortNames: ['ap'],
    categories: ['skein', 'skein-security'],
    spec: AuthorizationPolicySpec,
    columns: [{ name: 'Action', type: 'string', jsonPath: '.spec.action', description: 'ALLOW or DENY.' }],
    description: 'Access control for workloads: who may call them and how.',
  }),
} as const;

export type SkeinKind = keyof typeof Kinds;
export const SkeinKinds = Object.keys(Kinds) as SkeinKind[];

/** apiVersion → the kinds it serves. */
export const kindsByApiVersion: Readonly<Record<string, readonly SkeinKind[]>> = {
  [NetworkingApiVersion]: ['VirtualService', 'DestinationRule'],
  [SecurityApiVersion]: ['PeerAuthentication', 'AuthorizationPolicy'],
};

/** Whether an object claims a Skein policy apiVersion (the file source routes such documents here). */
export function isSkeinApiVersion(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && Object.hasOwn(kindsByApiVersion, apiVersion);
}

interface Resource<V extends string, K extends SkeinKind> {
  apiVersion: V;
  kind: K;
  metadata: ObjectMeta;
  spec: Infer<(typeof Kinds)[K]['spec']>;
  status?: ResourceStatus;
}
export type VirtualService = Resource<typeof NetworkingApiVersion, 'VirtualService'>;
export type DestinationRule = Resource<typeof NetworkingApiVersion, 'DestinationRule'>;
export type PeerAuthentication = Resource<typeof SecurityApiVersion, 'PeerAuthentication'>;
export type AuthorizationPolicy = Resource<typeof SecurityApiVersion, 'AuthorizationPolicy'>;
export type SkeinResource = VirtualService | DestinationRule | PeerAuthentication | AuthorizationPolicy;

export type ValidationResult = { ok: true; resource: SkeinResource } | { ok: false; errors: FieldError[] };

/** The envelope of a kind: Kubernetes fields around its spec (apiVersion/kind checked beforehand). */
const envelopes = new Map<SkeinKind, ObjectSchema>(
  SkeinKinds.map((k) => [
    k,
    object({
      apiVersion: required(string()),
      kind: required(string()),
      metadata: required(ObjectMeta),
      spec: required(Kinds[k].spec as ObjectSchema),
      status: ResourceStatus,
    }),
  ]),
);

/**
 * Validates anything (parsed YAML/JSON, an object from the API server) as a Skein resource. On
 * success `resource` is a clean typed copy (nulls removed, Kubernetes-only metadata left out);
 * on failure every problem is listed with its field path.
 */
export function validateResource(obj: unknown): ValidationResult {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, errors: [{ path: '', message: 'must be a Kubernetes object with apiVersion, kind, metadata and spec' }] };
  }
  const { apiVersion, kind: kindName } = obj as Record<string, unknown>;
  const typeError = envelopeTypeError(apiVersion, kindName);
  if (typeError) return { ok: false, errors: [typeError] };
  const result = parseWithSchema(envelopes.get(kindName as SkeinKind)!, obj);
  return result.ok ? { ok: true, resource: result.value as unknown as SkeinResource } : result;
}

const istioGroups: Record<string, string> = {
  'networking.istio.io': NetworkingApiVersion,
  'security.istio.io': SecurityApiVersion,
};

function envelopeTypeError(apiVersion: unknown, kindName: unknown): FieldError | undefined {
  const supported = Object.keys(kindsByApiVersion).join(' or ');
  if (typeof apiVersion !== 'string') return { path: 'apiVersion', message: `required: ${supported}` };
  const kinds = kindsByApiVersion[apiVersion];
  if (!kinds) {
    const istio = istioGroups[apiVersion.split('/')[0]!];
    const hint = istio ? `this is Istio's API group; change apiVersion to ${istio}` : `use ${supported}`;
    return { path: 'apiVersion', message: `unknown apiVersion "${apiVersion}": ${hint}` };
  }
  if (typeof kindName !== 'string') return { path: 'kind', message: `required: one of ${kinds.join(', ')}` };
  if (kinds.includes(kindName as SkeinKind)) return undefined;
  const home = Object.hasOwn(Kinds, kindName) ? Kinds[kindName as SkeinKind].apiVersion : undefined;
  const message = home
    ? `${kindName} belongs to ${home}, not ${apiVersion}`
    : `kind "${kindName}" is not supported by Skein in ${apiVersion} (supported: ${kinds.join(', ')})`;
  return { path: 'kind', message };
}
