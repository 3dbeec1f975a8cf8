import { EventEmitter } from 'node:events';
import { exitQuietlyOnClosedPipe } from './pipe';

describe('exitQuietlyOnClosedPipe', () => {
  function fakeProcess() {
    const exits: number[] = [];
    const proc = { stdout: new EventEmitter(), stderr: new EventEmitter(), exit: ((code?: number) => void exits.push(code ?? 0)) as (code?: number) => never };
    exitQuietlyOnClosedPipe(proc);
    return { proc, exits };
  }

  it.each(['stdout', 'stderr'] as const)('EPIPE on %s: exit 0, nothing printed', (stream) => {
    const { proc, exits } = fakeProcess();
    proc[stream].emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([0]);
  });

  it('any other stream error is still an error', () => {
    const { proc, exits } = fakeProcess();
    expect(() => proc.stdout.emit('error', Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toThrow('disk full');
    expect(exits).toEqual([]);
  });
});
