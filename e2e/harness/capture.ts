/**
 * Packet capture with tcpdump (`-U -w FILE`): start it inside a namespace, run traffic, stop it and
 * get the pcap bytes. Check them with pcap.ts (containsTlsRecords, containsPlaintext, tlsSummary).
 */
import { readFile } from 'node:fs/promises';
import { type ManagedProcess } from './process';
import { type Netns } from './netns';

export class Capture {
  private constructor(
    readonly file: string,
    private readonly tcpdump: ManagedProcess,
  ) {}

  static async start(netns: Netns, iface: string, filter: string, file: string): Promise<Capture> {
    if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(iface)) throw new Error(`invalid interface name "${iface}"`);
    // -Z root: tcpdump would otherwise drop to its own user and fail to write FILE in a root-owned dir.
    // --immediate-mode: without it packets wait in the kernel ring for up to 1 s and are lost when tcpdump stops sooner.
    const argv = ['tcpdump', '-i', iface, '-n', '-s', '0', '-U', '--immediate-mode', '-Z', 'root', '-w', file, ...(filter.trim() ? [filter] : [])];
    const tcpdump = netns.spawn(argv, { name: `tcpdump-${iface}` });
    try {
      await tcpdump.waitForLog(/listening on/, { timeoutMs: 10_000 });
    } catch (e) {
      await tcpdump.stop();
      throw e;
    }
    return new Capture(file, tcpdump);
  }

  /** Stops tcpdump (it flushes on SIGTERM) and returns the pcap file's bytes. */
  async stop(): Promise<Buffer> {
    await this.tcpdump.stop();
    return readFile(this.file);
  }
}
