import { Backoff, formatDuration } from './backoff';

describe('restart back-off (kubelet rules)', () => {
  it('first restart at once, then 10 s, 20 s, 40 s … capped at 300 s', () => {
    const b = new Backoff();
    let now = 0;
    const crashAndRestart = (): number => {
      const exitedAt = now;
      const wait = b.remaining('c', exitedAt, now);
      now += wait;
      b.next('c', exitedAt, now);
      now += 1_000; // runs for a second, then crashes again
      return wait;
    };
    expect([crashAndRestart(), crashAndRestart(), crashAndRestart(), crashAndRestart()]).toEqual([0, 10_000, 20_000, 40_000]);
    for (let i = 0; i < 5; i++) crashAndRestart();
    expect(crashAndRestart()).toBe(300_000);
  });

  it('starts over after running longer than the maximum', () => {
    const b = new Backoff({ initialMs: 10_000, maxMs: 300_000 });
    b.next('c', 0, 0);
    b.next('c', 1_000, 11_000);
    expect(b.window('c')).toBe(20_000);
    b.next('c', 11_000 + 300_001, 11_000 + 300_001);
    expect(b.window('c')).toBe(10_000);
  });

  it('counts the window from the failure, not from now', () => {
    const b = new Backoff();
    b.next('c', 0, 0);
    expect(b.remaining('c', 5_000, 12_000)).toBe(3_000);
  });

  it('formats like Go durations', () => {
    expect([formatDuration(10_000), formatDuration(80_000), formatDuration(300_000)]).toEqual(['10s', '1m20s', '5m0s']);
  });
});
