/**
 * The admission webhook over HTTPS: `POST /inject` (AdmissionReview v1), `GET /healthz`,
 * `GET /metrics`. A thin shell over core/admission.ts: parse, look the namespace up, decide,
 * answer. Every review is answered; nothing the pod's author writes can crash it.
 */
import { createServer, type Server } from 'node:https';
import { type AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ControlPlanePorts } from '../../api/src/names';
import {
  admitPod,
  type AdmissionResponse,
  type Outcome,
  parseAdmissionReview,
  planReview,
  refusal,
  reviewEnvelope,
} from './core/admission';
import { type InjectionConfig } from './core/config';
import { type Decision } from './core/decide';
import { isObject } from './core/types';
import { WebhookMetrics } from './metrics';
import { type NamespaceLookup } from './namespace-lookup';
import { CertificateReloader, loadKeyPair, type TlsFiles } from './tls-files';

/** kube-apiserver caps an object at 3 MiB; a review carries at most object + oldObject. */
export const defaultBodyLimitBytes = 6 * 1024 * 1024;

export type LogLine = Record<string, unknown> & { msg: string };
export type Logger = (line: LogLine) => void;

export const jsonLogger = (stream: NodeJS.WritableStream): Logger => (line) => {
  stream.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
};

export interface WebhookAppOptions {
  config: InjectionConfig;
  namespaces: NamespaceLookup;
  metrics?: WebhookMetrics;
  log?: Logger;
  bodyLimitBytes?: number;
  /** How long the namespace lookup may take before the review is refused (default 5 s). */
  lookupTimeoutMs?: number;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Answer {
  outcome: Outcome;
  response: AdmissionResponse;
  decision?: Decision;
  detail?: string;
}

export function webhookApp(options: WebhookAppOptions): express.Express {
  const metrics = options.metrics ?? new WebhookMetrics();
  const log = options.log ?? (() => undefined);
  const lookupTimeoutMs = options.lookupTimeoutMs ?? 5000;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  async function answer(body: unknown): Promise<Answer> {
    const parsed = parseAdmissionReview(body);
    if (!parsed.ok) throw new HttpError(400, `invalid AdmissionReview: ${parsed.message}`);
    const { request } = parsed;
    const plan = planReview(request);
    if (plan.action === 'allow') return { outcome: 'allowed', response: { uid: request.uid, allowed: true }, detail: plan.why };
    if (plan.action === 'refuse') return { outcome: 'refused', response: refusal(request.uid, `skein: ${plan.message}`), detail: plan.message };
    let labels;
    try {
      labels = await withTimeout(options.namespaces.labels(plan.namespace), lookupTimeoutMs, `lookup of namespace ${plan.namespace}`);
    } catch (err) {
      const message = `skein: cannot read namespace ${plan.namespace}: ${err instanceof Error ? err.message : String(err)}`;
      return { outcome: 'refused', response: refusal(request.uid, message, 500), detail: message };
    }
    const result = admitPod(request.uid, plan.pod, { name: plan.namespace, labels }, options.config);
    return { outcome: result.outcome, response: result.response, decision: result.decision, detail: result.response.status?.message };
  }

  app.post('/inject', express.json({ limit: options.bodyLimitBytes ?? defaultBodyLimitBytes, strict: true }), async (req: Request, res: Response) => {
    const stop = metrics.duration.startTimer();
    const body: unknown = req.body;
    const request = isObject(body) && isObject(body.request) ? body.request : {};
    const object = isObject(request.object) ? request.object : {};
    const metadata = isObject(object.metadata) ? object.metadata : {};
    let result: Answer;
    try {
      result = await answer(body);
    } catch (err) {
      stop();
      metrics.reviews.inc({ outcome: 'invalid' });
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      log({ msg: 'admission review rejected', status, error: message });
      res.status(status).json({ error: message });
      return;
    }
    metrics.reviews.inc({ outcome: result.outcome });
    for (const reason of result.decision?.reasons ?? []) metrics.decisions.inc({ inject: String(result.decision!.inject), reason: reason.code });
    const seconds = stop();
    log({
      msg: 'admission review',
      uid: request.uid,
      namespace: request.namespace,
      pod: metadata.name ?? metadata.generateName,
      operation: request.operation,
      outcome: result.outcome,
      inject: result.decision?.inject,
      reasons: result.decision?.reasons.map((r) => r.code),
      detail: result.detail,
      ms: Math.round(seconds * 1000 * 10) / 10,
    });
    res.json(reviewEnvelope(result.response));
  });

  // Body-parser errors (too large, not JSON) and anything unexpected: JSON error, never a crash.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    const status = e.type === 'entity.too.large' ? 413 : e.type === 'entity.parse.failed' ? 400 : (e.status ?? 500);
    const message =
      e.type === 'entity.too.large' ? `AdmissionReview larger than ${options.bodyLimitBytes ?? defaultBodyLimitBytes} bytes`
        : e.type === 'entity.parse.failed' ? `invalid AdmissionReview: body is not JSON (${e.message})`
          : (e.message ?? 'internal error');
    metrics.reviews.inc({ outcome: 'invalid' });
    log({ msg: 'admission review rejected', status, error: message });
    res.status(status).json({ error: message });
  });
  return app;
}

export interface WebhookServerOptions extends WebhookAppOptions {
  tls: TlsFiles;
  port?: number;
  host?: string;
  /** Poll interval of the certificate files (default 5 s). */
  certificatePollMs?: number;
}

export interface RunningWebhook {
  server: Server;
  port: number;
  metrics: WebhookMetrics;
  reloadCertificate(): boolean;
  close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhook> {
  const metrics = options.metrics ?? new WebhookMetrics();
  const log = options.log ?? (() => undefined);
  const app = webhookApp({ ...options, metrics });
  const server = createServer({ ...loadKeyPair(options.tls) }, app);
  // The apiserver keeps connections open between reviews; do not hold them forever.
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  const reloader = new CertificateReloader(options.tls, server, (result) => {
    metrics.certificateReloads.inc({ result: result.ok ? 'ok' : 'error' });
    if (result.ok) log({ msg: 'serving certificate reloaded' });
    else log({ msg: 'serving certificate reload failed; keeping the previous one', error: result.error });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? ControlPlanePorts.webhook, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  reloader.watch(options.certificatePollMs ?? 5000);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    metrics,
    reloadCertificate: () => reloader.reload(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        reloader.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
