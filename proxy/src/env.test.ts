import { EnvError, parseDownwardLabels, readProxyEnv } from './env';

describe('readProxyEnv', () => {
  it('reads the variables and fills defaults', () => {
    const e = readProxyEnv({ POD_NAME: 'reviews-1', POD_NAMESPACE: 'shop', INSTANCE_IP: '10.0.0.7', SKEIN_XDS_ADDRESS: 'skein-controlplane.skein-system.svc:15012' });
    expect(e).toMatchObject({ podName: 'reviews-1', podNamespace: 'shop', instanceIp: '10.0.0.7', trustDomain: 'cluster.local', caAddress: 'skein-controlplane.skein-system.svc:15012', serviceAccount: 'default', labels: {} });
    expect(e.certValiditySeconds).toBeUndefined();
  });

  it('reads labels from JSON, else from the downward API file', () => {
    expect(readProxyEnv({ SKEIN_POD_LABELS: '{"app":"web"}', SKEIN_POD_LABELS_FILE: '/x' }, () => 'app="other"').labels).toEqual({ app: 'web' });
    expect(readProxyEnv({ SKEIN_POD_LABELS_FILE: '/etc/skein/podinfo/labels' }, () => 'app="web"\nversion="v2"\n').labels).toEqual({ app: 'web', version: 'v2' });
  });

  it('reads the app probes; a bad value names the variable', () => {
    const probes = JSON.stringify({ '/app-health/web/livez': { httpGet: { port: 8080, path: '/live' } } });
    expect(readProxyEnv({ SKEIN_APP_PROBES: probes }).appProbes.get('/app-health/web/livez')).toMatchObject({ port: 8080, path: '/live' });
    expect(readProxyEnv({}).appProbes.size).toBe(0);
    expect(() => readProxyEnv({ SKEIN_APP_PROBES: '{"/x": 1}' })).toThrow(/SKEIN_APP_PROBES: \/x: not an \/app-health/);
  });

  it('reads the certificate lifetime', () => {
    expect(readProxyEnv({ SKEIN_CERT_VALIDITY_SECONDS: '60' }).certValiditySeconds).toBe(60);
    expect(readProxyEnv({ SKEIN_STREAM_IDLE_TIMEOUT_SECONDS: '0' }).streamIdleTimeoutSeconds).toBe(0);
    expect(readProxyEnv({ SKEIN_STREAM_IDLE_TIMEOUT_SECONDS: '3600' }).streamIdleTimeoutSeconds).toBe(3600);
    expect(() => readProxyEnv({ SKEIN_STREAM_IDLE_TIMEOUT_SECONDS: '5m' })).toThrow(/SKEIN_STREAM_IDLE_TIMEOUT_SECONDS: expected a whole number of seconds/);
  });

  it('reads the xDS protocol: delta unless told state of the world', () => {
    expect(readProxyEnv({}).xdsProtocol).toBeUndefined();
    expect(readProxyEnv({ SKEIN_XDS_PROTOCOL: 'sotw' }).xdsProtocol).toBe('sotw');
    expect(readProxyEnv({ SKEIN_XDS_PROTOCOL: 'delta' }).xdsProtocol).toBe('delta');
  });

  it.each([
    [{ SKEIN_TRUST_DOMAIN: 'Bad Domain' }, /SKEIN_TRUST_DOMAIN: invalid trust domain/],
    [{ SKEIN_XDS_ADDRESS: 'no-port' }, /SKEIN_XDS_ADDRESS: expected host:port/],
    [{ SKEIN_CA_ADDRESS: 'a:b' }, /SKEIN_CA_ADDRESS: expected host:port/],
    [{ SKEIN_POD_LABELS: '{app' }, /SKEIN_POD_LABELS: not valid JSON/],
    [{ SKEIN_POD_LABELS: '["app"]' }, /SKEIN_POD_LABELS: expected a JSON object of strings/],
    [{ SKEIN_POD_LABELS: '{"replicas":3}' }, /SKEIN_POD_LABELS: expected a JSON object of strings/],
    [{ SKEIN_POD_LABELS_FILE: '/missing' }, /SKEIN_POD_LABELS_FILE: cannot read \/missing/],
    [{ SKEIN_CERT_VALIDITY_SECONDS: '0' }, /SKEIN_CERT_VALIDITY_SECONDS: expected a whole number/],
    [{ SKEIN_CERT_VALIDITY_SECONDS: '1h' }, /SKEIN_CERT_VALIDITY_SECONDS: expected a whole number/],
    [{ SKEIN_XDS_PROTOCOL: 'incremental' }, /SKEIN_XDS_PROTOCOL: expected delta or sotw, got "incremental"/],
  ])('rejects %j', (env, message) => {
    const read = (): string => {
      throw new Error('ENOENT');
    };
    expect(() => readProxyEnv(env, read)).toThrow(EnvError);
    expect(() => readProxyEnv(env, read)).toThrow(message);
  });

  it.each([
    ['no quotes', 'app=web'],
    ['no value', 'app'],
    ['broken quoting', 'app="we"b"'],
  ])('refuses a labels file with %s, naming the line', (_n, text) => {
    expect(() => parseDownwardLabels(`version="v1"\n${text}`)).toThrow(/line 2: expected key="value"/);
  });
});
