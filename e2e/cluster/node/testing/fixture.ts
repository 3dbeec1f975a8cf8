/**
 * Jest wiring for the node's system tests: an API server (test-api.ts) and a simulated node
 * started in beforeAll, the node's logs printed after a failed test, everything stopped in
 * afterAll. Plus the few client calls the tests make, as kubectl would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentTestFailed } from '../../../harness/jest';
import { waitUntil } from '../../../harness/wait';
import { ApiError, KubeApi } from '../api';
import { type Pod, type PodCondition, type Service } from '../core/types';
import { startSimulatedNode, type SimulatedNode } from '../node';
import { TestApiServer } from './test-api';

export interface NodeFixture {
  api: TestApiServer;
  node: SimulatedNode;
  /** An admin client of the API server (what a test's kubectl would be). */
  client: KubeApi;
}

export const TestNodeName = 'sim-node-1';

export function useSimulatedNode(options: { testTimeoutMs?: number } = {}): () => NodeFixture {
  let fixture: NodeFixture | undefined;
  let dir = '';
  let failed = false;
  jest.setTimeout(options.testTimeoutMs ?? 60_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-node-test-'));
    const api = await TestApiServer.start({ nodeName: TestNodeName, dir });
    let node: SimulatedNode | undefined;
    try {
      node = await startSimulatedNode({ api: { url: api.url, caPem: api.caPem, token: api.adminToken }, name: TestNodeName });
    } catch (e) {
      await api.close();
      throw e;
    }
    api.setApiServerEndpoint(node.apiServerEndpoint);
    fixture = { api, node, client: new KubeApi({ url: api.url, caPem: api.caPem, token: api.adminToken }) };
  }, 60_000);

  afterEach(async () => {
    if (!fixture || currentTestFailed() === false) return;
    failed = true;
    console.error(`test failed; simulated node ${fixture.node.name} (run ${fixture.node.run}, files in ${fixture.node.dir}):\n${await fixture.node.logTails()}`);
  });

  afterAll(async () => {
    if (!fixture) return;
    fixture.client.close();
    await fixture.node.stop({ keepFiles: failed });
    await fixture.api.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  return () => {
    if (!fixture) throw new Error('the node is not ready: use it inside tests');
    return fixture;
  };
}

export function podPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/pods${name ? `/${name}` : ''}`;
}

export async function createPod(client: KubeApi, pod: Pod): Promise<Pod> {
  const ns = pod.metadata?.namespace ?? 'default';
  return client.post<Pod>(podPath(ns), { apiVersion: 'v1', kind: 'Pod', ...pod, metadata: { namespace: ns, ...pod.metadata } });
}

export async function createService(client: KubeApi, service: Service): Promise<Service> {
  const ns = service.metadata?.namespace ?? 'default';
  return client.post<Service>(`/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', ...service, metadata: { namespace: ns, ...service.metadata } });
}

export async function getPod(client: KubeApi, namespace: string, name: string): Promise<Pod | undefined> {
  try {
    return await client.get<Pod>(podPath(namespace, name));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

export function condition(pod: Pod | undefined, type: string): PodCondition | undefined {
  return pod?.status?.conditions?.find((c) => c.type === type);
}

/** Polls the pod until `check` holds; the error says what the pod looked like last. */
export async function waitForPod(client: KubeApi, namespace: string, name: string, what: string, check: (pod: Pod | undefined) => boolean, timeoutMs = 30_000): Promise<Pod | undefined> {
  let last: Pod | undefined;
  try {
    await waitUntil(async () => check((last = await getPod(client, namespace, name))), { what: `pod ${namespace}/${name} ${what}`, timeoutMs, intervalMs: 100 });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`);
  }
  return last;
}

export const isReady = (pod: Pod | undefined): boolean => condition(pod, 'Ready')?.status === 'True';
