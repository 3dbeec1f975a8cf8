/**
 * An in-process client of the engine: what the simulated controllers (and tests that need no
 * wire) use instead of HTTP. Every call goes through the same pipeline as a REST request —
 * authorization, admission, validation — as the given user.
 */
import { type KubeObject } from './core/json';
import { type UserInfo } from './core/rbac';
import { type ResourceType } from './core/resource-types';
import { type ApiEngine } from './engine';

export type TypeRef = ResourceType | { group: string; version: string; plural: string };

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export class InProcessClient {
  constructor(private readonly engine: ApiEngine, readonly user: UserInfo, private readonly userAgent: string) {}

  type(ref: TypeRef): ResourceType {
    return 'kind' in ref ? ref : this.engine.resolve(ref.group, ref.version, ref.plural);
  }

  private async call(ref: TypeRef, verb: string, p: { namespace?: string | undefined; name?: string | undefined; subresource?: string; body?: unknown; contentType?: string; query?: Record<string, string> }): Promise<unknown> {
    const answer = await this.engine.execute({
      user: this.user, verb, type: this.type(ref), userAgent: this.userAgent, query: new URLSearchParams(p.query ?? {}),
      ...(p.namespace !== undefined ? { namespace: p.namespace } : {}), ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.subresource ? { subresource: p.subresource } : {}), ...(p.body !== undefined ? { body: p.body } : {}), ...(p.contentType ? { contentType: p.contentType } : {}),
    });
    return answer.body;
  }

  async get(ref: TypeRef, namespace: string | undefined, name: string): Promise<KubeObject> {
    return (await this.call(ref, 'get', { namespace, name })) as KubeObject;
  }

  async create(ref: TypeRef, obj: KubeObject, query?: Record<string, string>): Promise<KubeObject> {
    return (await this.call(ref, 'create', { namespace: obj.metadata.namespace, body: obj, ...(query ? { query } : {}) })) as KubeObject;
  }

  async update(ref: TypeRef, obj: KubeObject, subresource?: string): Promise<KubeObject> {
    return (await this.call(ref, 'update', { namespace: obj.metadata.namespace, name: obj.metadata.name, body: obj, ...(subresource ? { subresource } : {}) })) as KubeObject;
  }

  async patch(ref: TypeRef, namespace: string | undefined, name: string, patch: unknown, type: 'merge' | 'json' | 'strategic' | 'apply' = 'merge', options: { subresource?: string; fieldManager?: string; force?: boolean } = {}): Promise<KubeObject> {
    const contentType = { merge: 'application/merge-patch+json', json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml' }[type];
    const query: Record<string, string> = {};
    if (options.fieldManager) query.fieldManager = options.fieldManager;
    if (options.force !== undefined) query.force = String(options.force);
    return (await this.call(ref, 'patch', { namespace, name, body: patch, contentType, query, ...(options.subresource ? { subresource: options.subresource } : {}) })) as KubeObject;
  }

  async delete(ref: TypeRef, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<unknown> {
    return this.call(ref, 'delete', { namespace, name, body: options });
  }

  async subresource(ref: TypeRef, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<unknown> {
    return this.call(ref, 'create', { namespace, name, subresource, body });
  }
}
