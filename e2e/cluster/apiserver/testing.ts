/** Helpers for tests against the simulated API server: raw HTTPS requests and install.yaml. Test code only. */
import fs from 'node:fs';
import https from 'node:https';
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
