/**
 * The Job controller (NonIndexed jobs): runs up to `parallelism` pods until `completions` of them
 * succeeded, counts terminal pods through the `batch.kubernetes.io/job-tracking` finalizer (then
 * removes it), replaces failed pods until `backoffLimit`, and ends the job with the conditions
 * kube-controller-manager writes (SuccessCriteriaMet + Complete, or FailureTarget + Failed with
 * BackoffLimitExceeded), terminating what still runs.
 */
import { isObject, type JsonObject, type KubeObject, timestamp } from '../apiserver/core/json';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext, controllerOf, keyOf, splitKey } from './controller';
import { recordEvent } from './events';
import { podActive, podPhase, podReady } from './pods';
import { podFromTemplate } from './replicaset';

const pods = { group: '', version: 'v1', plural: 'pods' };
const jobs = { group: 'batch', version: 'v1', plural: 'jobs' };
export const JobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';

export class JobController extends Controller {
  /** Uids of pods already counted in a job's status (their finalizer removal may still be pending). */
  private readonly counted = new Set<string>();

  constructor(ctx: ControllerContext) {
    super('job-controller', ctx);
  }

  protected keysFor(change: Change): string[] {
    if (change.resource === 'batch/jobs') return change.type === 'DELETED' ? [] : [keyOf(change.object)];
    if (change.resource !== 'pods') return [];
    const ref = controllerOf(change.object);
    return ref?.kind === 'Job' ? [`${change.object.metadata.namespace}/${ref.name}`] : [];
  }

  private now(): string {
    return timestamp(this.ctx.now());
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const job = this.ctx.storage.get('batch/jobs', namespace, name);
    if (!job) return;
    const spec = (isObject(job.spec) ? job.spec : {}) as JsonObject;
    const status = (isObject(job.status) ? { ...job.status } : {}) as JsonObject;
    const owned = this.ctx.storage.scan('pods', namespace).filter((p) => controllerOf(p)?.uid === job.metadata.uid) as KubeObject[];
    // Count terminal pods once, then let them go.
    let succeeded = Number(status.succeeded ?? 0);
    let failed = Number(status.failed ?? 0);
    const toRelease: KubeObject[] = [];
    for (const p of owned) {
      const phase = podPhase(p);
      const terminal = phase === 'Succeeded' || phase === 'Failed' || (p.metadata.deletionTimestamp !== undefined && phase !== 'Running' && phase !== 'Pending');
      if (!(p.metadata.finalizers ?? []).includes(JobTrackingFinalizer)) continue;
      if (!terminal && !p.metadata.deletionTimestamp) continue;
      if (!this.counted.has(p.metadata.uid!)) {
        if (phase === 'Succeeded') succeeded++;
        else failed++;
        this.counted.add(p.metadata.uid!);
      }
      toRelease.push(p);
    }
    const finished = (Array.isArray(status.conditions) ? status.conditions : []).some((c) => isObject(c) && (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    const completions = typeof spec.completions === 'number' ? spec.completions : 1;
    const parallelism = typeof spec.parallelism === 'number' ? spec.parallelism : 1;
    const backoffLimit = typeof spec.backoffLimit === 'number' ? spec.backoffLimit : 6;
    let active = owned.filter(podActive);
    const conditions = (Array.isArray(status.conditions) ? [...status.conditions] : []) as JsonObject[];
    const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastProbeTime: this.now(), lastTransitionTime: this.now(), reason, message });
    let done = finished;
    if (!finished && succeeded >= completions) {
      conditions.push(condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'));
      status.completionTime = this.now();
      done = true;
      await recordEvent(this.ctx.client, 'job-controller', job, 'Normal', 'Completed', 'Job completed', this.ctx.now());
    } else if (!finished && failed > backoffLimit) {
      conditions.push(condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'), condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'));
      done = true;
      await recordEvent(this.ctx.client, 'job-controller', job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', this.ctx.now());
    }
    if (done) {
      for (const p of active) await this.ctx.client.delete(pods, namespace, p.metadata.name!).catch(() => undefined);
      active = [];
    } else if (spec.suspend !== true) {
      const want = Math.min(parallelism, completions - succeeded) - active.length;
      const template = (isObject(spec.template) ? spec.template : {}) as JsonObject;
      for (let i = 0; i < want; i++) {
        try {
          active.push(await this.ctx.client.create(pods, podFromTemplate(job, template, namespace, { finalizers: [JobTrackingFinalizer] })));
        } catch (err) {
          await recordEvent(this.ctx.client, 'job-controller', job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`, this.ctx.now());
          throw err;
        }
      }
    }
    const next: JsonObject = {
      ...status, startTime: status.startTime ?? this.now(), active: active.length, ready: active.filter(podReady).length,
      ...(succeeded ? { succeeded } : {}), ...(failed ? { failed } : {}),
      terminating: owned.filter((p) => p.metadata.deletionTimestamp !== undefined && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed').length,
      uncountedTerminatedPods: {}, ...(conditions.length ? { conditions } : {}),
    };
    if (!next.active) delete next.active;
    if (JSON.stringify(next) !== JSON.stringify(status)) await this.ctx.client.update(jobs, { ...job, status: next }, 'status');
    for (const p of toRelease) {
      const kept = (p.metadata.finalizers ?? []).filter((f) => f !== JobTrackingFinalizer);
      await this.ctx.client.patch(pods, namespace, p.metadata.name!, { metadata: { finalizers: kept.length ? kept : null } }, 'merge').catch(() => undefined);
    }
  }
}
