import {
  certificateFresh, crdsEstablished, daemonSetReady, deploymentAvailable, formatAge, kubernetesVersionSupported, webhookCaBundleSet, workloadCertificateFresh,
} from './readiness';

const established = { status: { conditions: [{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: 'True' }] } };
const pending = { status: { conditions: [{ type: 'Established', status: 'False' }] } };

describe('readiness rules (what install waits for and check reports)', () => {
  it.each([
    [{ gitVersion: 'v1.31.2', major: 1, minor: 31 }, true, 'Kubernetes v1.31.2 (native sidecars: yes)'],
    [{ gitVersion: 'v1.28.3-eks-1', major: 1, minor: 28 }, true, 'Kubernetes v1.28.3-eks-1 (native sidecars: no, before 1.29)'],
    [{ gitVersion: 'v1.22.0', major: 1, minor: 22 }, true, 'Kubernetes v1.22.0 (native sidecars: no, before 1.29)'],
    [{ gitVersion: 'v1.21.9', major: 1, minor: 21 }, false, 'Kubernetes v1.21.9 is older than 1.22, the oldest Skein supports'],
    [{ gitVersion: 'v2.0.0', major: 2, minor: 0 }, true, 'Kubernetes v2.0.0 (native sidecars: yes)'],
  ])('version %j', (version, ok, detail) => {
    expect(kubernetesVersionSupported(version)).toEqual({ ok, detail });
  });

  it.each([
    [[['a', established], ['b', established]], true, '2/2 established'],
    [[['a', established], ['b', pending]], false, '1/2 established; waiting for b'],
    [[['a', established], ['b', undefined]], false, '1/2 established; missing: b'],
    [[['a', {}]], false, '0/1 established; waiting for a'],
  ] as const)('CRDs %#', (crds, ok, detail) => {
    expect(crdsEstablished(new Map(crds as never))).toEqual({ ok, detail });
  });

  const deployment = (status: Record<string, unknown>, generation = 2, replicas = 2) => ({ metadata: { generation }, spec: { replicas }, status });
  it.each([
    [undefined, false, 'Deployment not found'],
    [deployment({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 }), true, '2/2 replicas available'],
    [deployment({ observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }), false, '2/2 replicas available; rollout not observed yet'],
    [deployment({ observedGeneration: 2, updatedReplicas: 1, availableReplicas: 2 }), false, '2/2 replicas available; 1/2 updated'],
    [deployment({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 1 }), false, '1/2 replicas available'],
    [deployment({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 0, conditions: [{ type: 'Available', status: 'False', message: 'Deployment does not have minimum availability.' }] }), false, '0/2 replicas available: Deployment does not have minimum availability.'],
    [deployment({}, 1, 1), false, '0/1 replicas available; rollout not observed yet'],
  ])('Deployment %#', (d, ok, detail) => {
    expect(deploymentAvailable(d)).toEqual({ ok, detail });
  });

  const daemonSet = (status: Record<string, unknown>, generation = 1) => ({ metadata: { generation }, status: { observedGeneration: 1, ...status } });
  it.each([
    [undefined, false, 'DaemonSet not found'],
    [daemonSet({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3 }), true, '3/3 nodes ready'],
    [daemonSet({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 2 }), false, '2/3 nodes ready'],
    [daemonSet({ desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberReady: 3 }), false, '3/3 nodes ready; 1/3 updated'],
    [daemonSet({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3 }, 2), false, '3/3 nodes ready; rollout not observed yet'],
  ])('DaemonSet %#', (d, ok, detail) => {
    expect(daemonSetReady(d)).toEqual({ ok, detail });
  });

  it.each([
    [undefined, false, 'MutatingWebhookConfiguration not found'],
    [{ webhooks: [] }, false, 'caBundle on 0/0 webhooks'],
    [{ webhooks: [{ name: 'a', clientConfig: { caBundle: 'Q0E=' } }, { name: 'b', clientConfig: {} }] }, false, 'caBundle on 1/2 webhooks'],
    [{ webhooks: [{ name: 'a', clientConfig: { caBundle: 'Q0E=' } }, { name: 'b', clientConfig: { caBundle: 'Q0E=' } }] }, true, 'caBundle on 2/2 webhooks'],
  ])('webhook caBundle %#', (config, ok, detail) => {
    expect(webhookCaBundleSet(config)).toEqual({ ok, detail });
  });

  const now = new Date('2026-01-01T00:00:00Z');
  const h = 3_600_000;
  it.each([
    ['root', new Date(now.getTime() + 400 * 24 * h), 30 * 24 * h, true, 'root valid for 400d (until 2027-02-05T00:00:00.000Z)'],
    ['root', new Date(now.getTime() + 10 * 24 * h), 30 * 24 * h, false, 'root valid for 10d (until 2026-01-11T00:00:00.000Z)'],
    ['root', new Date(now.getTime() - 2 * h), 0, false, 'root expired 2h ago (2025-12-31T22:00:00.000Z)'],
  ])('certificate %s until %s', (what, notAfter, min, ok, detail) => {
    expect(certificateFresh(what, notAfter, now, min)).toEqual({ ok, detail });
  });

  it('a workload certificate with less than a quarter of its life left missed its rotation', () => {
    const issued = new Date(now.getTime() - 12 * h);
    expect(workloadCertificateFresh('w', issued, new Date(now.getTime() + 12 * h), now).ok).toBe(true); // half-life: renewing now
    expect(workloadCertificateFresh('w', new Date(now.getTime() - 20 * h), new Date(now.getTime() + 4 * h), now).ok).toBe(false);
  });

  it.each([[0, '0s'], [999, '0s'], [30_000, '30s'], [42 * 60_000 + 30_000, '42m30s'], [5 * h + 12 * 60_000 + 5000, '5h12m'], [3 * 24 * h + 4 * h + 60_000, '3d4h'], [24 * h, '1d']])('formatAge(%d) = %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
