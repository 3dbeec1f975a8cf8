/**
 * metav1.Status errors exactly as kube-apiserver shapes them (k8s.io/apimachinery/pkg/api/errors):
 * the code, the reason, the message wording and `details`. Field errors follow
 * k8s.io/apimachinery/pkg/util/validation/field (ErrorBody, causes, the aggregate message). Pure.
 */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error that is answered with its Status. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? `status ${status.code}`);
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export function failure(code: number, reason: string | undefined, message: string, details?: StatusDetails): ApiError {
  return new ApiError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message,
    ...(reason ? { reason } : {}), ...(details ? { details } : {}), code,
  });
}

export function success(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** `pods`, `virtualservices.networking.skein.dev`: how messages name a resource. */
export interface GroupResource {
  group: string;
  resource: string;
}
export const qualifiedResource = (gr: GroupResource): string => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);
const resourceDetails = (gr: GroupResource, name: string): StatusDetails => ({ name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource });

export const notFound = (gr: GroupResource, name: string): ApiError =>
  failure(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, resourceDetails(gr, name));

export const alreadyExists = (gr: GroupResource, name: string): ApiError =>
  failure(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, resourceDetails(gr, name));

export const conflict = (gr: GroupResource, name: string, why: string): ApiError =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, resourceDetails(gr, name));

export const modifiedConflict = (gr: GroupResource, name: string): ApiError =>
  conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');

export const badRequest = (message: string): ApiError => failure(400, 'BadRequest', message);

export const methodNotAllowed = (): ApiError => failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

/** The 404 for a path the server does not serve at all. */
export const noRoute = (): ApiError => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const unsupportedMediaType = (accepted: readonly string[]): ApiError =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);

export const unauthorized = (): ApiError => failure(401, 'Unauthorized', 'Unauthorized');

export const internalError = (message: string): ApiError =>
  failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

export const expired = (message: string): ApiError => failure(410, 'Expired', message);

export const timeout = (message: string, retryAfterSeconds = 0): ApiError =>
  failure(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds });

/** `<resource> "<name>" is forbidden: <why>` (or `<resource> is forbidden` for collections). */
export function forbidden(gr: GroupResource, name: string | undefined, why: string): ApiError {
  const subject = name === undefined ? qualifiedResource(gr) : `${qualifiedResource(gr)} "${name}"`;
  return failure(403, 'Forbidden', `${subject} is forbidden: ${why}`, { ...(name !== undefined ? { name } : {}), ...(gr.group ? { group: gr.group } : {}), kind: gr.resource });
}

// ---- field errors ----------------------------------------------------------------------------

export type FieldErrorType =
  | 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueTypeInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden'
  | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueDuplicate' | 'FieldValueNotFound' | 'InternalError';

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value', FieldValueInvalid: 'Invalid value', FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value', FieldValueForbidden: 'Forbidden', FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many', FieldValueDuplicate: 'Duplicate value', FieldValueNotFound: 'Not found', InternalError: 'Internal error',
};

/** Marks a field error without a bad value to print (field.TooMany with an unknown count…). */
export const omitValue = Symbol('omitValue');

export interface FieldError {
  type: FieldErrorType;
  /** `spec.hosts[0]`; `<nil>` when the validator could not say (kube-openapi composite errors). */
  field: string;
  value?: unknown;
  detail?: string;
}

/** How Go's %v / %q print a bad value in field.Error (strings quoted, numbers plain, structs %#v). */
function goValue(value: unknown): string {
  if (value === undefined || value === null) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goValue).join(', ')}}`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return `map[string]interface {}{${entries.map(([k, v]) => `${JSON.stringify(k)}:${goValue(v)}`).join(', ')}}`;
}

/** field.Error.ErrorBody(). */
export function fieldErrorBody(e: FieldError): string {
  let s: string;
  if (['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'InternalError'].includes(e.type) || e.value === omitValue) s = typeText[e.type];
  else s = `${typeText[e.type]}: ${goValue(e.value)}`;
  return e.detail ? `${s}: ${e.detail}` : s;
}

export const fieldErrorText = (e: FieldError): string => `${e.field}: ${fieldErrorBody(e)}`;

export const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, value: '', detail });
export const invalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, value, detail });
export const forbiddenField = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, value: '', detail });
export const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  type: 'FieldValueNotSupported', field, value, ...(supported.length ? { detail: `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` } : {}),
});
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value });
export const typeInvalid = (field: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, value, detail });

/** apierrors.NewInvalid: 422 with one cause per field error and the aggregate message. */
export function invalidObject(groupKind: { group: string; kind: string }, name: string, errors: readonly FieldError[]): ApiError {
  const qualifiedKind = groupKind.group ? `${groupKind.kind}.${groupKind.group}` : groupKind.kind;
  const causes = errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field }));
  // ErrorList.ToAggregate drops repeated messages; an aggregate of one prints bare, of many in [a, b].
  const messages = [...new Set(errors.map(fieldErrorText))];
  const aggregate = messages.length === 0 ? '' : messages.length === 1 ? `: ${messages[0]}` : `: [${messages.join(', ')}]`;
  return failure(422, 'Invalid', `${qualifiedKind} "${name}" is invalid${aggregate}`, {
    name, ...(groupKind.group ? { group: groupKind.group } : {}), kind: groupKind.kind, causes,
  });
}
