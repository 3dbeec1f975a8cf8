/**
 * The journeys' kubectl: `@kubernetes/client-node` with the backend's admin kubeconfig, a few verbs
 * on any kind (server-side apply, get, list, create, merge patch, delete) and bounded waits that
 * say what they last saw. Objects are plain JSON (no client-node model classes), so a journey reads
 * them exactly as the API server sent them.
 */
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { waitUntil } from '../../harness/wait';

/** Any Kubernetes object, as JSON. */
export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    [field: string]: unknown;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects of every kind; journeys read the fields they check
  [field: string]: any;
}

/** Thrown by a `waitFor` probe when what it awaits can no longer happen (a Job that failed): the wait ends at once. */
export class WaitAborted extends Error {
  override name = 'WaitAborted';
}

/** An API error as the server sent it (status code, reason, message). */
export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status: Record<string, unknown>,
  ) {
    super(message);
  }
}

function toKubeError(e: unknown, what: string): unknown {
  if (!(e instanceof k8s.ApiException)) return e;
  let status: Record<string, unknown> = {};
  try {
    status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Record<string, unknown>;
  } catch {
    status = { message: String(e.body) };
  }
  return new KubeError(e.code, String(status.reason ?? ''), `${what}: ${e.code} ${String(status.message ?? e.message)}`, status);
}

/** The documents of a multi-document YAML string (empty ones dropped). */
export function yamlObjects(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as Obj).filter((o) => o && typeof o === 'object' && o.kind);
}

const describe = (o: Pick<Obj, 'kind' | 'metadata'>) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export class Kube {
  readonly config: k8s.KubeConfig;
  private readonly objects: k8s.KubernetesObjectApi;

  constructor(kubeconfigPath: string) {
    this.config = new k8s.KubeConfig();
    this.config.loadFromFile(kubeconfigPath);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(this.config);
  }

  /** Server-side apply of every object, in order (`kubectl apply --server-side --force-conflicts`). */
  async apply(objects: string | readonly Obj[], fieldManager = 'skein-e2e'): Promise<Obj[]> {
    const list = typeof objects === 'string' ? yamlObjects(objects) : objects;
    const out: Obj[] = [];
    for (const obj of list) {
      try {
        out.push(plain(await this.objects.patch(obj as k8s.KubernetesObject, undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply)));
      } catch (e) {
        throw toKubeError(e, `apply ${describe(obj)}`);
      }
    }
    return out;
  }

  async create(obj: Obj): Promise<Obj> {
    try {
      return plain(await this.objects.create(obj as k8s.KubernetesObject));
    } catch (e) {
      throw toKubeError(e, `create ${describe(obj)}`);
    }
  }

  /** The object, or undefined when it does not exist. */
  async get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Obj | undefined> {
    try {
      return plain(await this.objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }));
    } catch (e) {
      if (e instanceof k8s.ApiException && e.code === 404) return undefined;
      throw toKubeError(e, `get ${kind} ${namespace ?? ''}/${name}`);
    }
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<Obj[]> {
    try {
      const list = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      return list.items.map((i) => plain(i));
    } catch (e) {
      throw toKubeError(e, `list ${kind}${namespace ? ` in ${namespace}` : ''}`);
    }
  }

  /** JSON merge patch. */
  async patch(obj: Pick<Obj, 'apiVersion' | 'kind' | 'metadata'>, patch: Record<string, unknown>): Promise<Obj> {
    try {
      return plain(await this.objects.patch({ ...patch, apiVersion: obj.apiVersion, kind: obj.kind, metadata: { ...(patch.metadata as object), name: obj.metadata.name, namespace: obj.metadata.namespace } } as k8s.KubernetesObject, undefined, undefined, 'skein-e2e', undefined, k8s.PatchStrategy.MergePatch));
    } catch (e) {
      throw toKubeError(e, `patch ${describe(obj)}`);
    }
  }

  /** Deletes the object; false when it was not there. */
  async delete(obj: Pick<Obj, 'apiVersion' | 'kind' | 'metadata'>, options: { gracePeriodSeconds?: number; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<boolean> {
    try {
      await this.objects.delete(obj as k8s.KubernetesObject, undefined, undefined, options.gracePeriodSeconds, undefined, options.propagationPolicy ?? 'Background');
      return true;
    } catch (e) {
      if (e instanceof k8s.ApiException && e.code === 404) return false;
      throw toKubeError(e, `delete ${describe(obj)}`);
    }
  }

  /**
   * Polls `probe` until it returns a value (not undefined/false), at most `timeoutMs`; the error
   * says what was awaited and what `probe` last described through `note`. A probe that throws
   * WaitAborted ends the wait at once; other errors are retried (a pod not there yet, a restart).
   */
  async waitFor<T>(what: string, probe: (note: (text: string) => void) => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
    let last = '';
    let value: T | undefined;
    let aborted: WaitAborted | undefined;
    try {
      await waitUntil(async () => {
        let v: T | undefined | false;
        try {
          v = await probe((text) => (last = text));
        } catch (e) {
          if (e instanceof WaitAborted) aborted = e;
          throw e;
        }
        if (v === undefined || v === false) return false;
        value = v;
        return true;
      }, { what, timeoutMs, intervalMs, giveUp: () => aborted?.message });
    } catch (e) {
      throw new Error(`${(e as Error).message}${last ? `\nlast seen: ${last}` : ''}`);
    }
    return value!;
  }
}

/** client-node turns known kinds into model classes (Dates, renamed fields): back to the wire's JSON. */
function plain(obj: unknown): Obj {
  return JSON.parse(JSON.stringify(obj)) as Obj;
}
