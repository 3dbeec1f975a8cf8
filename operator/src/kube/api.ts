/**
 * The Kubernetes API as operator/src/kube uses it: the calls, the error type and its predicates.
 * No client library here, so pure logic and unit tests can import it; rest.ts implements it.
 */
import { STATUS_CODES } from 'node:http';

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly status: number,
    /** Status.reason from the API server (NotFound, AlreadyExists, Conflict, Expired, Forbidden…). */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof KubeApiError && err.status === 410;

export type PatchType = 'merge' | 'json' | 'strategic';
export const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Aborts the request (watch streams). */
  signal?: AbortSignal;
  /** Per-request timeout in ms for non-streaming calls (default 30 s). */
  timeoutMs?: number;
}

/** What the rest of operator/src/kube needs from the API; the class below is the real one. */
export interface KubeApi {
  get<T = Record<string, unknown>>(path: string): Promise<T>;
  list<T = Record<string, unknown>>(path: string, query?: RequestOptions['query']): Promise<T>;
  create<T = Record<string, unknown>>(path: string, body: unknown): Promise<T>;
  replace<T = Record<string, unknown>>(path: string, body: unknown): Promise<T>;
  patch<T = Record<string, unknown>>(path: string, patch: unknown, type: PatchType): Promise<T>;
  /** Server-side apply (`application/apply-patch+yaml`) of a whole object, as `fieldManager`, taking over conflicting fields. */
  apply<T = Record<string, unknown>>(path: string, object: unknown, fieldManager: string): Promise<T>;
  /** Deletes the object at `path` (404 is the caller's to judge). */
  delete(path: string): Promise<void>;
  /** Opens a watch and calls onLine for every newline-delimited JSON event; resolves when the stream ends. */
  watch(path: string, query: RequestOptions['query'], onEvent: (event: unknown) => void, signal: AbortSignal): Promise<void>;
}

/** The KubeApiError for an answer with a non-2xx status (a Status object when the API server sent one). */
export function apiError(status: number, text: string): KubeApiError {
  let reason = STATUS_CODES[status] ?? 'Unknown';
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { kind?: string; reason?: string; message?: string };
    if (body.kind === 'Status') {
      reason = body.reason ?? reason;
      message = body.message ?? message;
    }
  } catch {
    // not JSON: keep the raw text
  }
  return new KubeApiError(status, reason, `${status} ${reason}: ${message}`);
}

