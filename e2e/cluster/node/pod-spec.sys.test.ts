/**
 * What a container sees inside: its environment (downward API, $(VAR) expansion, service links,
 * image ENV), its volumes at their mountPaths with the kubelet's content, layout and modes (the
 * projected token, ConfigMaps, the downward API labels file, the default kube-api-access volume),
 * and the credentials its securityContext asks for — checked from inside the container, with the
 * Skein injection template's own init and proxy containers.
 */
import { CaTokenAudience, ProxyEnv, ProxyMounts, RootCertConfigMap } from '../../../api/src/names';
import pkg from '../../../package.json';
import { captureSettings } from '../../../webhook/src/core/capture';
import { defaultInjectionConfig } from '../../../webhook/src/core/config';
import { initContainer, proxyContainer, proxyResources, proxyVolumes } from '../../../webhook/src/core/template';
import { waitUntil } from '../../harness/wait';
import { describeSystem } from '../../support/system';
import { BusyboxImage, SkeinImage } from '../images';
import { type Container } from './core/types';
import { createPod, isReady, useSimulatedNode, waitForPod } from './testing/fixture';
import { KubernetesServiceIP } from './testing/test-api';

const tools = ['ip', 'iptables', 'iptables-restore', 'nsenter', 'unshare', 'setpriv', 'openssl'];

/** `Name:\tvalue` lines of /proc/<pid>/status. */
function procStatus(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

describeSystem('simulated node: what a container sees', () => {
  const cluster = useSimulatedNode();

  it('env: values, the downward API, $(VAR) expansion in env and args, service links, image ENV and HOSTNAME', async () => {
    const { client, node } = cluster();
    await client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'default' }, data: { LEVEL: 'debug', MODE: 'fast' } });
    await createPod(client, {
      metadata: { name: 'envy', labels: { app: 'envy', tier: 'web' }, annotations: { owner: 'team-a' } },
      spec: {
        serviceAccountName: 'envy-sa',
        containers: [{
          name: 'main',
          image: BusyboxImage,
          command: ['sh', '-c', 'env | sort; echo "ARGS $0 $1 $2"; sleep 100', '$(POD_NAME)', '$(GREETING)', '$$(POD_NAME)'],
          resources: { limits: { memory: '64Mi' } },
          envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
            { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
            { name: 'OWNER', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['owner']" } } },
            { name: 'MEM_MB', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'LEVEL' } } },
            { name: 'GREETING', value: 'hello $(POD_NAME) in $(POD_NAMESPACE) at $(POD_IP), $(UNDEFINED_VAR)' },
          ],
        }],
      },
    });
    const pod = await waitForPod(client, 'default', 'envy', 'is Ready', isReady);
    let log = '';
    await waitUntil(async () => (log = await node.logs('default', 'envy', 'main')).includes('ARGS'), { what: 'the env dump', timeoutMs: 5_000 });
    const env = Object.fromEntries(log.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const podIP = pod!.status!.podIP!;
    expect(env).toMatchObject({
      POD_NAME: 'envy', POD_NAMESPACE: 'default', POD_UID: pod!.metadata!.uid, POD_IP: podIP, HOST_IP: node.hostIP, NODE: node.name, SA: 'envy-sa',
      TIER: 'web', OWNER: 'team-a', MEM_MB: '64', LEVEL: 'debug', CFG_LEVEL: 'debug', CFG_MODE: 'fast',
      GREETING: `hello envy in default at ${podIP}, $(UNDEFINED_VAR)`,
      KUBERNETES_SERVICE_HOST: KubernetesServiceIP, KUBERNETES_SERVICE_PORT: '443', KUBERNETES_PORT: `tcp://${KubernetesServiceIP}:443`,
      HOSTNAME: 'envy',
    });
    expect(env.PATH).toContain('/usr/bin');
    expect(log).toContain(`ARGS envy hello envy in default at ${podIP}, $(UNDEFINED_VAR) $(POD_NAME)`);
  });

  it('volumes: the projected token, ConfigMaps and the labels file where the proxy reads them, kube-api-access, emptyDir, with the kubelet layout and modes; ConfigMap updates reach the file', async () => {
    const { client, node, api } = cluster();
    await client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RootCertConfigMap, namespace: 'default' }, data: { 'root-cert.pem': 'ROOT v1' } });
    await client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data: { 'app.conf': 'x=1' } });
    const config = defaultInjectionConfig(pkg.version);
    await createPod(client, {
      metadata: { name: 'mounts', labels: { app: 'mounts', version: 'v2' } },
      spec: {
        serviceAccountName: 'mounts-sa',
        securityContext: { runAsUser: 1337, runAsGroup: 1337 },
        volumes: [...proxyVolumes(config), { name: 'settings', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o444 }] } }, { name: 'scratch', emptyDir: {} }],
        containers: [{
          name: 'main',
          image: BusyboxImage,
          command: ['sleep', '100'],
          volumeMounts: [
            { name: 'skein-token', mountPath: ProxyMounts.token, readOnly: true },
            { name: 'skein-root-cert', mountPath: ProxyMounts.rootCert, readOnly: true },
            { name: 'skein-podinfo', mountPath: ProxyMounts.podInfo, readOnly: true },
            { name: 'settings', mountPath: '/etc/settings' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        }],
      },
    });
    await waitForPod(client, 'default', 'mounts', 'is Ready', isReady);
    const run = async (...argv: string[]) => (await node.exec('default', 'mounts', 'main', argv)).stdout.trim();
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';

    // the proxy's token: audience skein-ca, bound to this pod; 0600 and owned by the pod's one user
    const token = await run('cat', ProxyMounts.tokenFile);
    expect(api.verifyToken(token)).toMatchObject({ aud: [CaTokenAudience], sub: 'system:serviceaccount:default:mounts-sa', 'kubernetes.io': { namespace: 'default', pod: { name: 'mounts' } } });
    expect(await run('stat', '-L', '-c', '%a %u', ProxyMounts.tokenFile)).toBe('600 1337');
    const claims = jwtClaims(token) as { exp: number; iat: number };
    expect(claims.exp - claims.iat).toBe(config.tokenExpirationSeconds);
    // the root bundle and the labels file, as the proxy reads them
    expect(await run('cat', ProxyMounts.rootCertFile)).toBe('ROOT v1');
    expect(await run('cat', ProxyMounts.podLabelsFile)).toBe('app="mounts"\nversion="v2"');
    // the kubelet's AtomicWriter layout, item modes, subdirectories
    expect(await run('readlink', `${ProxyMounts.rootCert}/root-cert.pem`)).toBe('..data/root-cert.pem');
    expect(await run('stat', '-L', '-c', '%a', '/etc/settings/conf/app.conf')).toBe('444');
    expect(await run('cat', '/etc/settings/conf/app.conf')).toBe('x=1');
    // API-data volumes are read-only; an emptyDir is writable
    expect((await node.exec('default', 'mounts', 'main', ['touch', '/etc/settings/new'])).stderr).toMatch(/Read-only file system/);
    expect((await node.exec('default', 'mounts', 'main', ['sh', '-c', 'echo written > /scratch/file'])).code).toBe(0);
    expect(await run('cat', '/scratch/file')).toBe('written');
    // the default service-account volume (what in-cluster clients read)
    expect(await run('cat', `${sa}/namespace`)).toBe('default');
    expect(await run('cat', `${sa}/ca.crt`)).toBe(api.caPem.trim());
    expect(jwtClaims(await run('cat', `${sa}/token`))).toMatchObject({ sub: 'system:serviceaccount:default:mounts-sa' });
    // nothing of this exists on the host
    expect(await run('ls', '/var/run/secrets')).toMatch(/kubernetes\.io/);

    // a ConfigMap update reaches the mounted file (root-certificate rotation depends on it)
    await client.patch(`/api/v1/namespaces/default/configmaps/${RootCertConfigMap}`, { data: { 'root-cert.pem': 'ROOT v1\nROOT v2' } });
    await waitUntil(async () => (await run('cat', ProxyMounts.rootCertFile)) === 'ROOT v1\nROOT v2', { what: 'the updated bundle in the volume', timeoutMs: 10_000 });
  });

  it('securityContext: the Skein init container is root with exactly NET_ADMIN and NET_RAW; the proxy runs as 1337 without capabilities on a read-only root', async () => {
    const { client, node } = cluster();
    const config = defaultInjectionConfig(pkg.version);
    const probeOff = { startupProbe: undefined, readinessProbe: undefined, livenessProbe: undefined, lifecycle: undefined };
    const report = 'id; grep -E "^(Cap|NoNewPrivs)" /proc/self/status; touch /rootfs-write-test 2>&1 || true';
    const init = { ...initContainer(captureSettings({}), config), command: ['sh', '-c', report] } as unknown as Container;
    const proxy = { ...proxyContainer(proxyResources({}, config.resources), config, { native: true, cni: false, appProbes: false }), ...probeOff, command: ['sh', '-c', `${report}; env | grep -E "^(${ProxyEnv.podName}|${ProxyEnv.instanceIp}|${ProxyEnv.serviceAccount})="; sleep 100`] } as unknown as Container;
    expect(init.image).toBe(SkeinImage);
    await client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RootCertConfigMap, namespace: 'default' }, data: { 'root-cert.pem': 'ROOT' } }).catch(() => undefined);
    await createPod(client, {
      metadata: { name: 'meshed', labels: { app: 'meshed' } },
      spec: { volumes: proxyVolumes(config), initContainers: [init, proxy], containers: [{ name: 'app', image: BusyboxImage, command: ['sleep', '100'] }] },
    });
    const pod = await waitForPod(client, 'default', 'meshed', 'is Ready', isReady);
    const initLog = await node.logs('default', 'meshed', 'skein-init');
    const initStatus = procStatus(initLog);
    expect(initLog).toMatch(/^uid=0\(root\) gid=0\(root\)/m);
    const netAdminAndRaw = ((1n << 12n) | (1n << 13n)).toString(16).padStart(16, '0');
    expect(initStatus).toMatchObject({ CapEff: netAdminAndRaw, CapPrm: netAdminAndRaw, CapBnd: netAdminAndRaw, CapInh: '0000000000000000', NoNewPrivs: '1' });
    expect(initLog).not.toMatch(/Read-only/);

    let proxyLog = '';
    await waitUntil(async () => (proxyLog = await node.logs('default', 'meshed', 'skein-proxy')).includes(`${ProxyEnv.podName}=`), { what: 'the proxy report', timeoutMs: 5_000 });
    expect(proxyLog).toMatch(/^uid=1337 gid=1337/m);
    expect(procStatus(proxyLog)).toMatchObject({ CapEff: '0000000000000000', CapPrm: '0000000000000000', CapBnd: '0000000000000000', NoNewPrivs: '1' });
    expect(proxyLog).toMatch(/Read-only file system/);
    expect(proxyLog).toContain(`${ProxyEnv.podName}=meshed`);
    expect(proxyLog).toContain(`${ProxyEnv.instanceIp}=${pod!.status!.podIP}`);
    expect(proxyLog).toContain(`${ProxyEnv.serviceAccount}=default`);
  });
}, tools);
