/** Helpers for tests against the simulated API server: raw HTTPS requests and install.yaml. Test code only. */
import fs from 'node:fs';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type KubeObject } from './core/json';
import { type SimulatedApiServer } from './index';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTPS request to the server, verifying it against its CA; `token` defaults to the admin token. */
export function raw(api: SimulatedApiServer, method: string, urlPath: string, body?: unknown, options: { token?: string | null; contentType?: string } = {}): Promise<RawAnswer> {
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const token = options.token === undefined ? api.adminToken : options.token;
  return new Promise((resolve, reject) => {
    const req = https.request(`${api.url}${urlPath}`, {
      method, ca: api.caPem, minVersion: 'TLSv1.2',
      headers: {
        accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(data !== undefined ? { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The documents of manifests/install.yaml as rendered in the repository. */
export function installManifests(): KubeObject[] {
  const text = fs.readFileSync(path.join(__dirname, '../../../manifests/install.yaml'), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJSON() as KubeObject).filter((o) => o && o.kind);
}

/** Opens a watch and collects its events until `stop()`; `ended` resolves when the server ends it. */
export function openWatch(api: SimulatedApiServer, urlPath: string, token?: string): { events: { type: string; object: any }[]; ended: Promise<void>; stop(): void; status: Promise<number> } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const events: { type: string; object: unknown }[] = [];
  let req: ReturnType<typeof https.request> | undefined;
  let setStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (setStatus = r));
  const ended = new Promise<void>((resolve) => {
    req = https.request(`${api.url}${urlPath}`, { ca: api.caPem, headers: { authorization: `Bearer ${token ?? api.adminToken}` } }, (res) => {
      setStatus(res.statusCode ?? 0);
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line) as { type: string; object: unknown });
        }
      });
      res.on('end', resolve);
      res.on('close', resolve);
    });
    req.on('error', () => resolve());
    req.end();
  });
  return { events: events as { type: string; object: any }[], ended, stop: () => req?.destroy(), status }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TestWebhook {
  url: string;
  port: number;
  /** Paths of the reviews received, in order. */
  calls: string[];
  reviews: { path: string; review: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

/**
 * A small HTTPS admission webhook for tests: `answer(path, review)` returns the `response` part
 * (uid filled in) or `'hang'` to never answer.
 */
export async function startTestWebhook(cert: { certPem: string; keyPem: string }, answer: (path: string, review: any) => Record<string, unknown> | 'hang'): Promise<TestWebhook> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const calls: string[] = [];
  const reviews: { path: string; review: unknown }[] = [];
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } };
      const path = (req.url ?? '').split('?')[0]!;
      calls.push(path);
      reviews.push({ path, review });
      const response = answer(path, review);
      if (response === 'hang') return;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...response } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`, port, calls, reviews: reviews as TestWebhook['reviews'],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A JSONPatch answer. */
export const patchResponse = (ops: unknown[]) => ({ patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });

/** Server-side applies `objects` in order, finding each kind's resource through discovery as kubectl does. */
export async function applyAll(api: SimulatedApiServer, objects: readonly KubeObject[], fieldManager = 'skein-install'): Promise<void> {
  const discovered = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();
  for (const obj of objects) {
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    if (!discovered.has(base)) discovered.set(base, (await raw(api, 'GET', base)).json.resources);
    const resource = discovered.get(base)!.find((r) => r.kind === obj.kind && !r.name.includes('/'));
    if (!resource) throw new Error(`no resource for ${obj.apiVersion} ${obj.kind}`);
    const ns = resource.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    const res = await raw(api, 'PATCH', `${base}${ns}/${resource.name}/${obj.metadata.name}?fieldManager=${fieldManager}`, obj, { contentType: 'application/apply-patch+yaml' });
    if (res.status >= 300) throw new Error(`apply ${obj.kind} ${obj.metadata.name}: ${res.text}`);
  }
}
