/**
 * After a crash (the test process killed mid-run), the harness sweeper finds everything a node
 * made — its namespace and bridge, every pod's namespace and processes, /etc/netns entries, its
 * files — by the run id in their names, and removes it. Here the crash is simulated by telling
 * the sweeper this process is dead.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAlive, run } from '../../harness/command';
import { EtcNetnsDir, listNetns, sweepLeftovers } from '../../harness/sweeper';
import { describeSystem } from '../../support/system';
import { BusyboxImage } from '../images';
import { createPod, isReady, useSimulatedNode, waitForPod } from './testing/fixture';

describeSystem('simulated node: clean-up after a crash', () => {
  const cluster = useSimulatedNode();

  it('the sweeper removes the node and its pods by their run id', async () => {
    const { client, node } = cluster();
    await createPod(client, { metadata: { name: 'left-behind' }, spec: { containers: [{ name: 'main', image: BusyboxImage, command: ['sleep', '1000'] }] } });
    await waitForPod(client, 'default', 'left-behind', 'is Ready', isReady);
    const ours = (name: string) => name.startsWith(`${node.run}-`);
    const netns = (await listNetns()).filter(ours);
    expect(netns).toEqual(expect.arrayContaining([node.netns, expect.stringMatching(/-default\.left-behind\./)]));
    const inPod = (await run(['ip', 'netns', 'pids', netns.find((n) => n !== node.netns)!])).stdout.split('\n').filter(Boolean).map(Number);
    expect(inPod.length).toBeGreaterThan(0);

    const swept = await sweepLeftovers((pid) => pid !== process.pid && isAlive(pid));

    expect(swept.netns).toEqual(expect.arrayContaining(netns));
    expect((await listNetns()).filter(ours)).toEqual([]);
    expect(readdirSync(EtcNetnsDir).filter(ours)).toEqual([]);
    expect(existsSync(node.dir)).toBe(false);
    expect(inPod.filter(isAlive)).toEqual([]);
  });
}, ['ip', 'iptables', 'iptables-restore', 'nsenter', 'unshare', 'setpriv', 'openssl']);
