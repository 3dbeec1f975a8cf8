// Who reads /debug/* on the monitoring port: loopback, or a bearer token of an allowed namespace.
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Authenticator } from '../../../ca/src/auth/authenticator';
import { CaError } from '../../../ca/src/core/errors';
import { ControlPlane } from '../controlplane';
import { debugAccess, isLoopback } from './debug-access';
import { monitoringHandler } from './http-server';

const tokens: Authenticator = {
  name: 'test',
  authenticate: async (t) => {
    if (t === 'system-token') return { namespace: 'skein-system', serviceAccount: 'skein-dashboard', authenticator: 'test' };
    if (t === 'app-token') return { namespace: 'shop', serviceAccount: 'web', authenticator: 'test' };
    if (t === 'down') throw new CaError('unavailable', 'TokenReview unreachable');
    throw new CaError('unauthenticated', 'bad token');
  },
};

const request = (remoteAddress: string, url = '/debug/syncz', authorization?: string) =>
  ({ method: 'GET', url, headers: authorization ? { authorization } : {}, socket: { remoteAddress } }) as unknown as IncomingMessage;

/** Runs the monitoring handler on a fake request; resolves with the status and body. */
function serve(handler: ReturnType<typeof monitoringHandler>, req: IncomingMessage): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve) => {
    let status = 0;
    let headers: Record<string, unknown> = {};
    const res = {
      writeHead(s: number, h: Record<string, unknown>) { status = s; headers = h; return res; },
      end(body: string) { resolve({ status, body, headers }); },
    } as unknown as ServerResponse;
    handler(req, res);
  });
}

describe('isLoopback', () => {
  it.each([['127.0.0.1', true], ['127.8.9.10', true], ['::1', true], ['::ffff:127.0.0.1', true], ['10.0.0.5', false], ['::ffff:10.0.0.5', false], ['fd00::1', false], [undefined, false], ['1127.0.0.1', false]])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});

describe('debugAccess', () => {
  const access = debugAccess({ authenticator: tokens, namespaces: ['skein-system'] });

  it.each([
    ['loopback, no token', request('127.0.0.1'), { allowed: true, who: 'loopback' }],
    ['remote, a token of the control plane\'s namespace', request('10.0.0.5', '/debug/syncz', 'Bearer system-token'), { allowed: true, who: 'skein-system/skein-dashboard' }],
    ['remote, no token', request('10.0.0.5'), { allowed: false, status: 401 }],
    ['remote, a bad token', request('10.0.0.5', '/debug/syncz', 'Bearer forged'), { allowed: false, status: 401, message: 'token not accepted' }],
    ['remote, not a bearer header', request('10.0.0.5', '/debug/syncz', 'Basic YTpi'), { allowed: false, status: 401 }],
    ['remote, a workload token of another namespace', request('10.0.0.5', '/debug/syncz', 'Bearer app-token'), { allowed: false, status: 403, message: 'shop/web may not read debug endpoints (allowed namespaces: skein-system)' }],
    ['remote, the token reviewer is down', request('10.0.0.5', '/debug/syncz', 'Bearer down'), { allowed: false, status: 503 }],
  ])('%s', async (_what, req, verdict) => {
    expect(await access(req)).toMatchObject(verdict);
  });

  it('without an authenticator only loopback is allowed', async () => {
    const loopbackOnly = debugAccess({ namespaces: ['skein-system'] });
    expect(await loopbackOnly(request('::1'))).toMatchObject({ allowed: true });
    expect(await loopbackOnly(request('10.0.0.5', '/debug/syncz', 'Bearer system-token'))).toMatchObject({ allowed: false, status: 401 });
  });
});

describe('monitoring handler: debug endpoints gated, probes and metrics open', () => {
  const cp = new ControlPlane();
  cp.onSynced();
  const handler = monitoringHandler(cp, undefined, { debug: debugAccess({ authenticator: tokens, namespaces: ['skein-system'] }) });

  it.each(['/metrics', '/healthz', '/readyz'])('%s answers a remote caller without a token', async (url) => {
    expect((await serve(handler, request('10.0.0.5', url))).status).toBe(200);
  });

  it.each(['/debug/syncz', '/debug/configz', '/debug/anything'])('%s is 401 for a remote caller without a token, with WWW-Authenticate', async (url) => {
    const r = await serve(handler, request('10.0.0.5', url));
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(r.body).not.toMatch(/services|types/);
  });

  it('answers loopback and an allowed token', async () => {
    expect(await serve(handler, request('127.0.0.1', '/debug/configz'))).toMatchObject({ status: 200, body: expect.stringMatching(/"services"/) });
    expect(await serve(handler, request('10.0.0.5', '/debug/syncz', 'Bearer system-token'))).toMatchObject({ status: 200 });
    expect(await serve(handler, request('10.0.0.5', '/debug/syncz', 'Bearer app-token'))).toMatchObject({ status: 403 });
  });

  it('the default is loopback only', async () => {
    const plain = monitoringHandler(cp);
    expect((await serve(plain, request('10.0.0.5', '/debug/syncz', 'Bearer system-token'))).status).toBe(401);
    expect((await serve(plain, request('127.0.0.1', '/debug/syncz'))).status).toBe(200);
  });
});
