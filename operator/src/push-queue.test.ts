import { PushQueue } from './push-queue';

/** A queue whose turns of the event loop are run by hand, with pushes that finish when told. */
function harness(maxInFlight: number) {
  const turns: (() => void)[] = [];
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const queue = new PushQueue((key) => {
    started.push(key);
    return new Promise<void>((resolve) => finish.set(key, resolve));
  }, { maxInFlight, schedule: (fn) => turns.push(fn) });
  const turn = () => turns.shift()?.();
  const settle = () => new Promise((r) => setImmediate(r));
  return { queue, started, finish, turn, turns, settle };
}

describe('PushQueue', () => {
  it('starts one push per turn of the event loop and at most maxInFlight at once', async () => {
    const h = harness(2);
    for (const k of ['a', 'b', 'c', 'd']) h.queue.enqueue(k);
    h.turn();
    expect(h.started).toEqual(['a']);
    h.turn();
    expect(h.started).toEqual(['a', 'b']);
    expect(h.turns).toHaveLength(0); // full: nothing scheduled until a slot frees
    expect(h.queue.waiting).toBe(2);
    h.finish.get('a')!();
    await h.settle();
    h.turn();
    expect(h.started).toEqual(['a', 'b', 'c']);
    expect(h.queue.inFlight).toBe(2);
  });

  it('merges a stream queued twice; a stream changed while pushing is pushed once more after', async () => {
    const h = harness(10);
    h.queue.enqueue('a');
    h.queue.enqueue('a');
    h.turn();
    h.turn();
    expect(h.started).toEqual(['a']);
    h.queue.enqueue('a');
    h.queue.enqueue('a');
    h.finish.get('a')!();
    await h.settle();
    h.turn();
    expect(h.started).toEqual(['a', 'a']);
  });

  it('drops a forgotten stream and reports idle when done; a failing push frees its slot', async () => {
    const errors: string[] = [];
    const turns: (() => void)[] = [];
    const queue = new PushQueue((key) => (key === 'bad' ? Promise.reject(new Error('boom')) : Promise.resolve()), {
      maxInFlight: 1, schedule: (fn) => turns.push(fn), onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    });
    queue.enqueue('bad');
    queue.enqueue('gone');
    queue.enqueue('ok');
    queue.forget('gone');
    const idle = queue.idle();
    for (let i = 0; i < 10; i++) {
      turns.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await idle;
    expect(errors).toEqual(['bad: boom']);
    expect(queue.waiting + queue.inFlight).toBe(0);
  });

  it.each([0, -1, 1.5])('refuses maxInFlight %p', (n) => {
    expect(() => new PushQueue(() => Promise.resolve(), { maxInFlight: n })).toThrow(/maxInFlight must be a whole number >= 1/);
  });
});
