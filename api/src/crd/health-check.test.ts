import { parseHealthCheck } from './health-check';

describe('parseHealthCheck (Service annotation traffic.skein.dev/healthCheck)', () => {
  it.each<[string, object]>([
    ['path=/healthz', { path: '/healthz', intervalMs: 10_000, timeoutMs: 1000, unhealthyThreshold: 3, healthyThreshold: 2 }],
    ['path=/ready, interval=5s, timeout=500ms, unhealthyThreshold=2, healthyThreshold=1', { path: '/ready', intervalMs: 5000, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 1 }],
  ])('%s', (value, want) => expect(parseHealthCheck(value)).toEqual(want));

  it.each<[string, RegExp]>([
    ['', /path is required/],
    ['interval=5s', /path is required/],
    ['path=healthz', /path must start with "\/"/],
    ['path=/a,path=/b', /"path" is given twice/],
    ['path=/a,every=5s', /unknown key "every"/],
    ['path=/a,interval', /"interval" is not key=value/],
    ['path=/a,interval=soon', /interval "soon" is not a duration/],
    ['path=/a,timeout=0.5ms', /timeout "0.5ms" is not a duration/],
    ['path=/a,unhealthyThreshold=0', /unhealthyThreshold "0" must be an integer 1..1000/],
    ['path=/a,interval=1s,timeout=2s', /timeout must not exceed interval/],
  ])('rejects %j', (value, message) => {
    expect(() => parseHealthCheck(value)).toThrow(/^invalid traffic\.skein\.dev\/healthCheck/);
    expect(() => parseHealthCheck(value)).toThrow(message);
  });
});
