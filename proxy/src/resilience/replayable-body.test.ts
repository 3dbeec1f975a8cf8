import { PassThrough, Writable } from 'node:stream';
import { ReplayableBody } from './replayable-body';

function collector(): { sink: Writable; text: () => string; ended: () => boolean } {
  const parts: Buffer[] = [];
  let ended = false;
  const sink = new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); }, final(cb) { ended = true; cb(); } });
  return { sink, text: () => Buffer.concat(parts).toString(), ended: () => ended };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('ReplayableBody', () => {
  it('streams to the first attempt and replays the whole body to the next', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, 1024);
    const first = collector();
    body.attach(first.sink);
    src.write('hello ');
    src.end('world');
    await tick();
    expect(first.text()).toBe('hello world');
    body.detach();
    const second = collector();
    body.attach(second.sink);
    await tick();
    expect(second.text()).toBe('hello world');
    expect(second.ended()).toBe(true);
    expect(body.replayable).toBe(true);
  });

  it('a retry that starts mid-body gets what came before and what comes after', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, 1024);
    const first = collector();
    body.attach(first.sink);
    src.write('a');
    await tick();
    body.detach();
    src.write('b');
    await tick();
    const second = collector();
    body.attach(second.sink);
    src.end('c');
    await tick();
    expect(second.text()).toBe('abc');
    expect(second.ended()).toBe(true);
  });

  it('over the limit the body is no longer replayable (never resent truncated)', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, 4);
    const first = collector();
    body.attach(first.sink);
    src.end('more than four bytes');
    await tick();
    expect(first.text()).toBe('more than four bytes');
    expect(body.replayable).toBe(false);
  });
});
