/**
 * A container runtime's CNI side, as libcni does it (github.com/containernetworking/cni/libcni),
 * for the system tests: loads the first configuration file of the conf dir, runs each plugin of the
 * list with the CNI_* environment and its network configuration on stdin — `name` and `cniVersion`
 * of the list, the previous plugin's result as `prevResult`, `runtimeConfig` for the capabilities
 * the plugin declares (containerd passes the pod's annotations for io.kubernetes.cri.pod-annotations)
 * — and caches the ADD result for CHECK and DEL, which run with it as `prevResult` (DEL in reverse
 * order). The plugins run in the "node" namespace, as they would on a node.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Netns } from '../harness';

export interface Sandbox {
  containerId: string;
  /** Path of the pod's network namespace (CNI_NETNS). */
  netns: string;
  ifname: string;
  pod: { namespace: string; name: string; uid: string; annotations: Record<string, string> };
  /** More CNI_ARGS, e.g. `IP` to ask host-local for a given address. */
  args?: Record<string, string>;
}

export interface PluginRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Json = Record<string, unknown>;

/** A plugin's error result (the spec's `code` and `msg`), with the plugin that returned it. */
export class CniPluginError extends Error {
  override name = 'CniPluginError';
  constructor(
    readonly plugin: string,
    readonly code: number,
    readonly msg: string,
    readonly details: string | undefined,
  ) {
    super(`${plugin}: CNI error ${code}: ${msg}${details ? ` (${details})` : ''}`);
  }
}

export interface RuntimeOptions {
  confDir: string;
  /** CNI_PATH: where the plugins are found, in order. */
  binDirs: string[];
  /** The namespace the plugins run in. */
  node: Netns;
}

export class TestRuntime {
  private readonly results = new Map<string, Json>();

  constructor(private readonly options: RuntimeOptions) {}

  /** The network configuration list the runtime would load now (first file by name). */
  networkList(): { name: string; cniVersion: string; plugins: Json[] } {
    const file = readdirSync(this.options.confDir).filter((n) => /\.(conf|conflist|json)$/.test(n) && !n.startsWith('.')).sort()[0];
    if (!file) throw new Error(`no CNI configuration in ${this.options.confDir}`);
    const raw = JSON.parse(readFileSync(path.join(this.options.confDir, file), 'utf8')) as Json;
    if (Array.isArray(raw.plugins)) return raw as { name: string; cniVersion: string; plugins: Json[] };
    const { name, cniVersion, ...plugin } = raw;
    return { name: name as string, cniVersion: cniVersion as string, plugins: [plugin] };
  }

  async add(sandbox: Sandbox): Promise<Json> {
    const list = this.networkList();
    let result: Json | undefined;
    for (const plugin of list.plugins) result = await this.invoke('ADD', list, plugin, sandbox, result);
    this.results.set(sandbox.containerId, result!);
    return result!;
  }

  async check(sandbox: Sandbox): Promise<void> {
    const list = this.networkList();
    for (const plugin of list.plugins) await this.invoke('CHECK', list, plugin, sandbox, this.cached(sandbox));
  }

  async del(sandbox: Sandbox): Promise<void> {
    const list = this.networkList();
    for (const plugin of [...list.plugins].reverse()) await this.invoke('DEL', list, plugin, sandbox, this.results.get(sandbox.containerId));
    this.results.delete(sandbox.containerId);
  }

  /** One plugin exactly as the runtime runs it, with the stdin given (malformed input tests). */
  async exec(type: string, command: string, sandbox: Sandbox, stdin: string): Promise<PluginRun> {
    const r = await this.options.node.exec([this.pluginPath(type)], { env: this.env(command, sandbox), input: stdin, allowFailure: true, timeoutMs: 90_000 });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  /** The network configuration one plugin gets on stdin. */
  netconf(list: { name: string; cniVersion: string }, plugin: Json, sandbox: Sandbox, prevResult: Json | undefined): Json {
    const capabilities = (plugin.capabilities ?? {}) as Record<string, boolean>;
    const provided: Json = { 'io.kubernetes.cri.pod-annotations': sandbox.pod.annotations };
    const runtimeConfig = Object.fromEntries(Object.entries(provided).filter(([cap]) => capabilities[cap] === true));
    return {
      ...plugin, name: list.name, cniVersion: list.cniVersion,
      ...(Object.keys(runtimeConfig).length > 0 ? { runtimeConfig } : {}),
      ...(prevResult ? { prevResult } : {}),
    };
  }

  private cached(sandbox: Sandbox): Json {
    const result = this.results.get(sandbox.containerId);
    if (!result) throw new Error(`no cached ADD result for ${sandbox.containerId}`);
    return result;
  }

  private pluginPath(type: string): string {
    for (const dir of this.options.binDirs) {
      try {
        if (readdirSync(dir).includes(type)) return path.join(dir, type);
      } catch {
        // a bin dir that does not exist (yet)
      }
    }
    throw new Error(`plugin ${type} not found in ${this.options.binDirs.join(':')}`);
  }

  private env(command: string, sandbox: Sandbox): Record<string, string> {
    const args = {
      IgnoreUnknown: '1', K8S_POD_NAMESPACE: sandbox.pod.namespace, K8S_POD_NAME: sandbox.pod.name,
      K8S_POD_INFRA_CONTAINER_ID: sandbox.containerId, K8S_POD_UID: sandbox.pod.uid, ...sandbox.args,
    };
    return {
      CNI_COMMAND: command, CNI_CONTAINERID: sandbox.containerId, CNI_NETNS: sandbox.netns, CNI_IFNAME: sandbox.ifname,
      CNI_ARGS: Object.entries(args).map(([k, v]) => `${k}=${v}`).join(';'), CNI_PATH: this.options.binDirs.join(':'),
    };
  }

  private async invoke(command: string, list: { name: string; cniVersion: string }, plugin: Json, sandbox: Sandbox, prevResult: Json | undefined): Promise<Json | undefined> {
    const type = String(plugin.type);
    const run = await this.exec(type, command, sandbox, JSON.stringify(this.netconf(list, plugin, sandbox, prevResult)));
    if (run.code !== 0) {
      let error: { code?: number; msg?: string; details?: string } = {};
      try {
        error = JSON.parse(run.stdout) as typeof error;
      } catch {
        // not the spec's JSON: reported below with the raw output
      }
      throw new CniPluginError(type, error.code ?? -1, error.msg ?? `exit ${run.code}: ${run.stdout}${run.stderr}`, error.details);
    }
    return command === 'ADD' ? (JSON.parse(run.stdout) as Json) : prevResult;
  }
}
