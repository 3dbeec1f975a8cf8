/** Bounded polling: every wait in the harness has a deadline and says what it was waiting for. */

export interface WaitOptions {
  /** What is awaited, for the error message ("port 8080 of web-v1"). */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Checked before each attempt; a returned reason ends the wait at once (e.g. "process exited"). */
  giveUp?: () => string | undefined;
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `check` until it returns true; throws after `timeoutMs` or as soon as `giveUp` says so. */
export async function waitUntil(check: () => Promise<boolean> | boolean, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = options.giveUp?.();
    if (reason) throw new Error(`gave up waiting for ${options.what}: ${reason}`);
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${detail}`);
    }
    await sleep(Math.min(options.intervalMs ?? 100, Math.max(0, deadline - Date.now())));
  }
}
