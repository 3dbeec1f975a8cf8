import { type HeaderBag, propagateTraceContext, uuidV4 } from './trace-context';

/** Deterministic bytes as hex: 0x11, 0x12, … */
function counter(): (n: number) => string {
  let next = 0x11;
  return (n) => Buffer.from(Uint8Array.from({ length: n }, () => next++ & 0xff)).toString('hex');
}

describe('uuidV4', () => {
  it.each([
    ['ff', 'ffffffff-ffff-4fff-bfff-ffffffffffff'],
    ['00', '00000000-0000-4000-8000-000000000000'],
    ['5a', '5a5a5a5a-5a5a-4a5a-9a5a-5a5a5a5a5a5a'],
  ])('sets the version and variant bits (all bytes %s)', (byte, uuid) => expect(uuidV4(() => byte.repeat(16))).toBe(uuid));
});

describe('propagateTraceContext', () => {
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  it('keeps the caller’s x-request-id and continues its traceparent as a child span', () => {
    const h: HeaderBag = { 'x-request-id': 'abc', traceparent: `00-${trace}-00f067aa0ba902b7-01`, tracestate: 'k=v' };
    expect(propagateTraceContext(h, counter())).toEqual({ requestId: 'abc', traceId: trace });
    expect(h.traceparent).toBe(`00-${trace}-1112131415161718-01`);
    expect(h.tracestate).toBe('k=v');
  });
  it('generates x-request-id and a new unsampled trace when none came in', () => {
    const h: HeaderBag = {};
    const ids = propagateTraceContext(h, counter());
    expect(h['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(h.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(ids.traceId).toBe((h.traceparent as string).slice(3, 35));
  });
  it.each([
    ['garbage', 'nonsense'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero span id', `00-${trace}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${trace}-00f067aa0ba902b7-01`],
    ['upper case', `00-${trace.toUpperCase()}-00f067aa0ba902b7-01`],
    ['too long', `00-${trace}-00f067aa0ba902b7-011`],
    ['wrong separator', `00_${trace}-00f067aa0ba902b7-01`],
    ['non-hex flags', `00-${trace}-00f067aa0ba902b7-0g`],
  ])('replaces a malformed traceparent (%s) and drops its tracestate', (_n, value) => {
    const h: HeaderBag = { traceparent: value, tracestate: 'k=v' };
    propagateTraceContext(h, counter());
    expect(h.traceparent).not.toBe(value);
    expect(h.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(h.tracestate).toBeUndefined();
  });
  it('continues a B3 trace: new span id, the caller’s span becomes the parent; traceparent joins the same trace', () => {
    const h: HeaderBag = { 'x-b3-traceid': trace, 'x-b3-spanid': '00f067aa0ba902b7', 'x-b3-sampled': '1' };
    const ids = propagateTraceContext(h, counter());
    expect(h['x-b3-parentspanid']).toBe('00f067aa0ba902b7');
    expect(h['x-b3-spanid']).toMatch(/^[0-9a-f]{16}$/);
    expect(h['x-b3-spanid']).not.toBe('00f067aa0ba902b7');
    expect(h['x-b3-sampled']).toBe('1');
    expect(ids.traceId).toBe(trace);
  });
  it('an overlong x-request-id is replaced', () => {
    const h: HeaderBag = { 'x-request-id': 'x'.repeat(200) };
    expect(propagateTraceContext(h, counter()).requestId).toHaveLength(36);
  });
});
