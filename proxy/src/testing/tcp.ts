/** Sends a payload, half-closes, and resolves with everything received before the peer closed. */
import net from 'node:net';

export function tcpRoundTrip(port: number, payload: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let ended = false;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('tcp round trip timed out'));
    }, timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => (ended = true));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      const got = Buffer.concat(chunks).toString('latin1');
      if (got.length === 0 && payload.length > 0) reject(new Error(`connection closed without data (clean end: ${ended})`));
      else resolve(got);
    });
    s.end(payload);
  });
}
