/**
 * The API server the node's own tests run against, until the simulated cluster's API double
 * (e2e/cluster/apiserver) is wired in: the operator's FakeApiServer (generic REST + watch) behind
 * an HTTPS front that adds the few kube-apiserver behaviours a node depends on —
 * - TLS with a cluster CA (the `kube-root-ca.crt` ConfigMap is published in every namespace that
 *   gets a pod), bearer tokens: an admin token, and service-account tokens it issued;
 * - pod admission: the default service account, the `kube-api-access-xxxxx` projected volume
 *   mounted at /var/run/secrets/kubernetes.io/serviceaccount in every container (the
 *   ServiceAccount admission plugin), binding to the one node when `nodeName` is empty;
 * - Services get a ClusterIP from 10.96.0.0/16; `default/kubernetes` points at the API server as
 *   the node exposes it to pods;
 * - TokenRequest (`serviceaccounts/<sa>/token`), graceful pod deletion (deletionTimestamp first,
 *   removal on the kubelet's DELETE with gracePeriodSeconds 0), `fieldSelector` on lists and
 *   watches;
 * - EndpointSlices following pods' readiness (the endpointslice controller).
 * Test code only.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import { FakeApiServer, type StoredObject } from '../../../../operator/src/kube/testing/fake-apiserver';
import { eachLine } from '../api';
import { type Container, type EndpointSlice, type Pod, type Service } from '../core/types';
import { makeServingCerts } from './certs';

export const KubernetesServiceIP = '10.96.0.1';
const ServiceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
const RootCaConfigMap = 'kube-root-ca.crt';

interface Route {
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function parseRoute(pathname: string): Route | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+\/[^/]+))(?:\/namespaces\/([^/]+)(?=\/))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(pathname);
  if (!m) return undefined;
  return { group: m[1] ?? m[2]!, resource: m[4]!, ...(m[3] ? { namespace: decodeURIComponent(m[3]) } : {}), ...(m[5] ? { name: decodeURIComponent(m[5]) } : {}), ...(m[6] ? { subresource: m[6] } : {}) };
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: code < 300 ? 'Success' : 'Failure', code, reason, message };
}

/** `spec.nodeName=a,metadata.name=b` → a predicate over objects. */
function fieldSelector(selector: string | null): (o: unknown) => boolean {
  if (!selector) return () => true;
  const terms = selector.split(',').map((t) => {
    const m = /^([\w.]+)(==|=|!=)(.*)$/.exec(t.trim());
    if (!m) throw new Error(`invalid field selector term "${t}"`);
    return { path: m[1]!.split('.'), negate: m[2] === '!=', value: m[3]! };
  });
  return (o) => terms.every((t) => {
    const v = t.path.reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);
    return (String(v ?? '') === t.value) !== t.negate;
  });
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export interface TestApiOptions {
  /** Pods without nodeName are bound here. */
  nodeName: string;
  /** Where the CA and certificates are written. */
  dir: string;
}

export class TestApiServer {
  readonly fake = new FakeApiServer(randomBytes(16).toString('hex'));
  readonly adminToken = randomBytes(16).toString('hex');
  url = '';
  caPem = '';
  private fakeUrl = '';
  private server: https.Server | undefined;
  private readonly secret = randomBytes(32);
  private nextServiceIp = 10;
  private apiEndpoint: { ip: string; port: number } | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private readonly watches = new Set<http.ClientRequest>();

  constructor(private readonly options: TestApiOptions) {}

  static async start(options: TestApiOptions): Promise<TestApiServer> {
    const api = new TestApiServer(options);
    await api.listen();
    return api;
  }

  private async listen(): Promise<void> {
    this.fakeUrl = await this.fake.start();
    const dnsNames = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'];
    const certs = makeServingCerts(this.options.dir, ['127.0.0.1', KubernetesServiceIP], dnsNames);
    this.caPem = certs.caPem;
    this.server = https.createServer({ cert: certs.certPem, key: certs.keyPem, minVersion: 'TLSv1.2' }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.fake.put('v1/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } }, spec: { clusterIP: KubernetesServiceIP, clusterIPs: [KubernetesServiceIP], type: 'ClusterIP', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] } });
    this.publishRootCa('default');
  }

  /** How the node exposes this API server to pods: `default/kubernetes` endpoints point there. */
  setApiServerEndpoint(endpoint: { ip: string; port: number }): void {
    this.apiEndpoint = endpoint;
    this.reconcileEndpoints();
  }

  async close(): Promise<void> {
    clearTimeout(this.reconcileTimer);
    for (const w of this.watches) w.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.fake.close();
  }

  // ---- service-account tokens -------------------------------------------------------------------

  /** Issues a JWT-shaped token (HMAC-signed) for a service account, bound to a pod. */
  issueToken(namespace: string, serviceAccount: string, audiences: string[], expirationSeconds: number, pod?: { name?: string; uid?: string }): { token: string; expiresAt: Date } {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + expirationSeconds;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = {
      iss: 'https://kubernetes.default.svc.cluster.local', sub: `system:serviceaccount:${namespace}:${serviceAccount}`, aud: audiences, iat: now, nbf: now, exp,
      'kubernetes.io': { namespace, serviceaccount: { name: serviceAccount }, ...(pod ? { pod } : {}) },
    };
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return { token: `${unsigned}.${createHmac('sha256', this.secret).update(unsigned).digest('base64url')}`, expiresAt: new Date(exp * 1000) };
  }

  /** The claims of a token this server issued and that has not expired, else undefined. */
  verifyToken(token: string): Record<string, unknown> | undefined {
    const [h, p, sig] = token.split('.');
    if (!h || !p || !sig) return undefined;
    if (createHmac('sha256', this.secret).update(`${h}.${p}`).digest('base64url') !== sig) return undefined;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { exp: number };
    return claims.exp * 1000 > Date.now() ? claims : undefined;
  }

  // ---- request handling ---------------------------------------------------------------------------

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || (token !== this.adminToken && !this.verifyToken(token))) return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const method = req.method ?? 'GET';
    const route = parseRoute(url.pathname);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString()) : undefined;
    } catch {
      return this.send(res, 400, status(400, 'BadRequest', 'body is not JSON'));
    }
    try {
      if (route?.resource === 'serviceaccounts' && route.subresource === 'token' && method === 'POST') return this.tokenRequest(route, body as TokenRequestBody, res);
      if (route?.resource === 'pods' && method === 'DELETE' && route.name && !route.subresource) return this.deletePod(route, body as DeleteOptions | undefined, res);
      if (method === 'DELETE' && route?.name) return this.deleteObject(route, res);
      if (route?.resource === 'pods' && method === 'POST' && !route.name) body = this.admitPod(route.namespace ?? 'default', body as Pod);
      if (route?.resource === 'services' && method === 'POST' && !route.name) body = this.allocateClusterIP(body as Service);
    } catch (e) {
      return this.send(res, 500, status(500, 'InternalError', (e as Error).message));
    }
    const selector = fieldSelector(url.searchParams.get('fieldSelector'));
    url.searchParams.delete('fieldSelector');
    const isWatch = method === 'GET' && (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1');
    const upstream = http.request(`${this.fakeUrl}${url.pathname}${url.search}`, {
      method,
      headers: { authorization: `Bearer ${this.fake.token}`, ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}) },
    }, (up) => {
      if (isWatch) return this.relayWatch(up, res, selector);
      const out: Buffer[] = [];
      up.on('data', (c: Buffer) => out.push(c));
      up.on('end', () => {
        let text = Buffer.concat(out).toString();
        if (method === 'GET' && !route?.name && up.statusCode === 200) {
          const list = JSON.parse(text) as { items: unknown[] };
          list.items = list.items.filter(selector);
          text = JSON.stringify(list);
        }
        res.writeHead(up.statusCode ?? 500, { 'content-type': 'application/json' });
        res.end(text);
        if (method !== 'GET') this.afterWrite(route, up.statusCode ?? 500);
      });
    });
    upstream.on('error', (e) => {
      if (!res.headersSent) this.send(res, 502, status(502, 'InternalError', e.message));
      else res.destroy();
    });
    if (isWatch) {
      this.watches.add(upstream);
      res.on('close', () => {
        upstream.destroy();
        this.watches.delete(upstream);
      });
    }
    upstream.end(body === undefined ? undefined : JSON.stringify(body));
  }

  private relayWatch(up: http.IncomingMessage, res: http.ServerResponse, selector: (o: unknown) => boolean): void {
    res.writeHead(up.statusCode ?? 200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    eachLine(up, (line) => {
      const event = JSON.parse(line) as { type: string; object: unknown };
      if (event.type === 'BOOKMARK' || event.type === 'ERROR' || selector(event.object)) res.write(`${line}\n`);
    });
    up.on('end', () => res.end());
    up.on('error', () => res.destroy());
  }

  private afterWrite(route: Route | undefined, code: number): void {
    if (code >= 300 || !route) return;
    if (['pods', 'services'].includes(route.resource)) this.reconcileEndpoints();
  }

  // ---- what kube-apiserver adds --------------------------------------------------------------------

  private tokenRequest(route: Route, body: TokenRequestBody, res: http.ServerResponse): void {
    const ns = route.namespace ?? 'default';
    const requested = body?.spec?.expirationSeconds ?? 3600;
    if (requested < 600) return this.send(res, 422, status(422, 'Invalid', `TokenRequest.authentication.k8s.io "${route.name}" is invalid: spec.expirationSeconds: Invalid value: ${requested}: may not specify a duration less than 10 minutes`));
    const audiences = body?.spec?.audiences?.length ? body.spec.audiences : ['https://kubernetes.default.svc.cluster.local'];
    const bound = body?.spec?.boundObjectRef;
    const { token, expiresAt } = this.issueToken(ns, route.name!, audiences, requested, bound ? { name: bound.name, uid: bound.uid } : undefined);
    this.send(res, 201, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: route.name, namespace: ns }, spec: { ...body?.spec, audiences }, status: { token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } });
  }

  private deletePod(route: Route, options: DeleteOptions | undefined, res: http.ServerResponse): void {
    const ns = route.namespace ?? 'default';
    const pod = this.fake.get('v1/pods', ns, route.name!) as (StoredObject & Pod) | undefined;
    if (!pod) return this.send(res, 404, status(404, 'NotFound', `pods "${route.name}" not found`));
    if (options?.preconditions?.uid && options.preconditions.uid !== pod.metadata.uid) {
      return this.send(res, 409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${pod.metadata.uid}`));
    }
    const grace = options?.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (grace === 0 || !pod.spec?.nodeName || finished) {
      this.fake.remove('v1/pods', ns, route.name!);
      this.reconcileEndpoints();
      return this.send(res, 200, pod);
    }
    if (!pod.metadata.deletionTimestamp || grace < (pod.metadata.deletionGracePeriodSeconds as number)) {
      pod.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      pod.metadata.deletionGracePeriodSeconds = grace;
      this.fake.put('v1/pods', pod);
      this.reconcileEndpoints();
    }
    this.send(res, 200, this.fake.get('v1/pods', ns, route.name!));
  }

  private deleteObject(route: Route, res: http.ServerResponse): void {
    const collection = `${route.group}/${route.resource}`;
    const existing = this.fake.get(collection, route.namespace, route.name!);
    if (!existing) return this.send(res, 404, status(404, 'NotFound', `${route.resource} "${route.name}" not found`));
    this.fake.remove(collection, route.namespace, route.name!);
    this.afterWrite(route, 200);
    this.send(res, 200, status(200, '', ''));
  }

  /** The ServiceAccount admission plugin, defaulting, and the scheduler's binding. */
  private admitPod(namespace: string, pod: Pod): Pod {
    const spec = pod.spec!;
    spec.serviceAccountName ||= 'default';
    spec.nodeName ||= this.options.nodeName;
    this.publishRootCa(namespace);
    if (spec.automountServiceAccountToken !== false) {
      const name = `kube-api-access-${randomBytes(3).toString('hex').slice(0, 5)}`;
      const containers: Container[] = [...(spec.initContainers ?? []), ...spec.containers];
      const needs = containers.filter((c) => !(c.volumeMounts ?? []).some((m) => m.mountPath === ServiceAccountMountPath));
      if (needs.length > 0) {
        spec.volumes = [...(spec.volumes ?? []), {
          name,
          projected: {
            defaultMode: 0o644,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: RootCaConfigMap, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        }];
        for (const c of needs) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: ServiceAccountMountPath }];
      }
    }
    pod.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] };
    return pod;
  }

  private allocateClusterIP(svc: Service): Service {
    if (!svc.spec) svc.spec = {};
    if (!svc.spec.clusterIP) {
      if (this.nextServiceIp > 65_000) throw new Error('service IP range 10.96.0.0/16 is exhausted');
      const n = this.nextServiceIp++;
      svc.spec.clusterIP = `10.96.${Math.floor(n / 256)}.${n % 256}`;
      svc.spec.clusterIPs = [svc.spec.clusterIP];
    }
    svc.spec.type ??= 'ClusterIP';
    return svc;
  }

  private publishRootCa(namespace: string): void {
    if (this.fake.get('v1/configmaps', namespace, RootCaConfigMap)) return;
    this.fake.put('v1/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RootCaConfigMap, namespace }, data: { 'ca.crt': this.caPem } });
  }

  // ---- the endpointslice controller ----------------------------------------------------------------

  private reconcileEndpoints(): void {
    if (this.reconcileTimer) return;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = undefined;
      this.reconcileNow().catch(() => undefined);
    }, 10);
  }

  private async list<T>(path: string): Promise<T[]> {
    const res = await fetch(`${this.fakeUrl}${path}`, { headers: { authorization: `Bearer ${this.fake.token}` } });
    return ((await res.json()) as { items: T[] }).items;
  }

  private async reconcileNow(): Promise<void> {
    const services = await this.list<Service>('/api/v1/services');
    const pods = await this.list<Pod>('/api/v1/pods');
    const wanted = new Map<string, EndpointSlice>();
    for (const svc of services) {
      const ns = svc.metadata?.namespace ?? 'default';
      const name = svc.metadata!.name!;
      let slice: EndpointSlice | undefined;
      if (ns === 'default' && name === 'kubernetes') {
        if (!this.apiEndpoint) continue;
        slice = { addressType: 'IPv4', metadata: { name: 'kubernetes', namespace: ns }, ports: [{ name: 'https', port: this.apiEndpoint.port, protocol: 'TCP' }], endpoints: [{ addresses: [this.apiEndpoint.ip], conditions: { ready: true } }] };
      } else {
        if (!svc.spec?.selector) continue;
        const members = pods.filter((p) => (p.metadata?.namespace ?? 'default') === ns && matches(svc.spec!.selector, p.metadata?.labels) && p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
        const firstPod = members[0];
        const ports = (svc.spec.ports ?? []).map((p) => {
          let port = typeof p.targetPort === 'number' ? p.targetPort : p.targetPort === undefined ? p.port : Number(p.targetPort);
          if (Number.isNaN(port)) port = firstPod?.spec?.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === p.targetPort)?.containerPort ?? 0;
          return { name: p.name ?? '', port, protocol: p.protocol ?? 'TCP' };
        }).filter((p) => p.port > 0);
        slice = {
          addressType: 'IPv4',
          metadata: { name: `${name}-sim`, namespace: ns },
          ports,
          endpoints: members.map((p) => {
            const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
            const terminating = !!p.metadata?.deletionTimestamp;
            return { addresses: [p.status!.podIP!], conditions: { ready: ready && !terminating, serving: ready, terminating }, nodeName: p.spec?.nodeName, targetRef: { kind: 'Pod', name: p.metadata?.name, namespace: ns, uid: p.metadata?.uid } };
          }),
        };
      }
      slice.metadata!.labels = { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
      wanted.set(`${ns}/${slice.metadata!.name}`, slice);
    }
    const collection = 'discovery.k8s.io/v1/endpointslices';
    for (const [key, slice] of wanted) {
      const [ns, name] = key.split('/') as [string, string];
      const existing = this.fake.get(collection, ns, name) as (StoredObject & EndpointSlice) | undefined;
      if (existing && JSON.stringify({ p: existing.ports, e: existing.endpoints }) === JSON.stringify({ p: slice.ports, e: slice.endpoints })) continue;
      this.fake.put(collection, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', ...slice } as unknown as StoredObject);
    }
    for (const existing of await this.list<EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices')) {
      const key = `${existing.metadata?.namespace}/${existing.metadata?.name}`;
      if (!wanted.has(key)) this.fake.remove(collection, existing.metadata?.namespace, existing.metadata!.name!);
    }
  }
}

interface TokenRequestBody {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { name?: string; uid?: string } };
}

interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string };
}
