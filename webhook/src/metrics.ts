/** Prometheus metrics of the webhook, on its own registry (several servers can live in one process). */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export class WebhookMetrics {
  readonly registry = new Registry();
  /** One per review, by outcome: injected, skipped, allowed (not a pod / not CREATE), refused, invalid. */
  readonly reviews = new Counter({
    name: 'skein_webhook_reviews_total',
    help: 'AdmissionReviews answered, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** One per reason of each injection decision (a skipped pod may have several). */
  readonly decisions = new Counter({
    name: 'skein_webhook_injection_decisions_total',
    help: 'Injection decisions by result and reason code.',
    labelNames: ['inject', 'reason'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'skein_webhook_review_duration_seconds',
    help: 'Time to answer an AdmissionReview.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly certificateReloads = new Counter({
    name: 'skein_webhook_certificate_reloads_total',
    help: 'Serving certificate reloads, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor({ processMetrics = false }: { processMetrics?: boolean } = {}) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
