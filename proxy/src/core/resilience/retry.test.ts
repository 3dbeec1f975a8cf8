import type { RetryPolicy } from '../../config/model';
import { type AttemptOutcome, RetryState, backoffMs, retriableOutcome, retryAllowed } from './retry';

const policy = (retryOn: string[], extra: Partial<RetryPolicy> = {}): RetryPolicy => ({ retryOn, numRetries: 2, ...extra });
const resp = (status: number, grpcStatus?: number): AttemptOutcome => ({ kind: 'response', status, grpcStatus });

describe('retriableOutcome', () => {
  it.each<[string[], AttemptOutcome, boolean]>([
    [['5xx'], resp(500), true],
    [['5xx'], resp(503), true],
    [['5xx'], resp(404), false],
    [['5xx'], { kind: 'reset' }, true],
    [['5xx'], { kind: 'connect-failure' }, true],
    [['5xx'], { kind: 'per-try-timeout' }, true],
    [['gateway-error'], resp(502), true],
    [['gateway-error'], resp(504), true],
    [['gateway-error'], resp(500), false],
    [['gateway-error'], { kind: 'per-try-timeout' }, true],
    [['connect-failure'], { kind: 'connect-failure' }, true],
    [['connect-failure'], { kind: 'reset' }, false],
    [['connect-failure'], resp(503), false],
    [['reset'], { kind: 'reset' }, true],
    [['reset'], { kind: 'connect-failure' }, true],
    [['reset'], resp(503), false],
    [['refused-stream'], { kind: 'refused-stream' }, true],
    [['refused-stream'], { kind: 'reset' }, false],
    [['retriable-4xx'], resp(409), true],
    [['retriable-4xx'], resp(429), false],
    [['unavailable'], resp(200, 14), true],
    [['cancelled'], resp(200, 1), true],
    [['deadline-exceeded'], resp(200, 4), true],
    [['internal'], resp(200, 13), true],
    [['resource-exhausted'], resp(200, 8), true],
    [['unavailable'], resp(200, 13), false],
    [['unavailable'], resp(200), false],
    [[], resp(503), false],
  ])('%j on %j → %s', (on, outcome, want) => expect(retriableOutcome(policy(on), outcome)).toBe(want));

  it('retriable-status-codes retries exactly the listed codes', () => {
    const p = policy(['retriable-status-codes'], { retriableStatusCodes: [429, 503] });
    expect([429, 503, 500, 200].map((s) => retriableOutcome(p, resp(s)))).toEqual([true, true, false, false]);
  });
  it('listed codes without the retriable-status-codes token retry nothing', () => {
    expect(retriableOutcome(policy([], { retriableStatusCodes: [503] }), resp(503))).toBe(false);
  });
});

describe('backoffMs (Envoy jittered exponential, 25 ms base, 250 ms max)', () => {
  it.each<[number, number, number]>([
    [1, 0.999, 24], // [0, 25)
    [2, 0.999, 74], // [0, 75)
    [3, 0.999, 174], // [0, 175)
    [4, 0.999, 249], // capped at 250
    [50, 0.999, 249],
    [3, 0, 0],
    [3, 0.5, 87],
  ])('retry %d, random %d → %d ms', (n, r, want) => expect(backoffMs(n, 25, 250, () => r)).toBe(want));
});

describe('retryAllowed', () => {
  const budget = { budgetPercent: 20, minRetryConcurrency: 3 };
  it.each<[number, number, boolean]>([
    [0, 0, true],
    [2, 1, true],
    [3, 1, false], // min concurrency 3
    [3, 100, true], // 20 % of 100 = 20
    [19, 100, true],
    [20, 100, false],
  ])('budget: %d active retries, %d active requests → %s', (retries, requests, want) => expect(retryAllowed(retries, requests, budget, 3)).toBe(want));
  it('without a budget, max retries limits concurrent retries', () => {
    expect(retryAllowed(2, 1000, undefined, 3)).toBe(true);
    expect(retryAllowed(3, 1000, undefined, 3)).toBe(false);
  });
});

describe('RetryState', () => {
  const ctx = (over: Partial<{ method: string; grpc: boolean; replayable: boolean; admit: () => boolean }> = {}) => ({ method: 'GET', replayable: true, admit: () => true, random: () => 0.5, ...over });

  it('retries up to numRetries, with growing back-off, then reports exhausted', () => {
    const s = new RetryState(policy(['5xx'], { numRetries: 2 }));
    expect(s.next(resp(503), ctx())).toEqual({ retry: true, delayMs: 12 });
    expect(s.next(resp(503), ctx())).toEqual({ retry: true, delayMs: 37 });
    expect(s.next(resp(503), ctx())).toEqual({ retry: false, reason: 'exhausted' });
    expect(s.retriesDone).toBe(2);
  });
  it('numRetries 0 never retries', () => {
    expect(new RetryState(policy(['5xx'], { numRetries: 0 })).next(resp(503), ctx())).toEqual({ retry: false, reason: 'exhausted' });
  });
  it('a non-retriable outcome ends the request', () => {
    expect(new RetryState(policy(['gateway-error'])).next(resp(500), ctx())).toEqual({ retry: false, reason: 'not-retriable' });
  });
  it('uses the policy back-off when given', () => {
    const s = new RetryState(policy(['5xx'], { backoffBaseMs: 100, backoffMaxMs: 150 }));
    expect(s.next(resp(503), ctx({}))).toEqual({ retry: true, delayMs: 50 });
    expect(s.next(resp(503), ctx({}))).toEqual({ retry: true, delayMs: 75 });
  });
  it.each<[string, AttemptOutcome, boolean]>([
    ['POST', resp(503), false],
    ['POST', { kind: 'reset' }, false],
    ['POST', { kind: 'per-try-timeout' }, false],
    ['POST', { kind: 'connect-failure' }, true],
    ['POST', { kind: 'refused-stream' }, true],
    ['PATCH', resp(503), false],
    ['PUT', resp(503), true],
    ['DELETE', { kind: 'reset' }, true],
    ['get', resp(503), true],
  ])('%s after %j retried: %s (non-idempotent only when the request never reached the app)', (method, outcome, want) => {
    const v = new RetryState(policy(['5xx'])).next(outcome, ctx({ method }));
    expect(v.retry).toBe(want);
    if (!want) expect(v).toEqual({ retry: false, reason: 'method' });
  });
  it.each<[boolean, AttemptOutcome, boolean]>([
    [true, resp(200, 14), true],
    [true, resp(503), false],
    [false, resp(200, 14), false],
  ])('gRPC call %s (POST) after %j retried: %s — a gRPC status named in retryOn is explicit', (grpc, outcome, want) => {
    expect(new RetryState(policy(['unavailable', '5xx'])).next(outcome, ctx({ method: 'POST', grpc })).retry).toBe(want);
  });
  it('a body that was streamed without a copy is never replayed', () => {
    expect(new RetryState(policy(['5xx'])).next(resp(503), ctx({ replayable: false }))).toEqual({ retry: false, reason: 'body' });
  });
  it('the budget/breaker can refuse a retry (overflow) without consuming an attempt', () => {
    const s = new RetryState(policy(['5xx'], { numRetries: 1 }));
    expect(s.next(resp(503), ctx({ admit: () => false }))).toEqual({ retry: false, reason: 'overflow' });
    expect(s.retriesDone).toBe(0);
  });
});
