/**
 * The request pipeline of the simulated API server, independent of HTTP: get, list, create,
 * update, patch (merge, JSON, strategic, server-side apply), delete (graceful pods, finalizers,
 * propagation) for every served type, with kube-apiserver's order of work — decode and default,
 * namespace lifecycle, mutating admission, the type's create/update preparation (names, uid,
 * generation, status, ClusterIPs…), validation (built-in rules or the CRD schema), validating
 * admission, managedFields, optimistic concurrency — and its Status errors. The HTTP layer
 * (http.ts) and the in-process controllers both go through here.
 */
import { type AdmissionAttributes } from './core/admission';
import { parseCidr, contains, type Cidr, nextFree, firstAddress } from './core/cidr';
import { applyBuiltinDefaults } from './core/defaults';
import { clone, deepEqual, isObject, type JsonObject, type KubeObject, timestamp } from './core/json';
import { apply as applyConfig, conflictMessage, recordUpdate, type ManagerId } from './core/managed-fields';
import { applyDefaults, prune, validate as validateSchema } from './core/openapi-schema';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './core/patch';
import { initialPodStatus } from './core/pod-admission';
import { type Attributes, authorize, type Policy, type UserInfo } from './core/rbac';
import { type Registry, validateCrd } from './core/registry';
import { groupVersion, type ResourceType, storageKey } from './core/resource-types';
import { parseFieldSelector, parseLabelSelector } from './core/selectors';
import {
  alreadyExists, ApiError, badRequest, conflict, failure, type FieldError, forbidden, invalid, invalidObject, methodNotAllowed,
  modifiedConflict, noRoute, notFound, required, success, unsupportedMediaType,
} from './core/status';
import { nameRule, validateBuiltin, validateMetadata, validateUpdate } from './core/validation';
import { type AdmissionChain } from './admission/chain';
import { type Authenticator } from './auth/authenticator';
import { type Storage } from './storage';
import { parse as parseYaml } from 'yaml';

export interface EngineOptions {
  storage: Storage;
  registry: Registry;
  authenticator: Authenticator;
  admission: AdmissionChain;
  now: () => Date;
  random: () => number;
  uid: () => string;
  serviceCidr: string;
  authorization: 'RBAC' | 'AlwaysAllow';
  /**
   * The old FakeApiServer's mode: any /api or /apis path is a type of its own, and writes are
   * stored as sent (no defaulting, admission, validation, namespace checks or managedFields).
   */
  lenient?: { statusSubresource: (group: string) => boolean };
  /** Answers TokenReviews instead of the authenticator (tests of the reviewer's callers). */
  tokenReview?: (spec: { token: string; audiences?: string[] }) => Record<string, unknown>;
}

export interface Call {
  user: UserInfo;
  verb: string;
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  query?: URLSearchParams;
  /** Parsed JSON; for apply patches the raw YAML/JSON text. */
  body?: unknown;
  contentType?: string;
  userAgent?: string;
}

export interface Answer {
  code: number;
  body: unknown;
  warnings?: string[];
}

/** Thrown by a commit whose base object changed meanwhile (the patch is computed again). */
class StaleBase extends Error {}

const gr = (t: ResourceType) => ({ group: t.group, resource: t.plural });
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export class ApiEngine {
  readonly cidr: Cidr;

  constructor(readonly o: EngineOptions) {
    this.cidr = parseCidr(o.serviceCidr);
  }

  private get storage(): Storage {
    return this.o.storage;
  }

  private now(): string {
    return timestamp(this.o.now());
  }

  /** The served type at a path, or the 404 the server answers for an unknown one. */
  resolve(group: string, version: string, resource: string): ResourceType {
    if (this.o.lenient) return this.implicitType(group, version, resource);
    const t = this.o.registry.get(group, version, resource);
    if (t) return t;
    throw noRoute();
  }

  private implicitType(group: string, version: string, plural: string): ResourceType {
    const known = this.o.registry.get(group, version, plural);
    const status = this.o.lenient!.statusSubresource(group);
    const kind = known?.kind ?? this.storage.scan(storageKey({ group, plural }))[0]?.kind ?? plural;
    return {
      group, version, plural, singular: plural.replace(/s$/, ''), kind, namespaced: known?.namespaced ?? true, verbs: [], subresources: status ? ['status'] : [],
      fieldSelectors: known?.fieldSelectors ?? [], generation: true, statusSubresource: status, createOnUpdate: false, unconditionalUpdate: true,
      defaultPropagation: 'Background', strategicMerge: true, shape: known?.shape ?? { kind: 'any' }, ...(known?.virtual ? { virtual: true } : {}),
    };
  }

  /** Refuses with 403 what RBAC does not allow (nothing is refused with `AlwaysAllow` or in lenient mode). */
  authorize(a: Attributes, name?: string): void {
    if (this.o.authorization === 'AlwaysAllow' || this.o.lenient) return;
    const decision = authorize(a, this.policy());
    if (decision.allowed) return;
    if (!a.isResource) throw failure(403, 'Forbidden', `forbidden: ${decision.reason}`, {});
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
    throw forbidden({ group: a.apiGroup ?? '', resource }, name, decision.reason);
  }

  /** The RBAC objects as stored now. */
  private policy(): Policy {
    const scan = (plural: string) => this.storage.scan(`rbac.authorization.k8s.io/${plural}`) as unknown as never[];
    return { clusterRoles: scan('clusterroles'), clusterRoleBindings: scan('clusterrolebindings'), roles: scan('roles'), roleBindings: scan('rolebindings') };
  }

  async execute(call: Call): Promise<Answer> {
    const t = call.type;
    this.authorize({
      user: call.user, verb: call.verb, isResource: true, apiGroup: t.group, resource: t.plural,
      ...(call.subresource ? { subresource: call.subresource } : {}), ...(call.name !== undefined ? { name: call.name } : {}),
      ...(call.namespace !== undefined ? { namespace: call.namespace } : {}),
    }, call.name);
    if (t.namespaced && call.namespace === undefined && call.name !== undefined && !this.o.lenient) throw noRoute();
    if (!t.namespaced && call.namespace !== undefined && t.plural !== 'namespaces' && !this.o.lenient) throw noRoute();
    if (call.subresource && !t.subresources.includes(call.subresource) && !this.o.lenient) throw noRoute();
    switch (call.verb) {
      case 'get': return { code: 200, body: this.get(call) };
      case 'list': return { code: 200, body: this.list(t, call.namespace, call.query ?? new URLSearchParams()) };
      case 'create': return this.create(call);
      case 'update': return this.update(call);
      case 'patch': return this.patch(call);
      case 'delete': return this.delete(call);
      case 'deletecollection': return this.deleteCollection(call);
      default: throw methodNotAllowed();
    }
  }

  // ---- reads -----------------------------------------------------------------------------------

  /** What a client sees of a stored object: custom resources in the version asked for. */
  present(t: ResourceType, obj: KubeObject): KubeObject {
    if (t.crd) obj.apiVersion = groupVersion(t);
    return obj;
  }

  private existing(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.storage.get(storageKey(t), t.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(gr(t), name);
    return obj;
  }

  get(call: Call): KubeObject {
    const t = call.type;
    if (t.virtual) throw methodNotAllowed();
    const obj = this.existing(t, call.namespace, call.name!);
    if (call.subresource === 'scale') return this.scaleOf(t, obj) as unknown as KubeObject;
    if (call.subresource && call.subresource !== 'status') throw methodNotAllowed();
    return this.present(t, obj);
  }

  /** Label and field selectors of a list or watch, as one test. */
  selector(t: ResourceType, query: URLSearchParams): (o: KubeObject) => boolean {
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(query.get('fieldSelector') ?? '', ['metadata.name', 'metadata.namespace', ...t.fieldSelectors]);
    return (o) => labels(o.metadata.labels) && fields(o);
  }

  list(t: ResourceType, namespace: string | undefined, query: URLSearchParams) {
    if (t.virtual) throw methodNotAllowed();
    const matches = this.selector(t, query);
    const all = this.storage.scan(storageKey(t), t.namespaced ? namespace : undefined).filter((o) => matches(o as KubeObject));
    const limit = Number(query.get('limit') ?? 0);
    let start = 0;
    const token = query.get('continue');
    if (token) {
      let parsed: { start?: string };
      try {
        parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { start?: string };
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
      }
      start = all.findIndex((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > (parsed.start ?? ''));
      if (start < 0) start = all.length;
    }
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const more = limit > 0 && start + limit < all.length;
    const last = page.at(-1);
    const items = page.map((o) => {
      const item = this.present(t, clone(o as KubeObject));
      if (t.crd) return item;
      const { apiVersion: _a, kind: _k, ...rest } = item; // typed lists carry no TypeMeta in their items
      return rest;
    });
    return {
      kind: `${t.kind}List`, apiVersion: groupVersion(t),
      metadata: {
        resourceVersion: String(this.storage.resourceVersion),
        ...(more && last ? { continue: Buffer.from(JSON.stringify({ rv: this.storage.resourceVersion, start: `${last.metadata.namespace ?? ''}/${last.metadata.name}` })).toString('base64'), remainingItemCount: all.length - start - page.length } : {}),
      },
      items,
    };
  }

  // ---- decoding --------------------------------------------------------------------------------

  private decode(t: ResourceType, body: unknown, what = t.kind): KubeObject {
    if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${what}): couldn't get version/kind; json parse error: expected an object`);
    const obj = clone(body) as KubeObject;
    if (obj.kind === undefined || obj.kind === '') {
      if (t.crd) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
      obj.kind = t.kind;
    }
    if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = groupVersion(t);
    if (obj.kind !== t.kind) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): kind ${JSON.stringify(obj.kind)} does not match ${JSON.stringify(t.kind)}`);
    const group = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/')[0] : '';
    if (group !== t.group) throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${groupVersion(t)})`);
    obj.apiVersion = groupVersion(t);
    if (!isObject(obj.metadata)) obj.metadata = {};
    return obj;
  }

  private placeNamespace(t: ResourceType, obj: KubeObject, namespace: string | undefined): void {
    if (!t.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && namespace !== undefined && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace !== undefined) obj.metadata.namespace = namespace;
  }

  /** NamespaceLifecycle: the namespace must exist and not be terminating. */
  private namespaceWritable(t: ResourceType, namespace: string | undefined, operation: 'CREATE' | 'UPDATE'): void {
    if (this.o.lenient || !t.namespaced || namespace === undefined) return;
    const ns = this.storage.peek('namespaces', undefined, namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (operation === 'CREATE' && ns.metadata.deletionTimestamp !== undefined) {
      throw failure(403, 'Forbidden', `${t.plural}${t.group ? `.${t.group}` : ''} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        ...(t.group ? { group: t.group } : {}), kind: t.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  private managerOf(call: Call, operation: 'Apply' | 'Update', subresource?: string): ManagerId {
    const fromAgent = (call.userAgent ?? '').split('/')[0]?.trim();
    const manager = call.query?.get('fieldManager') || fromAgent || 'unknown';
    if (manager.length > 128) throw invalidObject({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [invalid('fieldManager', manager, 'must be no more than 128 characters')]);
    return { manager, operation, apiVersion: groupVersion(call.type), ...(subresource ? { subresource } : {}) };
  }

  private generatedName(prefix: string): string {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += nameAlphabet[Math.floor(this.o.random() * nameAlphabet.length)];
    return `${prefix}${suffix}`;
  }

  // ---- writes: the shared pipeline ---------------------------------------------------------------

  /** Defaults for the type; for custom resources pruning (returned as warnings) and schema defaults. */
  private defaulted(t: ResourceType, obj: KubeObject, query: URLSearchParams | undefined): string[] {
    if (this.o.lenient) return [];
    if (!t.schema) {
      applyBuiltinDefaults(t.group, obj);
      return [];
    }
    const pruned = prune(obj as unknown as JsonObject, t.schema);
    applyDefaults(obj, t.schema);
    const mode = query?.get('fieldValidation') ?? 'Warn';
    if (pruned.length && mode === 'Strict') throw badRequest(`strict decoding error: ${pruned.map((p) => `unknown field "${p}"`).join(', ')}`);
    return mode === 'Ignore' ? [] : pruned.map((p) => `unknown field "${p}"`);
  }

  private attributes(call: Call, operation: AdmissionAttributes['operation'], obj: KubeObject | undefined, old: KubeObject | undefined): AdmissionAttributes {
    const t = call.type;
    return {
      operation, group: t.group, version: t.version, kind: t.kind, resource: t.plural, ...(call.subresource ? { subresource: call.subresource } : {}),
      ...(t.namespaced ? { namespace: obj?.metadata.namespace ?? call.namespace } : {}), name: obj?.metadata.name ?? call.name ?? '', namespaced: t.namespaced,
      ...(obj ? { object: obj } : {}), ...(old ? { oldObject: old } : {}), user: call.user, dryRun: this.dryRun(call),
      options: { kind: operation === 'CREATE' ? 'CreateOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...(call.query?.get('fieldManager') ? { fieldManager: call.query.get('fieldManager') } : {}) },
    };
  }

  private dryRun(call: Call): boolean {
    return call.query?.get('dryRun') === 'All';
  }

  private validateObject(t: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    if (this.o.lenient) {
      if (!obj.metadata.name) throw invalidObject({ group: t.group, kind: t.kind }, '', [required('metadata.name', 'name or generateName is required')]);
      return;
    }
    const errors: FieldError[] = validateMetadata(obj, nameRule(t.group, t.kind), t.namespaced);
    if (t.schema) errors.push(...validateSchema(obj, t.schema));
    else errors.push(...validateBuiltin(t.group, obj));
    if (t.group === 'apiextensions.k8s.io' && t.kind === 'CustomResourceDefinition') errors.push(...validateCrd(obj));
    if (old) {
      errors.push(...validateUpdate(t.group, old, obj));
      if (old.metadata.uid !== obj.metadata.uid) errors.push(invalid('metadata.uid', obj.metadata.uid ?? '', 'field is immutable'));
    }
    if (errors.length) throw invalidObject({ group: t.group, kind: t.kind }, obj.metadata.name ?? '', errors);
  }

  /** The type's create preparation (PrepareForCreate + BeforeCreate). */
  private prepareCreate(t: ResourceType, obj: KubeObject): void {
    const m = obj.metadata;
    if (!m.name && m.generateName) m.name = this.generatedName(m.generateName);
    m.uid = this.o.uid();
    m.creationTimestamp = this.now();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.resourceVersion;
    if (t.generation) m.generation = 1;
    else delete m.generation;
    if (this.o.lenient) return;
    if (t.statusSubresource) delete obj.status;
    const key = `${t.group}/${t.kind}`;
    if (key === '/Pod') obj.status = initialPodStatus(isObject(obj.spec) ? obj.spec : {});
    if (key === '/Service') this.allocateClusterIP(obj);
    if (key === '/Namespace') {
      m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name! };
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
    }
    if (key === 'batch/Job') this.jobSelector(obj);
    if (key === 'apiextensions.k8s.io/CustomResourceDefinition') obj.status = {};
  }

  private allocateClusterIP(svc: KubeObject): void {
    const spec = (svc.spec ??= {}) as JsonObject;
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') {
      if (spec.clusterIP === 'None') spec.clusterIPs = ['None'];
      return;
    }
    const taken = new Set(this.storage.scan('services').map((s) => (isObject(s.spec) ? String(s.spec.clusterIP ?? '') : '')));
    const wanted = typeof spec.clusterIP === 'string' && spec.clusterIP ? spec.clusterIP : undefined;
    if (wanted) {
      const isFirst = wanted === firstAddress(this.cidr) && svc.metadata.namespace === 'default' && svc.metadata.name === 'kubernetes';
      if (!isFirst && !contains(this.cidr, wanted)) throw invalidObject({ group: '', kind: 'Service' }, svc.metadata.name ?? '', [invalid('spec.clusterIPs', [wanted], `failed to allocate IP ${wanted}: the provided IP (${wanted}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`)]);
      if (taken.has(wanted)) throw invalidObject({ group: '', kind: 'Service' }, svc.metadata.name ?? '', [invalid('spec.clusterIPs', [wanted], `failed to allocate IP ${wanted}: provided IP is already allocated`)]);
    }
    const ip = wanted ?? nextFree(this.cidr, taken);
    if (!ip) throw failure(500, 'InternalError', `Internal error occurred: failed to allocate a serviceIP: range is full`);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }

  private jobSelector(job: KubeObject): void {
    const spec = (job.spec ??= {}) as JsonObject;
    if (spec.manualSelector === true) return;
    const uid = job.metadata.uid!;
    const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': job.metadata.name!, 'controller-uid': uid, 'job-name': job.metadata.name! };
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    const template = (spec.template ??= {}) as JsonObject;
    const meta = (template.metadata ??= {}) as JsonObject;
    meta.labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}), ...labels };
  }

  /** The type's update preparation: system fields from the old object, status rules, generation. */
  private prepareUpdate(t: ResourceType, next: KubeObject, old: KubeObject, subresource: string | undefined): KubeObject {
    let out = next;
    if (subresource === 'status') out = { ...clone(old), status: clone(next.status) } as KubeObject;
    else if (t.statusSubresource) out.status = clone(old.status);
    if (out.status === undefined) delete out.status;
    const m = out.metadata;
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (old.metadata[k] === undefined) delete m[k];
      else (m as Record<string, unknown>)[k] = old.metadata[k];
    }
    m.name = old.metadata.name!;
    if (t.namespaced) m.namespace = old.metadata.namespace!;
    if (t.generation) {
      const content = (o: KubeObject) => {
        const { metadata: _m, status, ...rest } = o;
        return t.statusSubresource ? rest : { ...rest, status };
      };
      if (!deepEqual(content(old), content(out))) m.generation = (old.metadata.generation ?? 0) + 1;
    }
    if (this.o.lenient) return out;
    const key = `${t.group}/${t.kind}`;
    if (key === '/Service' && isObject(out.spec) && isObject(old.spec)) {
      for (const f of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) if (out.spec[f] === undefined && old.spec[f] !== undefined) out.spec[f] = clone(old.spec[f]);
    }
    if (key === '/Namespace') {
      m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name };
      if (subresource !== 'finalize') out.spec = clone(old.spec);
      if (subresource !== 'status') out.status = clone(old.status);
    }
    return out;
  }

  /** Stores a new object (after admission); side effects of the kind (CRDs become served). */
  private commitCreate(t: ResourceType, obj: KubeObject): KubeObject {
    const key = storageKey(t);
    if (this.storage.peek(key, obj.metadata.namespace, obj.metadata.name!)) throw alreadyExists(gr(t), obj.metadata.name!);
    if (t.group === 'apiextensions.k8s.io' && t.kind === 'CustomResourceDefinition' && !this.o.lenient) obj.status = this.o.registry.establish(obj, this.now());
    return this.storage.put(key, obj);
  }

  private commitUpdate(t: ResourceType, next: KubeObject, old: KubeObject): KubeObject {
    const key = storageKey(t);
    const current = this.storage.peek(key, old.metadata.namespace, old.metadata.name!);
    if (!current) throw notFound(gr(t), old.metadata.name!);
    if (current.metadata.resourceVersion !== old.metadata.resourceVersion) throw new StaleBase();
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(next, old)) return clone(old);
    if (next.metadata.deletionTimestamp !== undefined && !this.finalizersPending(t, next)) {
      return this.storage.remove(key, old.metadata.namespace, old.metadata.name!, next)!;
    }
    if (t.group === 'apiextensions.k8s.io' && t.kind === 'CustomResourceDefinition' && !this.o.lenient && next.metadata.deletionTimestamp === undefined) {
      next.status = this.o.registry.establish(next, this.now());
    }
    return this.storage.put(key, next);
  }

  /**
   * What still holds an object marked for deletion: its finalizers, a namespace's spec.finalizers,
   * a pod whose graceful deletion the node has not finished.
   */
  private finalizersPending(t: ResourceType, obj: KubeObject): boolean {
    if ((obj.metadata.finalizers ?? []).length > 0) return true;
    if (t.group === '' && t.kind === 'Namespace') return isObject(obj.spec) && Array.isArray(obj.spec.finalizers) && obj.spec.finalizers.length > 0;
    return t.group === '' && t.kind === 'Pod' && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  /** Admission, preparation, validation and storage of a new object. */
  private async createObject(call: Call, input: KubeObject, managed: (obj: KubeObject) => void): Promise<Answer> {
    const t = call.type;
    let obj = input;
    this.placeNamespace(t, obj, call.namespace);
    this.namespaceWritable(t, obj.metadata.namespace, 'CREATE');
    if (!obj.metadata.name && !obj.metadata.generateName) {
      throw invalidObject({ group: t.group, kind: t.kind }, '', [required('metadata.name', 'name or generateName is required')]);
    }
    const warnings = this.defaulted(t, obj, call.query);
    if (!this.o.lenient) {
      const admitted = await this.o.admission.mutate(this.attributes(call, 'CREATE', obj, undefined), obj);
      obj = admitted.object;
      warnings.push(...admitted.warnings);
      this.defaulted(t, obj, undefined);
    }
    this.prepareCreate(t, obj);
    this.validateObject(t, obj, undefined);
    if (!this.o.lenient) warnings.push(...(await this.o.admission.validate(this.attributes(call, 'CREATE', obj, undefined), obj)));
    managed(obj);
    if (this.dryRun(call)) return { code: 201, body: this.present(t, obj), warnings };
    return { code: 201, body: this.present(t, this.commitCreate(t, obj)), warnings };
  }

  /** Admission, preparation, validation and storage of a change computed from `old`. */
  private async updateObject(call: Call, proposed: KubeObject, old: KubeObject, managed: (next: KubeObject, old: KubeObject) => void): Promise<Answer> {
    const t = call.type;
    this.namespaceWritable(t, old.metadata.namespace, 'UPDATE');
    let next = this.prepareUpdate(t, proposed, old, call.subresource);
    const warnings = this.defaulted(t, next, call.query);
    if (!this.o.lenient) {
      const admitted = await this.o.admission.mutate(this.attributes(call, 'UPDATE', next, old), next);
      next = admitted.object;
      warnings.push(...admitted.warnings);
      this.defaulted(t, next, undefined);
      next = this.prepareUpdate(t, next, old, call.subresource);
    }
    this.validateObject(t, next, old);
    if (!this.o.lenient) warnings.push(...(await this.o.admission.validate(this.attributes(call, 'UPDATE', next, old), next)));
    managed(next, old);
    if (this.dryRun(call)) return { code: 200, body: this.present(t, next), warnings };
    return { code: 200, body: this.present(t, this.commitUpdate(t, next, old)), warnings };
  }

  private recordManaged(call: Call, subresource?: string) {
    return (next: KubeObject, old?: KubeObject) => {
      if (this.o.lenient) return;
      next.metadata.managedFields = recordUpdate(old, next, call.type.shape, this.managerOf(call, 'Update', subresource), this.now());
      if (!next.metadata.managedFields.length) delete next.metadata.managedFields;
    };
  }

  // ---- verbs -----------------------------------------------------------------------------------

  private async create(call: Call): Promise<Answer> {
    const t = call.type;
    if (call.subresource) return this.createSubresource(call);
    if (t.virtual) return this.review(call);
    const obj = this.decode(t, call.body);
    return this.createObject(call, obj, this.recordManaged(call));
  }

  private async update(call: Call): Promise<Answer> {
    const t = call.type;
    if (t.virtual) throw methodNotAllowed();
    if (call.subresource === 'scale') return this.updateScale(call, (scale) => (isObject(call.body) ? call.body : scale));
    const obj = this.decode(t, call.body);
    if (obj.metadata.name !== undefined && obj.metadata.name !== call.name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${call.name})`);
    obj.metadata.name = call.name!;
    this.placeNamespace(t, obj, call.namespace);
    const old = this.storage.get(storageKey(t), t.namespaced ? call.namespace : undefined, call.name!);
    if (!old) {
      if (!t.createOnUpdate || call.subresource) throw notFound(gr(t), call.name!);
      return this.createObject(call, obj, this.recordManaged(call));
    }
    const rv = obj.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (!t.unconditionalUpdate) throw invalidObject({ group: t.group, kind: t.kind }, call.name!, [invalid('metadata.resourceVersion', 0, 'must be specified for an update')]);
    } else if (rv !== old.metadata.resourceVersion) throw modifiedConflict(gr(t), call.name!);
    try {
      return await this.updateObject(call, obj, old, this.recordManaged(call, call.subresource));
    } catch (err) {
      if (err instanceof StaleBase) throw modifiedConflict(gr(t), call.name!);
      throw err;
    }
  }

  private patchKind(call: Call): keyof typeof patchTypes {
    const ct = (call.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const accepted = call.type.strategicMerge ? [patchTypes.json, patchTypes.merge, patchTypes.strategic, patchTypes.apply] : [patchTypes.json, patchTypes.merge, patchTypes.apply];
    const kind = (Object.keys(patchTypes) as (keyof typeof patchTypes)[]).find((k) => patchTypes[k] === ct);
    if (!kind || !accepted.includes(ct)) throw unsupportedMediaType(accepted);
    return kind;
  }

  private patchOptions(call: Call, kind: keyof typeof patchTypes): { force: boolean } {
    const force = call.query?.get('force');
    const errors: FieldError[] = [];
    if (kind === 'apply' && !call.query?.get('fieldManager')) errors.push(required('fieldManager', 'is required for apply patch'));
    if (kind !== 'apply' && force !== null && force !== undefined) errors.push({ type: 'FieldValueForbidden', field: 'force', value: '', detail: 'may not be specified for non-apply patch' });
    if (errors.length) throw invalidObject({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', errors);
    return { force: force === 'true' };
  }

  /** The applied configuration of an apply patch (YAML or JSON text, or an object in-process). */
  private appliedConfig(call: Call): KubeObject {
    let config: unknown = call.body;
    if (typeof config === 'string' || Buffer.isBuffer(config)) {
      try {
        config = parseYaml(String(config), { prettyErrors: false });
      } catch (err) {
        throw badRequest(`error decoding YAML: error converting YAML to JSON: yaml: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    if (!isObject(config)) throw badRequest('error decoding YAML: the applied configuration must be an object');
    const t = call.type;
    if (!config.apiVersion || !config.kind) throw badRequest(`${!config.kind ? 'kind' : 'apiVersion'} must be set in the applied configuration`);
    const obj = this.decode(t, config);
    if (obj.metadata.name !== undefined && obj.metadata.name !== call.name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${call.name})`);
    obj.metadata.name = call.name!;
    this.placeNamespace(t, obj, call.namespace);
    return obj;
  }

  private applyScope(t: ResourceType, subresource: string | undefined): (field: string) => boolean {
    if (subresource === 'status') return (f) => f === 'status';
    return (f) => !(t.statusSubresource && f === 'status');
  }

  private async patch(call: Call): Promise<Answer> {
    const t = call.type;
    if (t.virtual) throw methodNotAllowed();
    const kind = this.patchKind(call);
    const { force } = this.patchOptions(call, kind);
    if (call.subresource === 'scale') return this.updateScale(call, (scale) => this.patched(kind, scale, call.body, t));
    const config = kind === 'apply' ? this.appliedConfig(call) : undefined;
    for (let attempt = 0; ; attempt++) {
      const old = this.storage.get(storageKey(t), t.namespaced ? call.namespace : undefined, call.name!);
      try {
        if (!old) {
          if (!config || call.subresource) throw notFound(gr(t), call.name!);
          const id = this.managerOf(call, 'Apply');
          return await this.createObject(call, clone(config), (obj) => {
            if (this.o.lenient) return;
            const result = applyConfig({ live: undefined, config, shape: t.shape, id, force: true, now: this.now(), scope: this.applyScope(t, undefined) });
            if (result.ok) obj.metadata.managedFields = result.object.metadata.managedFields ?? [];
          });
        }
        let proposed: KubeObject;
        let managed: (next: KubeObject, old: KubeObject) => void;
        if (config) {
          const id = this.managerOf(call, 'Apply', call.subresource);
          const result = applyConfig({ live: old, config, shape: t.shape, id, force, now: this.now(), scope: this.applyScope(t, call.subresource) });
          if (!result.ok) {
            const { message, causes } = conflictMessage(result.conflicts);
            throw failure(409, 'Conflict', message, { causes });
          }
          proposed = result.object;
          const managedFields = result.object.metadata.managedFields;
          managed = (next) => {
            if (managedFields?.length) next.metadata.managedFields = managedFields;
          };
        } else {
          proposed = this.patched(kind, old, call.body, t) as KubeObject;
          if (!isObject(proposed) || !isObject(proposed.metadata)) throw invalidObject({ group: t.group, kind: t.kind }, call.name!, [required('metadata')]);
          const rv = proposed.metadata.resourceVersion;
          if (rv !== undefined && rv !== old.metadata.resourceVersion) throw modifiedConflict(gr(t), call.name!);
          if (proposed.metadata.uid !== undefined && proposed.metadata.uid !== old.metadata.uid) {
            throw conflict(gr(t), call.name!, `Precondition failed: UID in precondition: ${proposed.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
          }
          if (proposed.metadata.name !== old.metadata.name) throw badRequest(`the name of the object (${String(proposed.metadata.name)}) does not match the name on the URL (${call.name})`);
          proposed.apiVersion = old.apiVersion;
          proposed.kind = old.kind;
          managed = this.recordManaged(call, call.subresource);
        }
        return await this.updateObject(call, proposed, old, managed);
      } catch (err) {
        if (err instanceof StaleBase && attempt < 5) continue;
        if (err instanceof StaleBase) throw modifiedConflict(gr(t), call.name!);
        throw err;
      }
    }
  }

  /** Applies a merge, JSON or strategic patch to `base`. */
  private patched(kind: keyof typeof patchTypes, base: unknown, body: unknown, t: ResourceType): unknown {
    try {
      if (kind === 'merge') {
        if (!isObject(body)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        return mergePatch(base, body);
      }
      if (kind === 'json') return jsonPatch(base, body);
      if (kind === 'strategic') return strategicMergePatch(base, body, t.shape);
      throw unsupportedMediaType([patchTypes.json, patchTypes.merge, patchTypes.strategic]);
    } catch (err) {
      if (err instanceof PatchError) throw failure(422, 'Invalid', err.message);
      throw err;
    }
  }

  // ---- delete ----------------------------------------------------------------------------------

  private deleteOptions(call: Call): { gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; orphanDependents?: boolean } {
    const body = isObject(call.body) ? call.body : {};
    const q = call.query ?? new URLSearchParams();
    const grace = body.gracePeriodSeconds ?? (q.get('gracePeriodSeconds') !== null ? Number(q.get('gracePeriodSeconds')) : undefined);
    const propagation = body.propagationPolicy ?? q.get('propagationPolicy') ?? undefined;
    const orphan = body.orphanDependents ?? (q.get('orphanDependents') !== null ? q.get('orphanDependents') === 'true' : undefined);
    if (propagation !== undefined && !['Orphan', 'Background', 'Foreground'].includes(String(propagation))) {
      throw invalidObject({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', value: propagation, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' }]);
    }
    return {
      ...(typeof grace === 'number' && !Number.isNaN(grace) ? { gracePeriodSeconds: grace } : {}),
      ...(propagation !== undefined ? { propagationPolicy: String(propagation) } : {}),
      ...(isObject(body.preconditions) ? { preconditions: body.preconditions as { uid?: string; resourceVersion?: string } } : {}),
      ...(typeof orphan === 'boolean' ? { orphanDependents: orphan } : {}),
    };
  }

  private async delete(call: Call): Promise<Answer> {
    const t = call.type;
    if (t.virtual || call.subresource) throw methodNotAllowed();
    const options = this.deleteOptions(call);
    const result = await this.deleteOne(t, call.namespace, call.name!, options, call);
    return { code: 200, body: result };
  }

  /** Deletes one object per DeleteOptions; returns what the API answers (the object or a Status). */
  async deleteOne(t: ResourceType, namespace: string | undefined, name: string, options: ReturnType<ApiEngine['deleteOptions']>, call?: Call): Promise<unknown> {
    const key = storageKey(t);
    const ns = t.namespaced ? namespace : undefined;
    const old = this.storage.get(key, ns, name);
    if (!old) throw notFound(gr(t), name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) throw conflict(gr(t), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(gr(t), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    if (call && !this.o.lenient) await this.o.admission.validate(this.attributes(call, 'DELETE', undefined, old), undefined);
    if (call && this.dryRun(call)) return this.present(t, old);
    const nowMs = this.o.now().getTime();
    const isPod = t.group === '' && t.kind === 'Pod' && !this.o.lenient;
    const isNamespace = t.group === '' && t.kind === 'Namespace' && !this.o.lenient;
    const isCrd = t.group === 'apiextensions.k8s.io' && t.kind === 'CustomResourceDefinition' && !this.o.lenient;
    const next = clone(old);
    const m = next.metadata;
    let grace = 0;
    if (isPod) {
      const spec = (isObject(old.spec) ? old.spec : {}) as JsonObject;
      const phase = isObject(old.status) ? old.status.phase : undefined;
      const terminal = phase === 'Succeeded' || phase === 'Failed';
      const scheduled = typeof spec.nodeName === 'string' && spec.nodeName !== '' && this.storage.peek('nodes', undefined, spec.nodeName) !== undefined;
      if (scheduled && !terminal) {
        grace = options.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
        if (grace < 0) grace = 1;
      }
      if (old.metadata.deletionTimestamp !== undefined) {
        // Already terminating: a shorter grace period wins; 0 removes it now.
        const current = old.metadata.deletionGracePeriodSeconds ?? 0;
        if (options.gracePeriodSeconds === undefined || grace >= current) return this.present(t, old);
      }
    }
    if (isNamespace) {
      if (m.deletionTimestamp === undefined) {
        m.deletionTimestamp = timestamp(new Date(nowMs));
        m.deletionGracePeriodSeconds = 0;
        next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
        return this.present(t, this.storage.put(key, next));
      }
      return this.present(t, old);
    }
    const propagation = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : t.defaultPropagation);
    const finalizers = new Set(m.finalizers ?? []);
    if (!this.o.lenient) {
      if (propagation === 'Foreground') finalizers.add('foregroundDeletion');
      if (propagation === 'Orphan' && this.hasDependents(old)) finalizers.add('orphan');
    }
    if (isCrd) this.removeCustomResources(old);
    if (finalizers.size > 0 || grace > 0) {
      if (m.deletionTimestamp === undefined || isPod) {
        m.deletionTimestamp = timestamp(new Date(nowMs + grace * 1000));
        m.deletionGracePeriodSeconds = grace;
        if (m.generation !== undefined && m.generation > 0 && old.metadata.deletionTimestamp === undefined) m.generation += 1;
      }
      m.finalizers = [...finalizers];
      if (m.finalizers.length === 0) delete m.finalizers;
      return this.present(t, this.storage.put(key, next));
    }
    const gone = this.storage.remove(key, ns, name)!;
    if (isCrd) this.o.registry.withdraw(name);
    if (isPod || t.crd || (t.group === '' && t.kind === 'Service')) return this.present(t, gone);
    return success({ name, ...(t.group ? { group: t.group } : {}), kind: t.plural, uid: old.metadata.uid! });
  }

  private hasDependents(owner: KubeObject): boolean {
    const uid = owner.metadata.uid;
    return [...this.o.registry.all()].some((t) => !t.virtual && this.storage.scan(storageKey(t)).some((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid)));
  }

  /** Deleting a CRD deletes its custom resources (the apiextensions cleanup finalizer's work). */
  private removeCustomResources(crd: KubeObject): void {
    const spec = isObject(crd.spec) ? crd.spec : {};
    const group = String(spec.group ?? '');
    const plural = isObject(spec.names) ? String(spec.names.plural ?? '') : '';
    const key = storageKey({ group, plural });
    for (const o of this.storage.scan(key)) this.storage.remove(key, o.metadata.namespace, o.metadata.name!);
  }

  private async deleteCollection(call: Call): Promise<Answer> {
    const t = call.type;
    if (t.virtual) throw methodNotAllowed();
    const matches = this.selector(t, call.query ?? new URLSearchParams());
    const options = this.deleteOptions(call);
    const victims = this.storage.scan(storageKey(t), t.namespaced ? call.namespace : undefined).filter((o) => matches(o as KubeObject));
    const items: unknown[] = [];
    for (const v of victims) {
      try {
        items.push(await this.deleteOne(t, v.metadata.namespace, v.metadata.name!, options, call));
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return { code: 200, body: { kind: `${t.kind}List`, apiVersion: groupVersion(t), metadata: { resourceVersion: String(this.storage.resourceVersion) }, items } };
  }

  // ---- subresources: scale, binding, token, eviction, finalize -------------------------------------

  private scaleOf(t: ResourceType, obj: KubeObject) {
    const spec = isObject(obj.spec) ? obj.spec : {};
    const status = isObject(obj.status) ? obj.status : {};
    const selector = isObject(spec.selector) && isObject(spec.selector.matchLabels) ? Object.entries(spec.selector.matchLabels).map(([k, v]) => `${k}=${String(v)}`).join(',') : '';
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
      spec: { replicas: spec.replicas ?? 0 }, status: { replicas: status.replicas ?? 0, selector },
    };
  }

  private async updateScale(call: Call, change: (scale: ReturnType<ApiEngine['scaleOf']>) => unknown): Promise<Answer> {
    const t = call.type;
    const old = this.existing(t, call.namespace, call.name!);
    const scale = change(this.scaleOf(t, old));
    const replicas = isObject(scale) && isObject(scale.spec) ? scale.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalidObject({ group: 'autoscaling', kind: 'Scale' }, call.name!, [invalid('spec.replicas', replicas ?? null, 'must be greater than or equal to 0')]);
    }
    const next = clone(old);
    (next.spec as JsonObject).replicas = replicas;
    const answer = await this.updateObject({ ...call, subresource: undefined }, next, old, this.recordManaged(call, 'scale'));
    return { ...answer, body: this.scaleOf(t, answer.body as KubeObject) };
  }

  private async createSubresource(call: Call): Promise<Answer> {
    const t = call.type;
    const key = `${t.group}/${t.plural}/${call.subresource}`;
    if (key === '/pods/binding') return this.bind(call);
    if (key === '/pods/eviction') return this.evict(call);
    if (key === '/serviceaccounts/token') return this.tokenRequest(call);
    throw methodNotAllowed();
  }

  private async bind(call: Call): Promise<Answer> {
    const body = isObject(call.body) ? call.body : {};
    const target = isObject(body.target) ? body.target : {};
    const node = typeof target.name === 'string' ? target.name : '';
    if (!node) throw invalidObject({ group: '', kind: 'Binding' }, call.name!, [required('target.name')]);
    const gr = { group: '', resource: 'pods/binding' };
    for (let attempt = 0; attempt < 5; attempt++) {
      const pod = this.existing(call.type, call.namespace, call.name!);
      const spec = (pod.spec ??= {}) as JsonObject;
      if (pod.metadata.deletionTimestamp !== undefined) throw conflict(gr, call.name!, `pod ${call.name} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName) throw conflict(gr, call.name!, `pod ${call.name} is already assigned to node "${String(spec.nodeName)}"`);
      const next = clone(pod);
      (next.spec as JsonObject).nodeName = node;
      const status = (next.status = isObject(next.status) ? next.status : {}) as JsonObject;
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObject(c) && c.type === 'PodScheduled'));
      status.conditions = [...conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.now() }];
      next.metadata.managedFields = recordUpdate(pod, next, call.type.shape, this.managerOf(call, 'Update'), this.now());
      try {
        this.commitUpdate(call.type, next, pod);
        return { code: 201, body: { ...success({}), code: 201 } };
      } catch (err) {
        if (!(err instanceof StaleBase)) throw err;
      }
    }
    throw modifiedConflict(gr, call.name!);
  }

  private async evict(call: Call): Promise<Answer> {
    const body = isObject(call.body) ? call.body : {};
    const options = isObject(body.deleteOptions) ? body.deleteOptions : {};
    await this.deleteOne(call.type, call.namespace, call.name!, {
      ...(typeof options.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
    }, { ...call, subresource: undefined, body: options });
    return { code: 201, body: { ...success({}), code: 201 } };
  }

  private async tokenRequest(call: Call): Promise<Answer> {
    const body = isObject(call.body) ? call.body : {};
    const spec = (isObject(body.spec) ? clone(body.spec) : {}) as { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } };
    spec.expirationSeconds ??= 3600;
    const errors: FieldError[] = [];
    if (spec.expirationSeconds < 600) errors.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 10 minutes'));
    if (spec.expirationSeconds > 2 ** 32) errors.push(invalid('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration larger than 2^32 seconds'));
    const ref = spec.boundObjectRef;
    if (ref && !['Pod', 'Secret', 'Node'].includes(String(ref.kind))) errors.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', value: ref.kind ?? '', detail: 'supported values: "Pod", "Node", "Secret"' });
    if (errors.length) throw invalidObject({ group: 'authentication.k8s.io', kind: 'TokenRequest' }, call.name!, errors);
    const sa = this.existing(call.type, call.namespace, call.name!);
    let pod: KubeObject | undefined;
    let secret: KubeObject | undefined;
    if (ref) {
      const resource = ref.kind === 'Pod' ? 'pods' : ref.kind === 'Secret' ? 'secrets' : 'nodes';
      const bound = this.storage.get(resource, ref.kind === 'Node' ? undefined : call.namespace, ref.name ?? '');
      if (!bound) throw notFound({ group: '', resource }, ref.name ?? '');
      if (ref.uid && bound.metadata.uid !== ref.uid) {
        throw conflict({ group: '', resource }, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      if (ref.kind === 'Pod') {
        pod = bound;
        const podSa = isObject(bound.spec) ? bound.spec.serviceAccountName : undefined;
        if (podSa !== call.name) throw badRequest(`cannot bind token for serviceaccount "${call.name}" to pod running with different serviceaccount name.`);
      }
      if (ref.kind === 'Secret') secret = bound;
    }
    const issued = this.o.authenticator.issue({ serviceAccount: sa, expirationSeconds: spec.expirationSeconds, ...(spec.audiences ? { audiences: spec.audiences } : {}), ...(pod ? { pod } : {}), ...(secret ? { secret } : {}) });
    if (ref && pod) ref.uid ??= pod.metadata.uid;
    return {
      code: 201,
      body: {
        kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: call.name, namespace: call.namespace, creationTimestamp: null },
        spec: { audiences: spec.audiences?.length ? spec.audiences : [...this.o.authenticator.apiAudiences], expirationSeconds: spec.expirationSeconds, boundObjectRef: ref ?? null },
        status: issued,
      },
    };
  }

  // ---- reviews: TokenReview, SubjectAccessReview, SelfSubjectAccessReview, SelfSubjectReview ------

  private review(call: Call): Answer {
    const t = call.type;
    const body = isObject(call.body) ? call.body : {};
    const spec = (isObject(body.spec) ? body.spec : {}) as JsonObject;
    const envelope = (status: unknown) => ({ code: 201, body: { kind: t.kind, apiVersion: groupVersion(t), metadata: { creationTimestamp: null }, spec, status } });
    switch (t.plural) {
      case 'tokenreviews': {
        if (typeof spec.token !== 'string' || spec.token === '') throw invalidObject({ group: t.group, kind: t.kind }, '', [required('spec.token')]);
        const audiences = Array.isArray(spec.audiences) ? (spec.audiences as string[]) : undefined;
        if (this.o.tokenReview) return envelope(this.o.tokenReview({ token: spec.token, ...(audiences ? { audiences } : {}) }));
        return envelope(this.o.authenticator.review(spec.token, audiences));
      }
      case 'selfsubjectreviews':
        return { code: 201, body: { kind: t.kind, apiVersion: groupVersion(t), metadata: { creationTimestamp: null }, status: { userInfo: call.user } } };
      case 'selfsubjectaccessreviews':
      case 'subjectaccessreviews':
      case 'localsubjectaccessreviews': {
        const user: UserInfo = t.plural === 'subjectaccessreviews' || t.plural === 'localsubjectaccessreviews'
          ? { username: String(spec.user ?? ''), groups: Array.isArray(spec.groups) ? (spec.groups as string[]) : [] }
          : call.user;
        const ra = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
        const na = isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
        const attrs: Attributes = ra
          ? {
            user, verb: String(ra.verb ?? ''), isResource: true, apiGroup: String(ra.group ?? ''), resource: String(ra.resource ?? ''),
            ...(ra.subresource ? { subresource: String(ra.subresource) } : {}), ...(ra.name ? { name: String(ra.name) } : {}),
            ...(ra.namespace || t.plural === 'localsubjectaccessreviews' ? { namespace: String(ra.namespace ?? call.namespace ?? '') } : {}),
          }
          : { user, verb: String(na?.verb ?? ''), isResource: false, path: String(na?.path ?? '') };
        if (this.o.authorization === 'AlwaysAllow') return envelope({ allowed: true });
        const decision = authorize(attrs, this.policy());
        return envelope(decision.allowed ? { allowed: true } : { allowed: false });
      }
      default:
        throw methodNotAllowed();
    }
  }
}

