import { containerEnv, type EnvContext, serviceEnvVars } from './env';
import { type Container, type Pod, type Service } from './types';

const kubernetesService: Service = { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } };
const webService: Service = { metadata: { name: 'web-api', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }, { port: 9090, protocol: 'TCP' }] } };
const headless: Service = { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ port: 5432 }] } };
const otherNs: Service = { metadata: { name: 'elsewhere', namespace: 'other' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 80 }] } };

function pod(container: Container, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'shop', uid: 'uid-1', labels: { app: 'web' } }, spec: { serviceAccountName: 'web', nodeName: 'n1', containers: [container], ...extra } };
}

function ctx(p: Pod, objects: Partial<EnvContext['objects']> = {}): EnvContext {
  return {
    pod: p,
    container: p.spec!.containers[0]!,
    services: [kubernetesService, webService, headless, otherNs],
    objects: { configMap: () => undefined, secret: () => undefined, ...objects },
    runtime: { podIPs: ['10.244.0.9'], hostIPs: ['10.244.0.1'] },
    allocatable: { cpu: 2, memory: 2 ** 30, ephemeralStorage: 2 ** 30 },
  };
}

describe('container environment', () => {
  it('values, downward API, $(VAR) expansion against earlier variables, service links', () => {
    const env = containerEnv(ctx(pod({
      name: 'app',
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'GREETING', value: 'hi $(POD_NAME) at $(POD_IP) via $(WEB_API_SERVICE_HOST), $(LATER) $$(POD_NAME)' },
        { name: 'LATER', value: 'late' },
        { name: 'EMPTY' },
      ],
    })));
    expect(env).toMatchObject({
      POD_NAME: 'p',
      POD_IP: '10.244.0.9',
      GREETING: 'hi p at 10.244.0.9 via 10.96.0.20, $(LATER) $(POD_NAME)',
      EMPTY: '',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      WEB_API_SERVICE_HOST: '10.96.0.20',
      WEB_API_SERVICE_PORT: '80',
      WEB_API_SERVICE_PORT_HTTP: '80',
      WEB_API_PORT_9090_TCP: 'tcp://10.96.0.20:9090',
    });
    expect(env).not.toHaveProperty('DB_SERVICE_HOST');
    expect(env).not.toHaveProperty('ELSEWHERE_SERVICE_HOST');
  });

  it('enableServiceLinks: false keeps only the kubernetes Service variables', () => {
    const env = containerEnv(ctx(pod({ name: 'app' }, { enableServiceLinks: false })));
    expect(env.KUBERNETES_SERVICE_HOST).toBe('10.96.0.1');
    expect(env).not.toHaveProperty('WEB_API_SERVICE_HOST');
  });

  it('a variable the pod defines wins over a service variable', () => {
    const env = containerEnv(ctx(pod({ name: 'app', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' }] })));
    expect(env.KUBERNETES_SERVICE_HOST).toBe('mine');
  });

  it('envFrom with a prefix, then env overrides; invalid names are skipped', () => {
    const cm = { data: { LEVEL: 'debug', 'bad name': 'x', MODE: 'a' } };
    const secret = { data: { PASSWORD: Buffer.from('s3cret').toString('base64') } };
    const env = containerEnv(ctx(pod({
      name: 'app',
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'APP_' }, { secretRef: { name: 'creds' } }],
      env: [{ name: 'APP_MODE', value: 'b' }, { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } }],
    }), { configMap: (ns, name) => (ns === 'shop' && name === 'cfg' ? cm : undefined), secret: (ns, name) => (name === 'creds' ? secret : undefined) }));
    expect(env).toMatchObject({ APP_LEVEL: 'debug', APP_MODE: 'b', PASSWORD: 's3cret', KEY: 'debug', PW: 's3cret' });
    expect(Object.keys(env)).not.toContain('APP_bad name');
  });

  it('resourceFieldRef, also of another container', () => {
    const p = pod({ name: 'app', resources: { limits: { memory: '64Mi' } }, env: [
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
    ] });
    expect(containerEnv(ctx(p))).toMatchObject({ MEM: '64', CPU: '2' });
  });

  it.each([
    ['a missing ConfigMap', { configMapKeyRef: { name: 'nope', key: 'k' } }, 'configmap "nope" not found'],
    ['a missing ConfigMap key', { configMapKeyRef: { name: 'cfg', key: 'nokey' } }, "couldn't find key nokey in ConfigMap shop/cfg"],
    ['a missing Secret', { secretKeyRef: { name: 'nope', key: 'k' } }, 'secret "nope" not found'],
    ['a missing Secret key', { secretKeyRef: { name: 'creds', key: 'nokey' } }, "couldn't find key nokey in Secret shop/creds"],
    ['an unsupported field', { fieldRef: { fieldPath: 'metadata.labels' } }, 'unsupported fieldPath "metadata.labels" for an environment variable'],
  ])('%s is an error with the kubelet message', (_name, valueFrom, message) => {
    const objects = { configMap: (_ns: string, n: string) => (n === 'cfg' ? { data: {} } : undefined), secret: (_ns: string, n: string) => (n === 'creds' ? { data: {} } : undefined) };
    expect(() => containerEnv(ctx(pod({ name: 'app', env: [{ name: 'X', valueFrom }] }), objects))).toThrow(message);
  });

  it('optional references that are missing are skipped', () => {
    const env = containerEnv(ctx(pod({ name: 'app', envFrom: [{ configMapRef: { name: 'nope', optional: true } }], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }] })));
    expect(env).not.toHaveProperty('X');
  });

  it('service variables: every port, names upper-cased with - as _', () => {
    expect(serviceEnvVars([webService], 'shop', true)).toEqual({
      WEB_API_SERVICE_HOST: '10.96.0.20', WEB_API_SERVICE_PORT: '80', WEB_API_SERVICE_PORT_HTTP: '80',
      WEB_API_PORT: 'tcp://10.96.0.20:80',
      WEB_API_PORT_80_TCP: 'tcp://10.96.0.20:80', WEB_API_PORT_80_TCP_PROTO: 'tcp', WEB_API_PORT_80_TCP_PORT: '80', WEB_API_PORT_80_TCP_ADDR: '10.96.0.20',
      WEB_API_PORT_9090_TCP: 'tcp://10.96.0.20:9090', WEB_API_PORT_9090_TCP_PROTO: 'tcp', WEB_API_PORT_9090_TCP_PORT: '9090', WEB_API_PORT_9090_TCP_ADDR: '10.96.0.20',
    });
  });
});
