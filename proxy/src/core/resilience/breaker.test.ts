import { admitRequest } from './breaker';

describe('admitRequest', () => {
  it.each<[number, object, boolean, boolean]>([
    [0, {}, true, true],
    [1023, {}, false, true],
    [1024, {}, false, false],
    [1, { maxRequests: 1 }, false, false],
    [1, { maxConnections: 1, maxPendingRequests: 1 }, true, true],
    [2, { maxConnections: 1, maxPendingRequests: 1 }, true, false],
    [2, { maxConnections: 1, maxPendingRequests: 1 }, false, true], // HTTP/2 multiplexes: no pending queue
    [5, { maxConnections: 1, maxPendingRequests: 1, maxRequests: 100 }, false, true],
  ])('%d active, %j, http1 %s → admitted %s', (active, b, h1, want) => expect(admitRequest(active, b, h1)).toBe(want));
});
