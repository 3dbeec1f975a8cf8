import { containsPlaintext, containsTlsRecords, tcpSegments, tcpStreams, tlsRecordTypes, tlsSummary } from './pcap';

interface Seg { src?: string; dst?: string; sport?: number; dport?: number; seq: number; payload: Buffer | string }

function ipv4TcpPacket(s: Seg): Buffer {
  const payload = typeof s.payload === 'string' ? Buffer.from(s.payload) : s.payload;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  (s.src ?? '10.77.0.2').split('.').forEach((o, i) => (ip[12 + i] = Number(o)));
  (s.dst ?? '10.77.0.3').split('.').forEach((o, i) => (ip[16 + i] = Number(o)));
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(s.sport ?? 40000, 0);
  tcp.writeUInt16BE(s.dport ?? 8080, 2);
  tcp.writeUInt32BE(s.seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = 0x18;
  return Buffer.concat([ip, tcp, payload]);
}

const ethernet = (s: Seg) => Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x00]), ipv4TcpPacket(s)]);
const linuxSll = (s: Seg) => Buffer.concat([Buffer.alloc(14), Buffer.from([0x08, 0x00]), ipv4TcpPacket(s)]);

function pcap(frames: Buffer[], { linkType = 1, bigEndian = false } = {}): Buffer {
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (bigEndian) b.writeUInt32BE(v);
    else b.writeUInt32LE(v);
    return b;
  };
  const header = Buffer.concat([u32(0xa1b2c3d4), Buffer.from(bigEndian ? [0, 2, 0, 4] : [2, 0, 4, 0]), u32(0), u32(0), u32(262144), u32(linkType)]);
  return Buffer.concat([header, ...frames.flatMap((f) => [u32(0), u32(0), u32(f.length), u32(f.length), f])]);
}

function tlsRecord(type: number, length: number): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3, length >> 8, length & 0xff]), Buffer.alloc(length, 0xab)]);
}

describe('pcap reading', () => {
  it('finds a plaintext marker that straddles two segments', () => {
    const file = pcap([ethernet({ seq: 1000, payload: 'GET / HTTP/1.1\r\nx-marker: PLAIN' }), ethernet({ seq: 1031, payload: 'TEXT-42\r\n\r\n' })]);
    expect(containsPlaintext(file, 'PLAINTEXT-42')).toBe(true);
    expect(containsPlaintext(file, 'SOMETHING-ELSE')).toBe(false);
    expect(tlsSummary(file)).toEqual({ tlsStreams: 0, plaintextStreams: 1, handshake: false, applicationData: false });
  });

  it('reassembles out-of-order segments and drops retransmitted bytes', () => {
    const segs = tcpSegments(pcap([
      ethernet({ seq: 5, payload: 'abc' }),
      ethernet({ seq: 11, payload: 'ghi' }),
      ethernet({ seq: 8, payload: 'def' }),
      ethernet({ seq: 8, payload: 'def' }),
      ethernet({ seq: 5, payload: 'abcdef' }),
    ]));
    expect(tcpStreams(segs).map((s) => s.data.toString())).toEqual(['abcdefghi']);
  });

  it('keeps the two directions of a connection apart', () => {
    const file = pcap([
      ethernet({ seq: 1, payload: 'ping' }),
      ethernet({ src: '10.77.0.3', dst: '10.77.0.2', sport: 8080, dport: 40000, seq: 900, payload: 'pong' }),
    ]);
    expect(tcpStreams(tcpSegments(file)).map((s) => [s.key, s.data.toString()])).toEqual([
      ['10.77.0.2:40000>10.77.0.3:8080', 'ping'],
      ['10.77.0.3:8080>10.77.0.2:40000', 'pong'],
    ]);
  });

  it('handles sequence numbers that wrap around 2^32', () => {
    const file = pcap([ethernet({ seq: 2 ** 32 - 2, payload: 'ab' }), ethernet({ seq: 0, payload: 'cd' })]);
    expect(tcpStreams(tcpSegments(file))[0]!.data.toString()).toBe('abcd');
  });

  it('recognises TLS handshake and application data records, even split across segments', () => {
    const stream = Buffer.concat([tlsRecord(22, 300), tlsRecord(20, 1), tlsRecord(23, 100)]);
    const file = pcap([ethernet({ seq: 1, payload: stream.subarray(0, 200) }), ethernet({ seq: 201, payload: stream.subarray(200) })]);
    expect(tlsRecordTypes(stream)).toEqual([22, 20, 23]);
    expect(containsTlsRecords(file)).toBe(true);
    expect(tlsSummary(file)).toEqual({ tlsStreams: 1, plaintextStreams: 0, handshake: true, applicationData: true });
  });

  it('does not count a handshake alone as TLS traffic with data', () => {
    expect(containsTlsRecords(pcap([ethernet({ seq: 1, payload: tlsRecord(22, 50) })]))).toBe(false);
  });

  it.each([
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\n')],
    ['unknown TLS version', Buffer.from([22, 3, 9, 0, 1, 0])],
    ['oversized record', Buffer.from([23, 3, 3, 0xff, 0xff])],
    ['TLS header after plaintext', Buffer.concat([Buffer.from('x'), tlsRecord(22, 4)])],
    ['empty', Buffer.alloc(0)],
  ])('says %s is not TLS', (_name, data) => {
    expect(tlsRecordTypes(data)).toBeUndefined();
  });

  it('reads big-endian files and Linux cooked captures (tcpdump -i any)', () => {
    expect(containsPlaintext(pcap([ethernet({ seq: 1, payload: 'MARK' })], { bigEndian: true }), 'MARK')).toBe(true);
    expect(containsPlaintext(pcap([linuxSll({ seq: 1, payload: 'MARK' })], { linkType: 113 }), 'MARK')).toBe(true);
  });

  it('skips frames that are not IPv4 TCP and survives a file cut mid-record', () => {
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const good = pcap([arp, ethernet({ seq: 1, payload: 'MARK' })]);
    expect(tcpSegments(good)).toHaveLength(1);
    expect(() => tcpSegments(good.subarray(0, good.length - 3))).not.toThrow();
  });

  it.each([
    [Buffer.alloc(10), /shorter than the 24-byte header/],
    [Buffer.concat([Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]), Buffer.alloc(24)]), /pcapng is not supported/],
  ])('rejects a file that is not pcap', (file, message) => {
    expect(() => tcpSegments(file)).toThrow(message);
  });

  it('rejects an empty marker', () => {
    expect(() => containsPlaintext(pcap([]), '')).toThrow(/must not be empty/);
  });
});
