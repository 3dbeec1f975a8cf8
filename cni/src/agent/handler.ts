/**
 * One plugin invocation, answered by the agent: the spec's checks (core/spec.ts), the pod's plan
 * (core/pod.ts), then the work in the pod's network namespace.
 * - ADD: a marked pod gets its capture rules, then prevResult is printed unchanged; any other pod is
 *   untouched. An unknown pod, a bad annotation, an API server that cannot be asked or rules that
 *   do not apply are errors: the runtime retries, and the pod never runs without its capture.
 * - CHECK: a marked pod's rules must all be in place.
 * - DEL: Skein's rules are removed from the namespace if it still exists. No API lookup (the pod may
 *   be gone already) and never an error for a namespace that is gone.
 */
import { type CniCall, type CniError, ErrorCode, errorOutcome, successOutcome } from '../core/spec';
import { checkInvocation } from '../core/spec';
import { planForPod } from '../core/pod';
import { type PluginInvocation, type PluginOutcome } from '../core/wire';
import { type NodeCluster } from '../cluster';
import { type NetnsCapture } from './netns';

export interface HandlerDeps {
  cluster: Pick<NodeCluster, 'pod'>;
  netns: NetnsCapture;
  log(line: string): void;
  /** Give up asking the API server after this long (default 10 s): the runtime retries the ADD. */
  lookupTimeoutMs?: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const callName = (call: CniCall) => `${call.command} ${call.pod ? `${call.pod.namespace}/${call.pod.name}` : 'non-Kubernetes container'} (${call.containerId.slice(0, 12)})`;

export async function handleInvocation(invocation: PluginInvocation, deps: HandlerDeps): Promise<PluginOutcome> {
  const checked = checkInvocation(invocation);
  if ('outcome' in checked) {
    if (checked.outcome.exitCode !== 0) deps.log(`cni: ${invocation.command || 'no command'} refused: ${checked.outcome.stdout.trim()}`);
    return checked.outcome;
  }
  const call = checked.call;
  const fail = (error: CniError): PluginOutcome => {
    deps.log(`cni: ${callName(call)} failed: ${error.msg}${error.details ? `: ${error.details}` : ''}`);
    return errorOutcome(call.cniVersion, error);
  };
  const pass = (): PluginOutcome => successOutcome(call.command === 'ADD' ? call.prevResult : undefined);

  if (call.command === 'DEL') {
    if (call.netns === undefined || !(await deps.netns.exists(call.netns))) return pass();
    try {
      const removed = await deps.netns.cleanup(call.netns);
      if (removed.length > 0) deps.log(`cni: ${callName(call)}: removed the capture rules (${removed.map((r) => r.tool).join(', ')})`);
      return pass();
    } catch (err) {
      return fail({ code: ErrorCode.ioFailure, msg: 'cannot remove the capture rules', details: message(err) });
    }
  }
  if (call.pod === undefined) return pass();
  let pod;
  try {
    pod = await withTimeout(deps.cluster.pod(call.pod.namespace, call.pod.name), deps.lookupTimeoutMs ?? 10_000, 'pod lookup');
  } catch (err) {
    return fail({ code: ErrorCode.tryAgainLater, msg: `cannot look up pod ${call.pod.namespace}/${call.pod.name} in the API server; try again later`, details: message(err) });
  }
  const plan = planForPod(call.pod, pod);
  if ('error' in plan) return fail(plan.error);
  if (!plan.capture) return pass();
  const netns = call.netns!;
  if (!(await deps.netns.exists(netns))) return fail({ code: ErrorCode.unknownContainer, msg: 'the network namespace does not exist', details: netns });
  if (call.command === 'CHECK') {
    const problems = await deps.netns.check(netns, plan.options).catch((err: unknown) => [message(err)]);
    return problems.length === 0 ? pass() : fail({ code: ErrorCode.captureMissing, msg: 'the capture rules are not in place', details: problems.join('; ') });
  }
  try {
    const applied = await deps.netns.apply(netns, plan.options);
    deps.log(`cni: ${callName(call)}: capture rules applied (${applied.map((a) => a.tool).join(', ')})`);
    return pass();
  } catch (err) {
    return fail({ code: ErrorCode.captureFailed, msg: 'cannot apply the capture rules in the pod\'s network namespace', details: message(err) });
  }
}
