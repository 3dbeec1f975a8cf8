/** Token bucket for the local rate limit filter (pure: the time is passed in). */
import type { LocalRateLimit } from '../config/model';

export class TokenBucket {
  private tokens: number;
  private lastFill: number;
  constructor(private readonly config: LocalRateLimit, now: number) {
    this.tokens = config.maxTokens;
    this.lastFill = now;
  }
  /** Takes one token if there is one. */
  take(now: number): boolean {
    const fills = Math.floor((now - this.lastFill) / this.config.fillIntervalMs);
    if (fills > 0) {
      this.tokens = Math.min(this.config.maxTokens, this.tokens + fills * this.config.tokensPerFill);
      this.lastFill += fills * this.config.fillIntervalMs;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
