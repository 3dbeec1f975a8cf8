/**
 * AdmissionReview v1 in, AdmissionReview v1 out: validation of the review, what to do with it, and
 * the response with a JSON patch computed by diffing the original and the injected pod (never
 * written by hand). Pure: the server does I/O (namespace lookup, HTTP) around it.
 */
import { compare, type Operation } from 'fast-json-patch';
import { type InjectionConfig } from './config';
import { type Decision, decide } from './decide';
import { injectPod } from './inject';
import { InjectionError, isObject, type NamespaceInfo, type Pod } from './types';

export const admissionApiVersion = 'admission.k8s.io/v1';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  namespace?: string;
  name?: string;
  operation: string;
  object?: unknown;
}

export type ParsedReview = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

/** Checks the envelope; a bad envelope is the caller's bug and gets HTTP 400 with this message. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  const fail = (message: string): ParsedReview => ({ ok: false, message });
  if (!isObject(body)) return fail('expected a JSON AdmissionReview object');
  if (body.apiVersion !== admissionApiVersion) return fail(`apiVersion must be ${admissionApiVersion}, got ${JSON.stringify(body.apiVersion)}`);
  if (body.kind !== 'AdmissionReview') return fail(`kind must be AdmissionReview, got ${JSON.stringify(body.kind)}`);
  const request = body.request;
  if (!isObject(request)) return fail('AdmissionReview has no request');
  if (typeof request.uid !== 'string' || request.uid === '') return fail('request.uid must be a non-empty string');
  if (typeof request.operation !== 'string') return fail('request.operation must be a string');
  const kind = request.kind;
  if (!isObject(kind) || typeof kind.kind !== 'string') return fail('request.kind must be a GroupVersionKind');
  return { ok: true, request: request as unknown as AdmissionRequest };
}

export type Plan =
  | { action: 'allow'; why: string }
  | { action: 'refuse'; message: string }
  | { action: 'pod'; pod: Pod; namespace: string };

/** What the webhook does with a valid review: only CREATE of a core/v1 Pod is looked at. */
export function planReview(request: AdmissionRequest): Plan {
  const { kind } = request;
  if (kind.kind !== 'Pod' || (kind.group ?? '') !== '' || request.subResource) {
    return { action: 'allow', why: `not a pod: ${kind.group ? `${kind.group}/` : ''}${kind.kind}${request.subResource ? `/${request.subResource}` : ''}` };
  }
  if (request.operation !== 'CREATE') return { action: 'allow', why: `operation ${request.operation}` };
  const pod = request.object;
  if (!isObject(pod) || !isObject(pod.spec) || !Array.isArray(pod.spec.containers)) {
    return { action: 'refuse', message: 'request.object is not a pod with spec.containers' };
  }
  const named = (list: unknown) => list === undefined || (Array.isArray(list) && list.every((c) => isObject(c) && typeof c.name === 'string'));
  if (!named(pod.spec.containers) || !named(pod.spec.initContainers)) {
    return { action: 'refuse', message: 'request.object has a container without a name' };
  }
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  const namespace = request.namespace || (typeof metadata.namespace === 'string' ? metadata.namespace : '');
  if (!namespace) return { action: 'refuse', message: 'the review names no namespace for the pod' };
  return { action: 'pod', pod: pod as unknown as Pod, namespace };
}

export function computePatch(original: Pod, mutated: Pod): Operation[] {
  return compare(original, mutated);
}

export type Outcome = 'injected' | 'skipped' | 'allowed' | 'refused';

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code: number; message: string };
}

export interface PodAdmission {
  outcome: Outcome;
  decision: Decision;
  response: AdmissionResponse;
  /** The patch, undecoded (for logs and `skein inject`). */
  patch: Operation[];
}

export function refusal(uid: string, message: string, code = 400): AdmissionResponse {
  return { uid, allowed: false, status: { code, message } };
}

export function encodePatch(patch: Operation[]): string {
  return Buffer.from(JSON.stringify(patch)).toString('base64');
}

/** Decides and renders one pod; an invalid annotation or probe refuses the pod (never ignored). */
export function admitPod(uid: string, pod: Pod, namespace: NamespaceInfo, config: InjectionConfig): PodAdmission {
  let decision: Decision = { inject: false, reasons: [] };
  let patch: Operation[];
  try {
    decision = decide(pod, namespace, config);
    if (!decision.inject) return { outcome: 'skipped', decision, response: { uid, allowed: true }, patch: [] };
    patch = computePatch(pod, injectPod(pod, config));
  } catch (err) {
    const message = err instanceof InjectionError ? err.message : `sidecar injection failed: ${err instanceof Error ? err.message : String(err)}`;
    return { outcome: 'refused', decision, response: refusal(uid, `skein: ${message}`, err instanceof InjectionError ? 400 : 500), patch: [] };
  }
  const response: AdmissionResponse = { uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = encodePatch(patch);
  }
  return { outcome: 'injected', decision, response, patch };
}

export function reviewEnvelope(response: AdmissionResponse) {
  return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response };
}
