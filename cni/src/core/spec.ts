/**
 * The CNI specification as the Skein plugin implements it (1.0; 1.1's STATUS and GC are no-ops):
 * checks a runtime's invocation (environment + network configuration) and builds the spec's
 * results and errors. A chained plugin that changes no interface prints `prevResult` unchanged.
 * https://www.cni.dev/docs/spec/
 */
import { type PluginInvocation, type PluginOutcome } from './wire';

export const SupportedVersions = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
const defaultVersion = '1.0.0';

/** The spec's well-known error codes, and Skein's own (100 and up). */
export const ErrorCode = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** The capture rules could not be applied in the pod's network namespace. */
  captureFailed: 100,
  /** The pod's cni.skein.dev/capture annotation is not a valid list of init-network flags. */
  badCaptureAnnotation: 101,
  /** CHECK: the capture rules of a marked pod are not (all) in place. */
  captureMissing: 102,
} as const;

export interface CniError {
  code: number;
  msg: string;
  details?: string;
}

/** The pod as kubelet names it in CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID). */
export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

/** An ADD, CHECK or DEL that passed the spec's checks. */
export interface CniCall {
  command: 'ADD' | 'CHECK' | 'DEL';
  cniVersion: string;
  containerId: string;
  /** Always set for ADD and CHECK; DEL may come without one (the namespace is gone). */
  netns: string | undefined;
  ifname: string;
  /** Undefined when the container is not a Kubernetes pod (no K8S_POD_* arguments). */
  pod: PodRef | undefined;
  /** The previous plugin's result: what ADD prints. Required for ADD and CHECK (chained only). */
  prevResult: Record<string, unknown> | undefined;
}

export type Checked = { call: CniCall } | { outcome: PluginOutcome };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (v: string) => v.split('.').map(Number);
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The spec's error result: JSON on stdout, non-zero exit. */
export function errorOutcome(cniVersion: string | undefined, error: CniError): PluginOutcome {
  const body = { cniVersion: cniVersion ?? defaultVersion, code: error.code, msg: error.msg, ...(error.details ? { details: error.details } : {}) };
  return { exitCode: 1, stdout: `${JSON.stringify(body)}\n` };
}

export function successOutcome(result?: Record<string, unknown>): PluginOutcome {
  return { exitCode: 0, stdout: result ? `${JSON.stringify(result)}\n` : '' };
}

export function versionOutcome(): PluginOutcome {
  return successOutcome({ cniVersion: defaultVersion, supportedVersions: [...SupportedVersions] });
}

/** CNI_ARGS: `KEY=VALUE` pairs separated by `;`. */
export function parseCniArgs(text: string): Record<string, string> | { error: string } {
  const args: Record<string, string> = {};
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return { error: `CNI_ARGS: "${pair}" is not KEY=VALUE` };
    args[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return args;
}

/** Network namespace paths the runtimes use; anything else is refused (the agent runs as root). */
export function isNetnsPath(path: string): boolean {
  if (path.split('/').some((part) => part === '..' || part === '.')) return false;
  return /^\/(?:var\/)?run\/netns\/[^/]+$/.test(path) || /^\/proc\/\d+\/ns\/net$/.test(path);
}

const containerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const validIfname = (name: string) => name.length > 0 && name.length <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);

/**
 * Checks an invocation: VERSION, STATUS and GC are answered at once, anything wrong is the spec's
 * error with the right code, everything else becomes a CniCall for the agent.
 */
export function checkInvocation(request: PluginInvocation): Checked {
  const command = request.command;
  if (command === 'VERSION') return { outcome: versionOutcome() };
  if (command === 'STATUS' || command === 'GC') return { outcome: successOutcome() };
  if (command !== 'ADD' && command !== 'CHECK' && command !== 'DEL') {
    return { outcome: errorOutcome(undefined, { code: ErrorCode.invalidEnvironment, msg: 'CNI_COMMAND must be ADD, DEL, CHECK, VERSION, STATUS or GC', details: command || 'empty' }) };
  }
  let config: unknown;
  try {
    config = JSON.parse(request.stdin.toString('utf8'));
  } catch (err) {
    return { outcome: errorOutcome(undefined, { code: ErrorCode.decodeFailure, msg: 'cannot decode the network configuration on stdin', details: (err as Error).message }) };
  }
  const version = isObject(config) && typeof config.cniVersion === 'string' ? config.cniVersion : undefined;
  const known = version !== undefined && (SupportedVersions as readonly string[]).includes(version);
  const fail = (code: number, msg: string, details?: string): Checked => ({ outcome: errorOutcome(known ? version : undefined, { code, msg, details }) });

  if (!isObject(config)) return fail(ErrorCode.decodeFailure, 'the network configuration on stdin is not a JSON object');
  if (version === undefined) return fail(ErrorCode.invalidConfig, 'the network configuration has no cniVersion');
  if (!known) return fail(ErrorCode.incompatibleVersion, `cniVersion ${version} is not supported`, `supported: ${SupportedVersions.join(', ')}`);
  if (typeof config.name !== 'string' || config.name === '') return fail(ErrorCode.invalidConfig, 'the network configuration has no name');
  if (command === 'CHECK' && !versionAtLeast(version, '0.4.0')) return fail(ErrorCode.incompatibleVersion, 'CHECK needs cniVersion 0.4.0 or later', version);
  if (!containerIdPattern.test(request.containerId)) {
    return fail(ErrorCode.invalidEnvironment, 'CNI_CONTAINERID must be set: letters, digits, _ . and -', request.containerId || 'empty');
  }
  if (!validIfname(request.ifname)) return fail(ErrorCode.invalidEnvironment, 'CNI_IFNAME must be set to an interface name', request.ifname || 'empty');
  const netns = request.netns === '' ? undefined : request.netns;
  if (netns === undefined && command !== 'DEL') return fail(ErrorCode.invalidEnvironment, `CNI_NETNS must be set for ${command}`);
  if (netns !== undefined && !isNetnsPath(netns)) {
    return fail(ErrorCode.invalidEnvironment, 'CNI_NETNS is not a network namespace path (/var/run/netns/*, /run/netns/* or /proc/PID/ns/net)', netns);
  }
  const args = parseCniArgs(request.args);
  if ('error' in args) return fail(ErrorCode.invalidEnvironment, args.error);
  const prevResult = config.prevResult;
  if (prevResult !== undefined && !isObject(prevResult)) return fail(ErrorCode.invalidConfig, 'prevResult is not an object');
  if (prevResult === undefined && command !== 'DEL') {
    return fail(ErrorCode.invalidConfig, 'skein-cni must be chained after an interface plugin: the configuration has no prevResult');
  }
  const [namespace, name, uid] = [args.K8S_POD_NAMESPACE, args.K8S_POD_NAME, args.K8S_POD_UID];
  const pod = namespace && name ? { namespace, name, ...(uid ? { uid } : {}) } : undefined;
  return { call: { command, cniVersion: version, containerId: request.containerId, netns, ifname: request.ifname, pod, prevResult } };
}
