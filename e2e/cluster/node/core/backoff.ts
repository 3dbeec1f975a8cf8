/**
 * The kubelet's restart back-off (client-go flowcontrol.Backoff as the kubelet uses it): the first
 * restart after a crash is immediate, then 10 s, 20 s, 40 s … up to 300 s; an entry not touched
 * for longer than the maximum starts over. Also used for image pulls. Time is passed in.
 */

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

/** The kubelet's defaults (crash loop and image pull). */
export const KubeletBackoff: BackoffSettings = { initialMs: 10_000, maxMs: 300_000 };

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly settings: BackoffSettings = KubeletBackoff) {}

  /** The remaining back-off for `key` since `eventTime` (e.g. when the container exited), or 0. */
  remaining(key: string, eventTime: number, now: number): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.backoffMs - (now - eventTime));
  }

  /** The current window of `key` (for messages such as "back-off 20s"). */
  window(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records one more restart of `key` whose failure happened at `eventTime`. */
  next(key: string, eventTime: number, now: number): void {
    const entry = this.entries.get(key);
    if (!entry || eventTime - entry.lastUpdate > this.settings.maxMs) {
      this.entries.set(key, { backoffMs: this.settings.initialMs, lastUpdate: now });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.settings.maxMs);
    entry.lastUpdate = now;
  }

  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

/** `10s`, `1m20s`, `5m0s` like Go's time.Duration String for whole seconds. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}
