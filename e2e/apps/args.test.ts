import { parseClientArgs, parseMs } from './client';
import { parseEchoArgs } from './echo';

describe('client arguments', () => {
  it('parses a load run', () => {
    expect(parseClientArgs(['http', 'http://web.default/x', '--count', '50', '--duration', '2s', '--concurrency', '4', '--interval', '100ms', '--timeout', '300ms', '--header', 'X-A: 1', '--method', 'post'])).toEqual({
      protocol: 'http',
      target: 'http://web.default/x',
      limits: { count: 50, durationMs: 2000, concurrency: 4, intervalMs: 100 },
      timeoutMs: 300,
      headers: { 'x-a': '1' },
      message: 'hello',
      method: 'POST',
    });
  });

  it('defaults to one request', () => {
    expect(parseClientArgs(['tcp', '10.77.0.3:7070']).limits).toEqual({ count: 1, durationMs: 30_000, concurrency: 1, intervalMs: 0 });
  });

  it.each([
    [[], /protocol and target/],
    [['http'], /protocol and target/],
    [['http', 'http://a/', 'extra'], /protocol and target/],
    [['udp', 'a:1'], /unknown protocol "udp"/],
    [['http', 'web:80'], /must use http:/],
    [['http', 'not a url'], /must be a URL/],
    [['ws', 'http://a/'], /must use ws:/],
    [['grpc', 'http://a:1'], /host:port/],
    [['tcp', 'a'], /host:port/],
    [['http', 'http://a/', '--header', 'novalue'], /name:value/],
    [['http', 'http://a/', '--count', 'many'], /--count/],
    [['http', 'http://a/', '--duration', '5'], /--duration must be a duration/],
    [['http', 'http://a/', '--bogus'], /Unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseClientArgs(argv)).toThrow(message);
  });

  it.each([['500ms', 500], ['1.5s', 1500], ['2m', 120_000]])('reads duration %s', (text, ms) => {
    expect(parseMs('timeout', text)).toBe(ms);
  });
});

describe('echo arguments', () => {
  it('parses ports and the flaky policy', () => {
    expect(parseEchoArgs(['--http', '8080', '--tcp', '7070', '--fail-first', '2', '--fail-percent', '10'])).toEqual({
      ports: { http: 8080, grpc: undefined, tcp: 7070 },
      host: '0.0.0.0',
      policy: { failFirst: 2, failPercent: 10, hangFirst: 0 },
    });
    expect(parseEchoArgs(['--grpc', '9090', '--hang']).policy.hangFirst).toBe(Infinity);
  });

  it.each([
    [[], /at least one of/],
    [['--http', '0'], /--http must be a port/],
    [['--http', '70000'], /--http must be a port/],
    [['--http', 'x'], /--http must be a port/],
    [['--http', '1', '--fail-first', 'two'], /--fail-first must be a number/],
    [['--http', '1', '--fail-percent', '150'], /--fail-percent/],
    [['--http', '1', 'extra'], /Unexpected argument/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseEchoArgs(argv)).toThrow(message);
  });
});
