/**
 * Reading what tcpdump wrote: a pcap file → TCP segments → reassembled byte streams, and the two
 * questions system tests ask of them: "is this TLS?" and "does the plaintext marker appear?".
 * Pure: bytes in, facts out. IPv4 over Ethernet, Linux cooked (v1/v2) or raw IP.
 */

export interface TcpSegment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  payload: Buffer;
}

export interface TcpStream {
  /** `src:port>dst:port`, one direction of one connection. */
  key: string;
  /** Payload bytes in sequence order, each sequence number counted once (retransmits dropped). */
  data: Buffer;
}

const LinkType = { null: 0, ethernet: 1, raw: 101, linuxSll: 113, linuxSll2: 276 } as const;

function ipv4Offset(linkType: number, frame: Buffer): number | undefined {
  switch (linkType) {
    case LinkType.ethernet: {
      let off = 12;
      let type = frame.readUInt16BE(off);
      while (type === 0x8100 && frame.length >= off + 6) { // 802.1Q tags
        off += 4;
        type = frame.readUInt16BE(off);
      }
      return type === 0x0800 ? off + 2 : undefined;
    }
    case LinkType.linuxSll:
      return frame.length >= 16 && frame.readUInt16BE(14) === 0x0800 ? 16 : undefined;
    case LinkType.linuxSll2:
      return frame.length >= 20 && frame.readUInt16BE(0) === 0x0800 ? 20 : undefined;
    case LinkType.raw:
      return 0;
    case LinkType.null:
      return frame.length >= 4 && (frame.readUInt32LE(0) === 2 || frame.readUInt32BE(0) === 2) ? 4 : undefined;
    default:
      return undefined;
  }
}

function ip(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

function tcpSegment(frame: Buffer, off: number): TcpSegment | undefined {
  if (frame.length < off + 20 || frame[off]! >> 4 !== 4 || frame[off + 9] !== 6) return undefined;
  const ihl = (frame[off]! & 0x0f) * 4;
  const total = frame.readUInt16BE(off + 2);
  const tcp = off + ihl;
  if (frame.length < tcp + 20) return undefined;
  const dataOff = (frame[tcp + 12]! >> 4) * 4;
  const end = Math.min(frame.length, off + total);
  return {
    src: ip(frame, off + 12),
    dst: ip(frame, off + 16),
    srcPort: frame.readUInt16BE(tcp),
    dstPort: frame.readUInt16BE(tcp + 2),
    seq: frame.readUInt32BE(tcp + 4),
    payload: frame.subarray(Math.min(tcp + dataOff, end), end),
  };
}

/** Every IPv4 TCP segment of a pcap file, in capture order. Throws on a file that is not pcap. */
export function tcpSegments(pcap: Buffer): TcpSegment[] {
  if (pcap.length < 24) throw new Error(`not a pcap file: ${pcap.length} bytes is shorter than the 24-byte header`);
  const magic = pcap.readUInt32LE(0);
  let littleEndian: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) littleEndian = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) littleEndian = false;
  else throw new Error(`not a pcap file: magic 0x${magic.toString(16)} (pcapng is not supported; run tcpdump with -w)`);
  const u32 = (at: number) => (littleEndian ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const linkType = u32(20) & 0x0fffffff;
  const segments: TcpSegment[] = [];
  for (let at = 24; at + 16 <= pcap.length;) {
    const captured = u32(at + 8);
    const frame = pcap.subarray(at + 16, Math.min(pcap.length, at + 16 + captured));
    at += 16 + captured;
    const off = ipv4Offset(linkType, frame);
    const seg = off === undefined ? undefined : tcpSegment(frame, off);
    if (seg) segments.push(seg);
  }
  return segments;
}

/**
 * One stream per direction of each connection, payloads ordered by sequence number. On a bridge a
 * segment is seen once; when the same bytes are seen again (retransmit, or two capture points) the
 * copy is dropped.
 */
export function tcpStreams(segments: readonly TcpSegment[]): TcpStream[] {
  // Offsets are relative to the first data segment seen (sequence numbers wrap at 2^32).
  const byKey = new Map<string, { base: number; parts: Map<number, Buffer> }>();
  for (const s of segments) {
    if (s.payload.length === 0) continue;
    const key = `${s.src}:${s.srcPort}>${s.dst}:${s.dstPort}`;
    const stream = byKey.get(key) ?? { base: s.seq, parts: new Map<number, Buffer>() };
    byKey.set(key, stream);
    const offset = (s.seq - stream.base + 2 ** 32) % 2 ** 32;
    const seen = stream.parts.get(offset);
    if (!seen || seen.length < s.payload.length) stream.parts.set(offset, s.payload);
  }
  return [...byKey].map(([key, { parts }]) => {
    const out: Buffer[] = [];
    let next = 0;
    for (const [offset, payload] of [...parts].sort(([a], [b]) => a - b)) {
      if (offset + payload.length <= next) continue;
      out.push(payload.subarray(Math.max(0, next - offset)));
      next = offset + payload.length;
    }
    return { key, data: Buffer.concat(out) };
  });
}

export const TlsContentType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;

/**
 * The content types of the TLS records a stream consists of, or undefined when the stream is not
 * TLS from its first byte (a record header is type 20–23, version 0x03 0x01–0x04, length ≤ 2^14+2048).
 * A stream cut short mid-record still counts as TLS up to that point.
 */
export function tlsRecordTypes(data: Buffer): number[] | undefined {
  const types: number[] = [];
  for (let at = 0; at < data.length;) {
    if (at + 5 > data.length) break;
    const type = data[at]!;
    const length = data.readUInt16BE(at + 3);
    if (type < 20 || type > 23 || data[at + 1] !== 3 || data[at + 2]! > 4 || length > 16384 + 2048) return undefined;
    types.push(type);
    at += 5 + length;
  }
  return types.length > 0 ? types : undefined;
}

export interface TlsSummary {
  /** Streams (one direction of a connection) that carry TLS records from their first byte. */
  tlsStreams: number;
  /** Streams with payload that is not TLS. */
  plaintextStreams: number;
  handshake: boolean;
  applicationData: boolean;
}

export function tlsSummary(pcap: Buffer): TlsSummary {
  const summary: TlsSummary = { tlsStreams: 0, plaintextStreams: 0, handshake: false, applicationData: false };
  for (const stream of tcpStreams(tcpSegments(pcap))) {
    const types = tlsRecordTypes(stream.data);
    if (!types) {
      summary.plaintextStreams++;
      continue;
    }
    summary.tlsStreams++;
    summary.handshake ||= types.includes(TlsContentType.handshake);
    summary.applicationData ||= types.includes(TlsContentType.applicationData);
  }
  return summary;
}

/** True when the capture holds TLS handshake records (0x16 0x03) and application data (0x17 0x03). */
export function containsTlsRecords(pcap: Buffer): boolean {
  const s = tlsSummary(pcap);
  return s.handshake && s.applicationData;
}

/** True when `marker` appears in any TCP payload, also when it straddles two segments. */
export function containsPlaintext(pcap: Buffer, marker: string | Buffer): boolean {
  const needle = typeof marker === 'string' ? Buffer.from(marker) : marker;
  if (needle.length === 0) throw new Error('plaintext marker must not be empty');
  return tcpStreams(tcpSegments(pcap)).some((s) => s.data.includes(needle));
}
