/**
 * What the agent does for one pod: nothing for a pod the webhook did not mark, else the capture of
 * its `cni.skein.dev/capture` annotation — the `skein init-network` flags the webhook rendered, read
 * by init-network's own parser so that both modes install exactly the same rules.
 */
import { UsageError } from '../../../api/src/command';
import { Annotations } from '../../../api/src/names';
import { type InitNetworkOptions, parseInitNetworkArgs } from '../../../capture/src/flags';
import { type CniError, ErrorCode, type PodRef } from './spec';

/** What the agent needs of a pod from the API server. */
export interface PodRecord {
  uid: string;
  annotations: Record<string, string>;
}

export type PodPlan =
  | { capture: false; reason: string }
  | { capture: true; options: InitNetworkOptions }
  | { error: CniError };

/**
 * The flags of a capture annotation. Only capture settings are accepted: `--dry-run` and
 * `--cleanup` change what init-network does, not what it captures.
 */
export function captureOptions(value: string): InitNetworkOptions | { error: string } {
  let args: unknown;
  try {
    args = JSON.parse(value);
  } catch {
    return { error: 'not JSON' };
  }
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) return { error: 'expected a JSON list of init-network flags' };
  let options: InitNetworkOptions;
  try {
    options = parseInitNetworkArgs(args as string[]);
  } catch (err) {
    if (err instanceof UsageError) return { error: err.message };
    throw err;
  }
  if (options.dryRun || options.cleanup) return { error: '--dry-run and --cleanup are not capture settings' };
  return options;
}

/** The plan for the pod kubelet named (`pod` is what the API server returned, undefined when not found). */
export function planForPod(ref: PodRef, pod: PodRecord | undefined): PodPlan {
  const name = `${ref.namespace}/${ref.name}`;
  if (!pod) return { error: { code: ErrorCode.unknownContainer, msg: `pod ${name} does not exist` } };
  if (ref.uid !== undefined && ref.uid !== pod.uid) {
    return { error: { code: ErrorCode.unknownContainer, msg: `pod ${name} was replaced: kubelet asks for uid ${ref.uid}, the API server has ${pod.uid}` } };
  }
  const value = pod.annotations[Annotations.cniCapture];
  if (value === undefined) return { capture: false, reason: `pod ${name} has no ${Annotations.cniCapture} annotation` };
  const options = captureOptions(value);
  if ('error' in options) {
    return { error: { code: ErrorCode.badCaptureAnnotation, msg: `pod ${name}: annotation ${Annotations.cniCapture} is invalid`, details: options.error } };
  }
  return { capture: true, options };
}
