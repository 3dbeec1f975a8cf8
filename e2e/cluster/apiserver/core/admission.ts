/**
 * Admission webhooks, the pure half: which webhooks of a configuration a request must go to
 * (rules: operations, apiGroups, apiVersions, resources incl. subresources, scope; namespaceSelector
 * against the namespace's labels; objectSelector against the new or old object's labels), the
 * AdmissionReview v1 sent, the checks on the answer (kind, uid, patchType), the reinvocation rule
 * for `reinvocationPolicy: IfNeeded`, and the Status a refusal or failure becomes — wording from
 * k8s.io/apiserver/pkg/admission/plugin/webhook. Pure.
 */
import { isObject, type KubeObject } from './json';
import { labelSelectorMatcher, type LabelSelector } from './selectors';
import { type ApiError, failure, internalError } from './status';
import { type UserInfo } from './rbac';

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

export interface Webhook {
  name: string;
  clientConfig?: { url?: string; service?: { name: string; namespace: string; path?: string; port?: number }; caBundle?: string };
  rules?: RuleWithOperations[];
  failurePolicy?: 'Fail' | 'Ignore';
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  timeoutSeconds?: number;
  reinvocationPolicy?: 'Never' | 'IfNeeded';
  sideEffects?: string;
  admissionReviewVersions?: string[];
  matchPolicy?: string;
}

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  namespaced: boolean;
  object?: KubeObject;
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
  options?: Record<string, unknown>;
}

const listHas = (list: string[] | undefined, v: string) => (list ?? []).includes('*') || (list ?? []).includes(v);

function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string | undefined): boolean {
  return (patterns ?? []).some((p) => {
    const [res, sub] = p.split('/') as [string, string | undefined];
    if (sub === undefined) return subresource === undefined && (res === '*' || res === resource);
    return (res === '*' || res === resource) && (sub === '*' || sub === subresource);
  });
}

export function ruleMatches(rule: RuleWithOperations, a: AdmissionAttributes): boolean {
  if (!listHas(rule.operations, a.operation)) return false;
  if (!listHas(rule.apiGroups, a.group) || !listHas(rule.apiVersions, a.version)) return false;
  if (!resourceMatches(rule.resources, a.resource, a.subresource)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Namespaced' && !a.namespaced) return false;
  if (scope === 'Cluster' && a.namespaced) return false;
  return true;
}

const emptySelector = (s: LabelSelector | undefined) => !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);

/**
 * Whether the webhook is called: a rule matches, the namespace's labels match namespaceSelector
 * (cluster-scoped objects other than Namespaces always do; a Namespace is matched by its own
 * labels), and the object's or the old object's labels match objectSelector.
 */
export function webhookMatches(hook: Webhook, a: AdmissionAttributes, namespaceLabels: Record<string, string> | undefined): boolean {
  if (!(hook.rules ?? []).some((r) => ruleMatches(r, a))) return false;
  const nsApplies = a.namespace !== undefined || a.resource === 'namespaces';
  if (nsApplies && !emptySelector(hook.namespaceSelector)) {
    const labels = a.resource === 'namespaces' && (a.operation === 'CREATE' || a.operation === 'UPDATE') ? a.object?.metadata.labels : namespaceLabels;
    if (!labelSelectorMatcher(hook.namespaceSelector!)(labels ?? {})) return false;
  }
  if (!emptySelector(hook.objectSelector)) {
    const m = labelSelectorMatcher(hook.objectSelector!);
    const matched = [a.object, a.oldObject].some((o) => o !== undefined && m(o.metadata.labels ?? {}));
    if (!matched) return false;
  }
  return true;
}

/** Objects whose admission never goes to webhooks (the API server's own deadlock guard). */
export function exemptFromWebhooks(a: Pick<AdmissionAttributes, 'group' | 'resource'>): boolean {
  return a.group === 'admissionregistration.k8s.io' && ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'].includes(a.resource);
}

export function admissionReview(uid: string, a: AdmissionAttributes) {
  const gvk = { group: a.group, version: a.version, kind: a.kind };
  const gvr = { group: a.group, version: a.version, resource: a.resource };
  return {
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid, kind: gvk, resource: gvr, ...(a.subresource ? { subResource: a.subresource } : {}),
      requestKind: gvk, requestResource: gvr, ...(a.subresource ? { requestSubResource: a.subresource } : {}),
      name: a.name ?? '', ...(a.namespace !== undefined ? { namespace: a.namespace } : {}), operation: a.operation,
      userInfo: { username: a.user.username, ...(a.user.uid ? { uid: a.user.uid } : {}), groups: a.user.groups, ...(a.user.extra ? { extra: a.user.extra } : {}) },
      object: a.object ?? null, oldObject: a.oldObject ?? null, dryRun: a.dryRun,
      options: a.options ?? null,
    },
  };
}

export interface AdmissionResult {
  allowed: boolean;
  patch?: unknown[];
  status?: { code?: number; message?: string; reason?: string; status?: string; details?: unknown };
  warnings?: string[];
}

/** webhookrequest.VerifyAdmissionResponse: the answer must be an AdmissionReview v1 for our uid. */
export function verifyResponse(uid: string, body: unknown): AdmissionResult | { invalid: string } | { unsupportedPatchType: string } {
  if (!isObject(body) || body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview') {
    const gv = isObject(body) && typeof body.apiVersion === 'string' ? body.apiVersion : '';
    const kind = isObject(body) && typeof body.kind === 'string' ? body.kind : '';
    const [g, v] = gv.includes('/') ? gv.split('/') : ['', gv];
    return { invalid: `expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${g}/${v}, Kind=${kind}` };
  }
  const response = body.response;
  if (!isObject(response)) return { invalid: 'webhook response was absent' };
  if (response.uid !== uid) return { invalid: `expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}` };
  const result: AdmissionResult = { allowed: response.allowed === true };
  if (isObject(response.status)) result.status = response.status as AdmissionResult['status'];
  if (Array.isArray(response.warnings)) result.warnings = response.warnings.filter((w): w is string => typeof w === 'string');
  if (response.patch !== undefined && response.patch !== null && response.patch !== '') {
    if (response.patchType !== 'JSONPatch') {
      return response.patchType === undefined ? { invalid: 'webhook returned response.patch but not response.patchType' } : { unsupportedPatchType: String(response.patchType) };
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(String(response.patch), 'base64').toString('utf8'));
    } catch (err) {
      return { invalid: `received undecodable patch in webhook response: ${(err as Error).message}` };
    }
    if (!Array.isArray(decoded)) return { invalid: 'received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch' };
    result.patch = decoded;
  }
  return result;
}

/** ErrCallingWebhook with failurePolicy Fail: `Internal error occurred: failed calling webhook "<name>": <reason>`. */
export const callFailure = (hookName: string, reason: string): ApiError => internalError(`failed calling webhook ${JSON.stringify(hookName)}: ${reason}`);

/** webhookerrors.ToStatusErr: `admission webhook "<name>" denied the request: <message>`. */
export function denial(hookName: string, status: AdmissionResult['status']): ApiError {
  const deniedBy = `admission webhook ${JSON.stringify(hookName)} denied the request`;
  const message = status?.message ? `${deniedBy}: ${status.message}` : status?.reason ? `${deniedBy}: ${status.reason}` : `${deniedBy} without explanation`;
  // A Failure status without a code is answered as 500 (ErrorToAPIStatus).
  const code = status?.code || 500;
  return failure(code, status?.reason, message, isObject(status?.details) ? (status.details as never) : undefined);
}

/** `?timeout=10s` as Go's time.Duration prints whole seconds. */
export const timeoutParam = (seconds: number) => `timeout=${seconds}s`;

/** The URL the API server names in errors: `https://<svc>.<ns>.svc:<port><path>?timeout=10s`, or clientConfig.url. */
export function webhookUrl(hook: Webhook): string {
  const timeout = timeoutParam(hook.timeoutSeconds ?? 10);
  const url = hook.clientConfig?.url;
  if (url) return `${url}${url.includes('?') ? '&' : '?'}${timeout}`;
  const svc = hook.clientConfig?.service;
  return `https://${svc?.name}.${svc?.namespace}.svc:${svc?.port ?? 443}${svc?.path ?? ''}?${timeout}`;
}

/**
 * The reinvocation rule of the mutating dispatcher: after the first round, a second round calls
 * again (in order) the IfNeeded webhooks that were called before a later webhook changed the object.
 */
export class ReinvocationTracker {
  private readonly invokedIfNeeded: string[] = [];
  private reinvoke = new Set<string>();

  /** Records a call of webhook `id` (configuration/name) in the first round. */
  called(id: string, hook: Webhook, changed: boolean): void {
    if (changed) this.reinvoke = new Set(this.invokedIfNeeded);
    if (hook.reinvocationPolicy === 'IfNeeded' && !this.invokedIfNeeded.includes(id)) this.invokedIfNeeded.push(id);
  }

  /** Webhook ids to call again in the second round. */
  get secondRound(): ReadonlySet<string> {
    return this.reinvoke;
  }
}
