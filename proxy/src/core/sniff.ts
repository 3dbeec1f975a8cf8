/**
 * Classifies the first bytes of a connection (pure): TLS ClientHello or not (Envoy tls_inspector),
 * and for plaintext, HTTP/1.x, the h2c preface, or opaque TCP (Envoy http_inspector).
 */

export type Sniffed = { transport: 'tls' } | { transport: 'plaintext'; protocol: 'http1' | 'h2c' | 'tcp' } | { needMore: true };

export const H2Preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'PURGE'];
const longestMethod = 10;

/** `final`: no more bytes will come (timeout or EOF): decide with what there is. */
export function sniff(bytes: Uint8Array, final: boolean): Sniffed {
  if (bytes.length === 0) return final ? { transport: 'plaintext', protocol: 'tcp' } : { needMore: true };
  // TLS record: handshake (22), version 3.x.
  if (bytes[0] === 0x16) {
    if (bytes.length < 3) return final ? { transport: 'plaintext', protocol: 'tcp' } : { needMore: true };
    if (bytes[1] === 0x03 && bytes[2]! <= 0x04) return { transport: 'tls' };
  }
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, H2Preface.length)).toString('latin1');
  if (H2Preface.startsWith(head)) return head.length === H2Preface.length || final ? (head.length === H2Preface.length ? { transport: 'plaintext', protocol: 'h2c' } : { transport: 'plaintext', protocol: 'tcp' }) : { needMore: true };
  const space = head.indexOf(' ');
  if (space > 0) return { transport: 'plaintext', protocol: methods.includes(head.slice(0, space)) ? 'http1' : 'tcp' };
  if (head.length <= longestMethod && methods.some((m) => m.startsWith(head)) && !final) return { needMore: true };
  return { transport: 'plaintext', protocol: 'tcp' };
}
