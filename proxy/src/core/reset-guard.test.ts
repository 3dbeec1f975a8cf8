import { ConnectionResets, DefaultResetLimits, ProcessResets, type ResetLimits } from './reset-guard';

const quick = { lifetimeMs: 5, responded: false, byProxy: false };
const answered = { lifetimeMs: 5, responded: true, byProxy: false };
const slow = { lifetimeMs: 1500, responded: false, byProxy: false };

function connection(limits: ResetLimits = DefaultResetLimits, process = new ProcessResets({ ...limits, processLimit: 1e9 })): ConnectionResets {
  return new ConnectionResets(limits, process);
}

describe('ConnectionResets (Envoy premature_reset_* rule)', () => {
  it('closes a connection at half the limit of premature resets, whatever else it did', () => {
    const c = connection();
    for (let i = 0; i < 249; i++) expect(c.streamClosed(quick, 0)).toBe('ok');
    expect(c.streamClosed(quick, 0)).toBe('close');
  });

  it('does not count answered, long-lived or proxy-refused streams as premature', () => {
    const c = connection();
    for (let i = 0; i < 1000; i++) {
      expect(c.streamClosed(answered, 0)).toBe('ok');
      expect(c.streamClosed(slow, 0)).toBe('ok');
      expect(c.streamClosed({ ...quick, byProxy: true }, 0)).toBe('ok');
    }
    expect(c.premature).toBe(0);
    expect(c.suspect).toBe(false);
  });

  it('past the limit, closes once half of all streams were premature', () => {
    const c = connection();
    for (let i = 0; i < 400; i++) c.streamClosed(answered, 0);
    for (let i = 0; i < 200; i++) expect(c.streamClosed(quick, 0)).toBe('ok'); // 200 of 600: a third
    expect(c.suspect).toBe(true);
    let verdict = 'ok';
    let more = 0;
    while (verdict === 'ok' && more < 1000) {
      verdict = c.streamClosed(quick, 0);
      more++;
    }
    // 400 premature of 800 streams: half.
    expect(more).toBe(200);
  });
});

describe('ProcessResets (across connections)', () => {
  const limits: ResetLimits = { ...DefaultResetLimits, processLimit: 10, windowMs: 1000 };

  it('is overloaded while the window holds the limit, and recovers as the window moves on', () => {
    const p = new ProcessResets(limits);
    for (let i = 0; i < 9; i++) p.record(1000 + i);
    expect(p.overloaded(1010)).toBe(false);
    p.record(1050);
    expect(p.overloaded(1050)).toBe(true);
    expect(p.overloaded(1950)).toBe(true);
    expect(p.overloaded(2001)).toBe(false); // every bucket of the 1000..1099 tenth has left the window
  });

  it('a reconnecting attacker: fresh connections are closed at their first premature reset once the process is overloaded', () => {
    const process = new ProcessResets(limits);
    const verdicts: string[] = [];
    for (let conn = 0; conn < 4; conn++) {
      const c = new ConnectionResets({ ...limits, totalStreams: 500 }, process);
      let v = 'ok';
      let n = 0;
      while (v === 'ok') {
        v = c.streamClosed(quick, 100 + conn);
        n++;
      }
      verdicts.push(`${n}`);
    }
    // The first connection reaches the process limit (10) and is closed there; the next ones at once.
    expect(verdicts).toEqual(['10', '1', '1', '1']);
  });

  it('copes with a clock that jumps far ahead', () => {
    const p = new ProcessResets(limits);
    for (let i = 0; i < 10; i++) p.record(0);
    expect(p.overloaded(0)).toBe(true);
    expect(p.overloaded(1e9)).toBe(false);
  });
});
