/**
 * The HTTP face of the simulated API server: bearer-token authentication, discovery and /version,
 * the REST verbs (through the engine), watch streams (newline-delimited JSON events, BOOKMARKs,
 * ERROR 410, timeoutSeconds, sendInitialEvents), the pods/services proxy subresource through the
 * injectable dialer, pods/portforward (the `upgrade` handler, ./port-forward.ts), and Status errors
 * on every failure. Bodies are JSON (or YAML), capped at 3 MiB
 * as kube-apiserver caps them.
 */
import http from 'node:http';
import tls from 'node:tls';
import { type Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, type VersionInfo } from './core/discovery';
import { clone, isObject, type KubeObject } from './core/json';
import { requestInfo } from './core/request-info';
import { groupVersion, type ResourceType, storageKey } from './core/resource-types';
import { ApiError, badRequest, expired, failure, internalError, noRoute, type Status, unauthorized } from './core/status';
import { type UserInfo } from './core/rbac';
import { type ApiEngine } from './engine';
import { type Dialer } from './admission/webhook-client';
import { type Authenticator } from './auth/authenticator';
import { PortForwarder } from './port-forward';
import { type Storage } from './storage';

export const maxBodyBytes = 3 * 1024 * 1024;

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
  contentType?: string;
}

export interface FrontendOptions {
  engine: ApiEngine;
  storage: Storage;
  authenticator: Authenticator;
  version: () => VersionInfo;
  /** host:port the API server advertises (discovery's serverAddressByClientCIDRs). */
  serverAddress: () => string;
  dialer: () => Dialer;
  /** OIDC discovery of the service-account issuer. */
  issuer: string;
  jwks: () => unknown;
  bookmarkIntervalMs: number;
  /** Server-side watch timeout when the client gives none (kube-apiserver: 30–60 min). */
  defaultWatchSeconds: number;
  /** Sees every request first; an ApiError returned is the answer (the old FakeApiServer's failure injection). */
  onRequest?: (r: RecordedRequest) => ApiError | undefined;
  log?: (line: { msg: string; [k: string]: unknown }) => void;
}

interface OpenWatch {
  resource: string;
  bookmark(): void;
  end(): void;
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'authorization', 'host']);

function sendJson(res: http.ServerResponse, code: number, body: unknown, warnings: readonly string[] = []): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-cache, private');
  res.setHeader('content-length', Buffer.byteLength(text));
  if (warnings.length) res.setHeader('warning', [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`));
  res.writeHead(code);
  res.end(text);
}

function sendStatus(res: http.ServerResponse, err: unknown, log?: FrontendOptions['log']): void {
  const status: Status = err instanceof ApiError ? err.status : internalError((err as Error)?.message ?? String(err)).status;
  if (!(err instanceof ApiError)) log?.({ msg: 'internal error', error: (err as Error)?.stack ?? String(err) });
  sendJson(res, status.code, status);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > maxBodyBytes) throw failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${maxBodyBytes}`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `name`, `name:port`, `scheme:name:port` of a proxy path (SplitSchemeNamePort). */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  if (parts.length === 1) return { scheme: '', name: parts[0]!, port: '' };
  if (parts.length === 2) return { scheme: '', name: parts[0]!, port: parts[1]! };
  if (parts.length === 3 && (parts[0] === 'http' || parts[0] === 'https')) return { scheme: parts[0], name: parts[1]!, port: parts[2]! };
  return undefined;
}

export class HttpFrontend {
  private readonly watches = new Set<OpenWatch>();
  private readonly portForwarder: PortForwarder;

  constructor(private readonly o: FrontendOptions) {
    this.portForwarder = new PortForwarder({
      authenticate: (req) => this.authenticate(req),
      authorize: (user, namespace, name) => this.o.engine.authorize({ user, verb: 'create', isResource: true, apiGroup: '', resource: 'pods', subresource: 'portforward', namespace, name }, name),
      pod: (namespace, name) => this.o.storage.peek('pods', namespace, name),
      dialer: () => this.o.dialer(),
      onRequest: (url) => this.o.onRequest?.({ method: 'GET', path: url.pathname, query: url.searchParams }),
    });
  }

  /** WebSocket upgrades (`server.on('upgrade', frontend.upgrade)`): pods/portforward. */
  readonly upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => this.portForwarder.upgrade(req, socket, head);

  /** Ends every port-forward stream (stopping the server; upgraded sockets are not the server's any more). */
  closeUpgraded(): void {
    this.portForwarder.closeAll();
  }

  readonly handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.handle(req, res).catch((err: unknown) => sendStatus(res, err, this.o.log));
  };

  /** Sends a BOOKMARK with the current resourceVersion on every open watch. */
  bookmarkAll(): void {
    for (const w of this.watches) w.bookmark();
  }

  /** Ends every open watch (as the server-side timeout does). */
  closeAll(): void {
    for (const w of [...this.watches]) w.end();
  }

  openWatches(resource?: string): number {
    return [...this.watches].filter((w) => resource === undefined || w.resource === resource).length;
  }

  private authenticate(req: http.IncomingMessage): UserInfo {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const user = this.o.authenticator.authenticate(m?.[1]?.trim());
    if (!user) throw unauthorized();
    return user;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://apiserver');
    const method = (req.method ?? 'GET').toUpperCase();
    const info = requestInfo(method, url.pathname, url.searchParams);
    const isProxy = info.isResource && info.subresource === 'proxy';
    const raw = isProxy ? undefined : await readBody(req);
    const contentType = req.headers['content-type'];
    const recorded: RecordedRequest = { method, path: url.pathname, query: url.searchParams, ...(contentType ? { contentType } : {}) };
    if (raw?.length) {
      try {
        recorded.body = JSON.parse(raw.toString('utf8'));
      } catch {
        recorded.body = raw.toString('utf8');
      }
    }
    const injected = this.o.onRequest?.(recorded);
    const user = this.authenticate(req);
    if (injected) throw injected;
    if (!info.isResource || !info.resource) return this.nonResource(method, url, info.group, info.version, user, res);
    const t = this.o.engine.resolve(info.group, info.version, info.resource);
    if (isProxy) return this.proxy(req, res, t, info.namespace, info.name!, info.rest ?? '', url.search, user, info.verb);
    if (info.verb === 'watch') {
      this.o.engine.authorize({ user, verb: 'watch', isResource: true, apiGroup: t.group, resource: t.plural, ...(info.namespace !== undefined ? { namespace: info.namespace } : {}) });
      return this.watch(req, res, t, info.namespace, url.searchParams);
    }
    const body = this.decodeBody(method, contentType ?? '', raw!, t);
    const answer = await this.o.engine.execute({
      user, verb: info.verb, type: t, query: url.searchParams,
      ...(info.namespace !== undefined ? { namespace: info.namespace } : {}), ...(info.name !== undefined ? { name: info.name } : {}),
      ...(info.subresource !== undefined ? { subresource: info.subresource } : {}), ...(body !== undefined ? { body } : {}),
      ...(contentType ? { contentType } : {}), ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    });
    sendJson(res, answer.code, answer.body, answer.warnings);
  }

  /** JSON (or YAML) of create/update/patch bodies; apply patches stay text for the engine. */
  private decodeBody(method: string, contentType: string, raw: Buffer, t: ResourceType): unknown {
    if (raw.length === 0) return undefined;
    const ct = contentType.split(';')[0]!.trim().toLowerCase();
    if (method === 'PATCH' && ct === 'application/apply-patch+yaml') return raw.toString('utf8');
    if (ct === 'application/vnd.kubernetes.protobuf' || ct === 'application/cbor' || ct === 'application/apply-patch+cbor') {
      throw failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    }
    const text = raw.toString('utf8');
    if (ct === 'application/yaml' && method !== 'PATCH') {
      try {
        return parseYaml(text) as unknown;
      } catch (err) {
        throw badRequest(`error converting YAML to JSON: yaml: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      const hex = raw.subarray(0, 16).toString('hex');
      if (method === 'PATCH') throw badRequest(`error decoding patch: ${(err as Error).message}`);
      throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): couldn't get version/kind; json parse error: ${(err as Error).message} (${hex})`);
    }
  }

  private nonResource(method: string, url: URL, group: string, version: string, user: UserInfo, res: http.ServerResponse): void {
    const path = url.pathname.replace(/\/$/, '') || '/';
    this.o.engine.authorize({ user, verb: method.toLowerCase(), isResource: false, path });
    if (method !== 'GET' && method !== 'HEAD') throw noRoute();
    const types = [...this.typesServed()];
    if (path === '/version') return sendJson(res, 200, this.o.version());
    if (['/healthz', '/livez', '/readyz'].includes(path) || /^\/(healthz|livez|readyz)\//.test(path)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end('ok');
      return;
    }
    if (path === '/api') return sendJson(res, 200, apiVersions(this.o.serverAddress()));
    if (path === '/apis') return sendJson(res, 200, apiGroupList(types));
    if (path === '/.well-known/openid-configuration') {
      return sendJson(res, 200, { issuer: this.o.issuer, jwks_uri: `https://${this.o.serverAddress()}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'] });
    }
    if (path === '/openid/v1/jwks') return sendJson(res, 200, this.o.jwks());
    const groupOnly = /^\/apis\/([^/]+)$/.exec(path);
    if (groupOnly) {
      const doc = apiGroupDocument(types, groupOnly[1]!);
      if (doc) return sendJson(res, 200, doc);
      throw noRoute();
    }
    if (version && (path === `/api/${version}` || path === `/apis/${group}/${version}`)) {
      const doc = apiResourceList(types, group, version);
      if (doc) return sendJson(res, 200, doc);
    }
    throw noRoute();
  }

  private *typesServed(): Iterable<ResourceType> {
    yield* this.o.engine.o.registry.all();
  }

  private watch(req: http.IncomingMessage, res: http.ServerResponse, t: ResourceType, namespace: string | undefined, query: URLSearchParams): void {
    const engine = this.o.engine;
    const matches = engine.selector(t, query);
    const key = storageKey(t);
    const ns = t.namespaced ? namespace : undefined;
    const rvText = query.get('resourceVersion') ?? '';
    const sendInitial = query.get('sendInitialEvents') === 'true';
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    if (rvText !== '' && !/^\d+$/.test(rvText)) throw failure(400, 'BadRequest', `resourceVersion: Invalid value: ${JSON.stringify(rvText)}: must be a valid resourceVersion`);
    const fromRv = rvText === '' || rvText === '0' ? undefined : Number(rvText);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const write = (type: string, object: unknown) => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const present = (o: KubeObject) => engine.present(t, clone(o));
    const bookmarkObject = (annotations?: Record<string, string>) => ({
      kind: t.kind, apiVersion: groupVersion(t), metadata: { resourceVersion: String(this.o.storage.resourceVersion), ...(annotations ? { annotations } : {}) },
    });
    let close: (() => void) | undefined;
    const timers: NodeJS.Timeout[] = [];
    const entry: OpenWatch = {
      resource: key,
      bookmark: () => (bookmarks ? write('BOOKMARK', bookmarkObject()) : undefined),
      end: () => {
        cleanup();
        res.end();
      },
    };
    const cleanup = () => {
      close?.();
      close = undefined;
      for (const tm of timers) clearTimeout(tm);
      this.watches.delete(entry);
    };
    try {
      if (fromRv === undefined || sendInitial) {
        for (const o of this.o.storage.scan(key, ns)) if (matches(o as KubeObject)) write('ADDED', present(o as KubeObject));
      }
      close = this.o.storage.watch(key, fromRv === undefined || sendInitial ? this.o.storage.resourceVersion : fromRv, { ...(ns !== undefined ? { namespace: ns } : {}), matches }, {
        event: (type, object) => write(type, present(object)),
      });
    } catch (err) {
      const status = err instanceof ApiError ? err.status : expired(String(err)).status;
      write('ERROR', status);
      res.end();
      return;
    }
    if (sendInitial && bookmarks) write('BOOKMARK', bookmarkObject({ 'k8s.io/initial-events-end': 'true' }));
    this.watches.add(entry);
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? this.o.defaultWatchSeconds);
    timers.push(setTimeout(() => entry.end(), Math.max(0, timeoutSeconds) * 1000));
    if (bookmarks && this.o.bookmarkIntervalMs > 0) {
      const tick = () => {
        entry.bookmark();
        timers.push(setTimeout(tick, this.o.bookmarkIntervalMs));
      };
      timers.push(setTimeout(tick, this.o.bookmarkIntervalMs));
    }
    res.on('close', cleanup);
    req.on('close', cleanup);
  }

  /** pods/proxy and services/proxy: forwards the request to the pod (or a ready endpoint of the Service). */
  private async proxy(req: http.IncomingMessage, res: http.ServerResponse, t: ResourceType, namespace: string | undefined, id: string, rest: string, search: string, user: UserInfo, verb: string): Promise<void> {
    this.o.engine.authorize({ user, verb, isResource: true, apiGroup: t.group, resource: t.plural, subresource: 'proxy', name: id, ...(namespace !== undefined ? { namespace } : {}) }, id);
    const parsed = splitSchemeNamePort(id);
    if (!parsed || !parsed.name) throw badRequest(`invalid service request ${JSON.stringify(id)}`);
    const target = this.proxyTarget(t, namespace ?? '', parsed);
    const dialer = this.o.dialer();
    const upstream = await dialer({ host: target.host, port: target.port, purpose: 'proxy', ...(t.plural === 'pods' ? { pod: { namespace: namespace ?? '', name: parsed.name } } : { service: { namespace: namespace ?? '', name: parsed.name } }) })
      .catch((err: Error & { code?: string }) => {
        throw failure(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${target.host}:${target.port}: ${err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message}`);
      });
    const socket: Duplex = parsed.scheme === 'https' ? tls.connect({ socket: upstream, rejectUnauthorized: false, minVersion: 'TLSv1.2' }) : upstream;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!hopByHop.has(k) && v !== undefined) headers[k] = v;
    headers.host = `${target.host}:${target.port}`;
    headers['x-forwarded-uri'] = req.url;
    await new Promise<void>((resolve) => {
      const out = http.request({ method: req.method, path: `/${rest}${search}`, headers, createConnection: () => socket as never }, (upRes) => {
        const h: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (!hopByHop.has(k) && v !== undefined) h[k] = v;
        res.writeHead(upRes.statusCode ?? 502, h);
        upRes.pipe(res);
        upRes.on('end', resolve);
        upRes.on('error', () => resolve());
      });
      out.on('error', (err) => {
        sendJson(res, 503, failure(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`).status);
        resolve();
      });
      req.pipe(out);
    });
    socket.destroy();
  }

  private proxyTarget(t: ResourceType, namespace: string, p: { name: string; port: string }): { host: string; port: number } {
    if (t.group === '' && t.plural === 'pods') {
      const pod = this.o.storage.peek('pods', namespace, p.name);
      if (!pod) throw failure(404, 'NotFound', `pods "${p.name}" not found`, { name: p.name, kind: 'pods' });
      const ip = isObject(pod.status) && typeof pod.status.podIP === 'string' ? pod.status.podIP : '';
      if (!ip) throw failure(503, 'ServiceUnavailable', `pod ${p.name} does not have an IP address`);
      let port = Number(p.port);
      if (!p.port) {
        const containers = (isObject(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers : []) as { ports?: { containerPort?: number }[] }[];
        port = containers.flatMap((c) => c.ports ?? []).find((x) => x.containerPort)?.containerPort ?? 80;
      } else if (!/^\d+$/.test(p.port)) {
        const containers = (isObject(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers : []) as { ports?: { name?: string; containerPort?: number }[] }[];
        port = containers.flatMap((c) => c.ports ?? []).find((x) => x.name === p.port)?.containerPort ?? NaN;
      }
      if (!Number.isInteger(port)) throw badRequest(`invalid port ${JSON.stringify(p.port)} for pod ${p.name}`);
      return { host: ip, port };
    }
    if (t.group === '' && t.plural === 'services') {
      const svc = this.o.storage.peek('services', namespace, p.name);
      if (!svc) throw failure(404, 'NotFound', `services "${p.name}" not found`, { name: p.name, kind: 'services' });
      const ports = (isObject(svc.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : []) as { name?: string; port?: number }[];
      const svcPort = p.port === '' ? ports[0] : ports.find((x) => x.name === p.port || String(x.port) === p.port);
      if (!svcPort) throw failure(503, 'ServiceUnavailable', `no service port ${JSON.stringify(p.port)} found for service "${p.name}"`);
      for (const slice of this.o.storage.scan('discovery.k8s.io/endpointslices', namespace)) {
        if (slice.metadata.labels?.['kubernetes.io/service-name'] !== p.name) continue;
        const port = ((slice.ports ?? []) as { name?: string; port?: number }[]).find((x) => (x.name ?? '') === (svcPort.name ?? ''))?.port;
        const ep = ((slice.endpoints ?? []) as { addresses?: string[]; conditions?: { ready?: boolean } }[]).find((e) => e.conditions?.ready !== false && e.addresses?.[0]);
        if (port && ep) return { host: ep.addresses![0]!, port };
      }
      throw failure(503, 'ServiceUnavailable', `no endpoints available for service "${p.name}"`);
    }
    throw noRoute();
  }
}
