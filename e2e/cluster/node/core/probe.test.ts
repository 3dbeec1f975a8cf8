import { initialResult, probePlan, ProbeTracker } from './probe';

const container = { name: 'app', ports: [{ name: 'http', containerPort: 8080 }] };

describe('probe plans', () => {
  it('applies the kubelet defaults and resolves a named port', () => {
    expect(probePlan('readiness', { httpGet: { path: 'ready', port: 'http' } }, container)).toEqual({
      kind: 'readiness',
      action: { type: 'http', scheme: 'HTTP', host: undefined, port: 8080, path: '/ready', headers: [] },
      initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, terminationGracePeriodSeconds: undefined,
    });
  });

  it('tcp, exec and grpc handlers', () => {
    expect(probePlan('liveness', { tcpSocket: { port: 9090 } }, container).action).toEqual({ type: 'tcp', host: undefined, port: 9090 });
    expect(probePlan('liveness', { exec: { command: ['cat', '/tmp/ok'] } }, container).action).toEqual({ type: 'exec', command: ['cat', '/tmp/ok'] });
    expect(probePlan('startup', { grpc: { port: 9090 } }, container).action).toEqual({ type: 'grpc', port: 9090, service: '' });
  });

  it.each([
    ['an unknown named port', { httpGet: { port: 'admin' } }, 'readiness probe of app: container app has no port named "admin"'],
    ['no handler', { periodSeconds: 1 }, 'no handler'],
    ['an empty exec command', { exec: { command: [] } }, 'exec.command is empty'],
  ])('rejects %s', (_name, probe, message) => {
    expect(() => probePlan('readiness', probe, container)).toThrow(message);
  });

  it('liveness and startup need successThreshold 1', () => {
    expect(() => probePlan('liveness', { tcpSocket: { port: 1 }, successThreshold: 2 }, container)).toThrow('successThreshold must be 1');
  });
});

describe('probe results', () => {
  it('start as the kubelet starts them', () => {
    expect([initialResult('readiness'), initialResult('liveness'), initialResult('startup')]).toEqual(['failure', 'success', 'unknown']);
  });

  it('readiness turns only after successThreshold successes and failureThreshold failures in a row', () => {
    const t = new ProbeTracker({ kind: 'readiness', successThreshold: 2, failureThreshold: 3 });
    expect([t.record(true), t.result]).toEqual([false, 'failure']);
    expect([t.record(true), t.result]).toEqual([true, 'success']);
    expect([t.record(false), t.record(false), t.record(true), t.record(false), t.record(false)]).toEqual([false, false, false, false, false]);
    expect([t.record(false), t.result]).toEqual([true, 'failure']);
  });

  it('liveness holds after a reported failure', () => {
    const t = new ProbeTracker({ kind: 'liveness', successThreshold: 1, failureThreshold: 2 });
    t.record(false);
    expect(t.onHold).toBe(false);
    expect([t.record(false), t.result, t.onHold]).toEqual([true, 'failure', true]);
  });
});
