/**
 * The status condition Skein writes on every policy resource, built from `validateResource`'s
 * result so that `kubectl get`, `skein analyze` and the control plane's logs say the same thing.
 */
import { type FieldError } from './schema/dsl';
import { type Condition, type ResourceStatus } from './metadata';

export const AcceptedCondition = 'Accepted';
export const AcceptedReasons = { accepted: 'Accepted', invalid: 'Invalid' } as const;

/** Kubernetes caps condition messages at 32768 characters; keep well under it. */
export const MaxConditionMessage = 4096;

/** `spec.http[0].route[1].weight: must be an integer 0..100` (no path: the message alone). */
export function formatFieldError(error: FieldError): string {
  return error.path === '' ? error.message : `${error.path}: ${error.message}`;
}

/** All errors on one line, `; `-separated, shortened to `max` characters with a count of the rest. */
export function formatFieldErrors(errors: readonly FieldError[], max = MaxConditionMessage): string {
  let out = '';
  for (let i = 0; i < errors.length; i++) {
    const next = (out === '' ? '' : '; ') + formatFieldError(errors[i]!);
    const more = `; … and ${errors.length - i} more`;
    if (out.length + next.length > max - more.length) return out + more;
    out += next;
  }
  return out;
}

/**
 * The status for a resource at `generation`: Accepted=True, or Accepted=False with every error.
 * `now` is an RFC 3339 time (passed in: this module has no clock).
 */
export function acceptedStatus(errors: readonly FieldError[], generation: number | undefined, now: string): ResourceStatus {
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  const condition: Condition =
    errors.length === 0
      ? { type: AcceptedCondition, status: 'True', reason: AcceptedReasons.accepted, message: 'Accepted by Skein', lastTransitionTime: now, ...gen }
      : { type: AcceptedCondition, status: 'False', reason: AcceptedReasons.invalid, message: formatFieldErrors(errors), lastTransitionTime: now, ...gen };
  return { ...gen, conditions: [condition] };
}
