import { Registry as FullRegistry, collectDefaultMetrics } from 'prom-client';
import { Registry, collectProcessMetrics } from './prom';

const names = async (r: { getMetricsAsJSON(): Promise<{ name: string; type: unknown }[]> }): Promise<string[]> => (await r.getMetricsAsJSON()).map((m) => `${m.name} ${String(m.type)}`).sort();

describe('collectProcessMetrics', () => {
  it('exposes the same process and Node.js metrics as prom-client collectDefaultMetrics', async () => {
    const ours = new Registry();
    collectProcessMetrics(ours, 'skein_proxy_');
    const theirs = new FullRegistry();
    collectDefaultMetrics({ register: theirs, prefix: 'skein_proxy_' });
    expect(await names(ours)).toEqual(await names(theirs));
  });

  it('counts process CPU time (user + system = total)', async () => {
    const r = new Registry();
    collectProcessMetrics(r, 'p_');
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += i;
    expect(x).toBeGreaterThan(0);
    const text = await r.metrics();
    const value = (n: string): number => Number(new RegExp(`^p_process_cpu_${n}_seconds_total (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('user')).toBeGreaterThan(0);
    expect(value('user') + value('system')).toBeCloseTo(Number(/^p_process_cpu_seconds_total (\S+)$/m.exec(text)?.[1]), 6);
  });
});
