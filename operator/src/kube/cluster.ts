/**
 * How the operator's verbs (`skein install | check | proxy-status | proxy-config | analyze | version`)
 * reach a cluster: which kubeconfig, which context, and what to tell the user when the API server
 * cannot be reached or refuses them. One place, so every verb says the same thing the same way.
 *
 * Kubeconfig lookup, as kubectl: `--kubeconfig FILE`, else `$KUBECONFIG` (first file that exists),
 * else `~/.kube/config`, else in-cluster (service account). Unlike client-node's `loadFromDefault`,
 * nothing found is an error ("no kubeconfig"), never a silent `http://localhost:8080`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { KubeApiError } from './api';
import { KubeRestClient } from './rest';

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  /** Per-request timeout (default 10 s: a CLI should not hang for the informers' 30 s). */
  requestTimeoutMs?: number;
}

export interface Cluster {
  api: KubeRestClient;
  config: k8s.KubeConfig;
  /** The API server's URL, for messages. */
  server: string;
  /** The context's namespace, else `default` (what `POD` without `.NAMESPACE` means). */
  namespace: string;
  /** Where the configuration came from: a file path or `in-cluster`. */
  source: string;
}

/** No kubeconfig, a kubeconfig that does not load, an unknown context: the user's to fix (exit 1). */
export class ClusterConfigError extends Error {
  override name = 'ClusterConfigError';
}

const inClusterTokenFile = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The kubeconfig file that would be used, `in-cluster`, or undefined when there is none. */
export function findKubeconfig(options: { kubeconfig?: string; env?: NodeJS.ProcessEnv; home?: string } = {}): string | undefined {
  if (options.kubeconfig) return options.kubeconfig;
  const env = options.env ?? process.env;
  for (const file of (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean)) if (fs.existsSync(file)) return file;
  const home = path.join(options.home ?? os.homedir(), '.kube', 'config');
  if (fs.existsSync(home)) return home;
  if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(inClusterTokenFile)) return 'in-cluster';
  return undefined;
}

export function connectCluster(options: ClusterOptions = {}, env: NodeJS.ProcessEnv = process.env): Cluster {
  const source = findKubeconfig({ kubeconfig: options.kubeconfig, env });
  if (!source) throw new ClusterConfigError('no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config');
  if (source !== 'in-cluster' && !fs.existsSync(source)) throw new ClusterConfigError(`${source}: no such kubeconfig`);
  const config = new k8s.KubeConfig();
  try {
    if (source === 'in-cluster') config.loadFromCluster();
    else config.loadFromFile(source);
  } catch (err) {
    throw new ClusterConfigError(`cannot load kubeconfig ${source}: ${(err as Error).message}`);
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      throw new ClusterConfigError(`context "${options.context}" is not in ${source} (contexts: ${config.getContexts().map((c) => c.name).join(', ') || 'none'})`);
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) throw new ClusterConfigError(`${source}: the current context names no cluster`);
  const api = new KubeRestClient(config, options.requestTimeoutMs ?? 10_000);
  const namespace = config.getContextObject(config.getCurrentContext())?.namespace || 'default';
  return { api, config, server: api.serverUrl, namespace, source };
}

/** A connection failure or an API error, as one sentence that says what to check. */
export function describeApiFailure(err: unknown, server: string): string {
  if (err instanceof KubeApiError) {
    if (err.status === 401) return `the Kubernetes API at ${server} refused the credentials (401 Unauthorized): check the kubeconfig's user`;
    if (err.status === 403) return `the Kubernetes API at ${server} denied this (403 Forbidden): ${err.message}`;
    return `the Kubernetes API at ${server} answered ${err.message}`;
  }
  const e = err as NodeJS.ErrnoException;
  const cause = e.code === 'ECONNREFUSED' ? 'connection refused'
    : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? 'unknown host'
    : e.code === 'ECONNRESET' ? 'connection reset'
    : e.message ?? String(err);
  return `cannot reach the Kubernetes API at ${server}: ${cause} (is the cluster running, and is this the right kubeconfig/context?)`;
}

/** Connects, runs `fn`, and turns API failures into one sentence (exit 1 through the dispatcher). */
export async function withCluster<T>(options: ClusterOptions, fn: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = connectCluster(options);
  try {
    return await fn(cluster);
  } catch (err) {
    if (isApiFailure(err)) throw new Error(describeApiFailure(err, cluster.server));
    throw err;
  }
}

/** The API server's version (`GET /version`). */
export async function serverVersion(api: KubeRestClient): Promise<{ gitVersion: string; major: number; minor: number }> {
  const v = await api.get<{ gitVersion?: string; major?: string; minor?: string }>('/version');
  const gitVersion = v.gitVersion ?? `v${v.major}.${v.minor}`;
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return { gitVersion, major: Number(m?.[1] ?? v.major), minor: Number(m?.[2] ?? String(v.minor).replace(/\D+$/, '')) };
}

/** Whether `err` is the API server's answer or a failure to reach it (as opposed to a bug or a usage error). */
export function isApiFailure(err: unknown): boolean {
  if (err instanceof KubeApiError) return true;
  const e = err as NodeJS.ErrnoException;
  return typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) || /no answer within/.test(e?.message ?? '');
}

/**
 * The cluster's Kubernetes version when a kubeconfig is there to ask (`skein inject`: native
 * sidecars from 1.29); undefined when there is none. Failures are returned, not thrown: the caller
 * carries on without the version.
 */
export async function lookupClusterVersion(options: ClusterOptions): Promise<{ version: string; source: string } | { error: string; source: string } | undefined> {
  const source = findKubeconfig({ kubeconfig: options.kubeconfig });
  if (!source) return undefined;
  let cluster: Cluster;
  try {
    cluster = connectCluster({ ...options, requestTimeoutMs: options.requestTimeoutMs ?? 5_000 });
  } catch (err) {
    return { error: (err as Error).message, source };
  }
  try {
    return { version: (await serverVersion(cluster.api)).gitVersion, source: `${cluster.server}, kubeconfig ${source}` };
  } catch (err) {
    return { error: describeApiFailure(err, cluster.server), source: `kubeconfig ${source}` };
  }
}
