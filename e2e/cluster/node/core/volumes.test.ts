import { podFsUser, projectVolume, type ProjectionContext, tokenRefreshAt, tokenSources } from './volumes';
import { type Pod } from './types';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'u', labels: { app: 'web', version: 'v1' } },
  spec: { containers: [{ name: 'app', resources: { limits: { memory: '64Mi' } } }] },
};

function ctx(p: Pod = pod): ProjectionContext & { tokensAsked: unknown[] } {
  const tokensAsked: unknown[] = [];
  return {
    tokensAsked,
    pod: p,
    configMap: (name) => (name === 'root' ? { data: { 'root-cert.pem': 'PEM' }, binaryData: { blob: Buffer.from([1, 2]).toString('base64') } } : undefined),
    secret: (name) => (name === 'creds' ? { data: { password: Buffer.from('pw').toString('base64') } } : undefined),
    token: (source) => {
      tokensAsked.push(source);
      return `token-for-${source.audience}`;
    },
    runtime: { podIPs: ['10.244.0.5'], hostIPs: ['10.244.0.1'] },
    allocatable: { cpu: 2, memory: 2 ** 30, ephemeralStorage: 2 ** 30 },
  };
}
const text = (files: ReturnType<typeof projectVolume>) => files.map((f) => ({ ...f, data: f.data.toString('latin1') }));

describe('API-data volume files', () => {
  it('configMap: every key (data and binaryData) with mode 0644 by default, or the chosen items', () => {
    expect(text(projectVolume(ctx(), { name: 'v', configMap: { name: 'root' } }))).toEqual([
      { path: 'root-cert.pem', data: 'PEM', mode: 0o644 },
      { path: 'blob', data: '\x01\x02', mode: 0o644 },
    ]);
    expect(text(projectVolume(ctx(), { name: 'v', configMap: { name: 'root', defaultMode: 0o440, items: [{ key: 'root-cert.pem', path: 'certs/ca.pem', mode: 0o400 }] } }))).toEqual([{ path: 'certs/ca.pem', data: 'PEM', mode: 0o400 }]);
  });

  it('secret: decoded data', () => {
    expect(text(projectVolume(ctx(), { name: 'v', secret: { secretName: 'creds' } }))).toEqual([{ path: 'password', data: 'pw', mode: 0o644 }]);
  });

  it('downwardAPI: the labels file the Skein proxy reads, and a resource', () => {
    const files = projectVolume(ctx(), { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }] } });
    expect(text(files)).toEqual([{ path: 'labels', data: 'app="web"\nversion="v1"', mode: 0o644 }, { path: 'mem', data: '64', mode: 0o644 }]);
  });

  it('projected: the default kube-api-access volume (token, ca.crt, namespace)', () => {
    const c = ctx();
    const volume = {
      name: 'kube-api-access-abcde',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'root', items: [{ key: 'root-cert.pem', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    expect(text(projectVolume(c, volume))).toEqual([
      { path: 'token', data: 'token-for-', mode: 0o644 },
      { path: 'ca.crt', data: 'PEM', mode: 0o644 },
      { path: 'namespace', data: 'shop', mode: 0o644 },
    ]);
    expect(tokenSources(volume)).toEqual([{ audience: '', expirationSeconds: 3607 }]);
  });

  it('projected token: 0600 owned by the one runAsUser all containers share', () => {
    const p: Pod = { ...pod, spec: { securityContext: { runAsUser: 1337 }, containers: [{ name: 'a' }, { name: 'b', securityContext: { runAsUser: 1337 } }] } };
    expect(podFsUser(p)).toBe(1337);
    const files = projectVolume(ctx(p), { name: 't', projected: { sources: [{ serviceAccountToken: { audience: 'skein-ca', path: 'skein-token' } }] } });
    expect(files[0]).toMatchObject({ path: 'skein-token', mode: 0o600, uid: 1337 });
  });

  it('projected token: the defaultMode when containers run as different users', () => {
    const p: Pod = { ...pod, spec: { containers: [{ name: 'a', securityContext: { runAsUser: 0 } }, { name: 'b', securityContext: { runAsUser: 1337 } }] } };
    expect(podFsUser(p)).toBeUndefined();
    const files = projectVolume(ctx(p), { name: 't', projected: { sources: [{ serviceAccountToken: { audience: 'skein-ca', path: 'skein-token' } }] } });
    expect(files[0]).toMatchObject({ mode: 0o644 });
    expect(files[0]).not.toHaveProperty('uid');
  });

  it.each([
    ['a missing ConfigMap', { configMap: { name: 'nope' } }, 'configmap "nope" not found'],
    ['a missing Secret', { secret: { secretName: 'nope' } }, 'secret "nope" not found'],
    ['a missing key', { configMap: { name: 'root', items: [{ key: 'x', path: 'x' }] } }, 'configmap references non-existent config key: x'],
    ['a path escaping the volume', { configMap: { name: 'root', items: [{ key: 'blob', path: '../etc/passwd' }] } }, 'invalid item path "../etc/passwd"'],
    ['a projected ConfigMap that is missing', { projected: { sources: [{ configMap: { name: 'nope' } }] } }, 'configmap "nope" not found'],
    ['an unsupported volume type', { hostPath: { path: '/etc' } }, 'type hostPath is not supported by the simulated node'],
  ])('%s is an error', (_name, source, message) => {
    expect(() => projectVolume(ctx(), { name: 'v', ...source })).toThrow(message);
  });

  it('optional sources that are missing give no files', () => {
    expect(projectVolume(ctx(), { name: 'v', configMap: { name: 'nope', optional: true } })).toEqual([]);
    expect(projectVolume(ctx(), { name: 'v', projected: { sources: [{ secret: { name: 'nope', optional: true } }] } })).toEqual([]);
  });

  it('tokens are refreshed at 80% of their lifetime, at the latest after 24 h', () => {
    expect(tokenRefreshAt(3600_000, 3600)).toBe(2880_000);
    expect(tokenRefreshAt(365 * 24 * 3600_000, 365 * 24 * 3600)).toBe(24 * 3600_000);
  });
});
