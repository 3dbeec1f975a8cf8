/** core/v1 Events as controllers record them (`FailedCreate`, `SuccessfulCreate`, `Scheduled`…). */
import { randomBytes } from 'node:crypto';
import { type InProcessClient } from '../apiserver/client';
import { type KubeObject, timestamp } from '../apiserver/core/json';

const eventsType = { group: '', version: 'v1', plural: 'events' };

export async function recordEvent(client: InProcessClient, component: string, about: Readonly<KubeObject>, type: 'Normal' | 'Warning', reason: string, message: string, now: Date): Promise<void> {
  const ts = timestamp(now);
  const namespace = about.metadata.namespace ?? 'default';
  await client.create(eventsType, {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name: about.metadata.name, namespace: about.metadata.namespace, uid: about.metadata.uid, resourceVersion: about.metadata.resourceVersion },
    reason, message, type, source: { component }, firstTimestamp: ts, lastTimestamp: ts, count: 1, reportingComponent: component, reportingInstance: '',
  }).catch(() => undefined);
}
