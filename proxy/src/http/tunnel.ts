/**
 * A tunnel between a downstream and an upstream connection once the upstream switched protocols
 * (WebSocket after a 101, CONNECT after a 2xx): the bytes each side sent ahead are delivered
 * first, then both are piped. A FIN is passed on; when one side closes the other flushes and
 * closes; a reset, an error, or `idleTimeoutMs` without a byte either way (Envoy's
 * stream_idle_timeout applies to upgraded streams too) closes both at once.
 */
import type net from 'node:net';

export interface TunnelOptions {
  /** Bytes the client sent after its request, already read by the HTTP server. */
  toUpstream: Buffer;
  /** Bytes the upstream sent after its 101 head, already read by the HTTP client. */
  toDownstream: Buffer;
  /** 0: none. */
  idleTimeoutMs: number;
}

export interface TunnelEnd {
  /** Closed for inactivity. */
  idle: boolean;
  bytesToDownstream: number;
}

export function tunnel(down: net.Socket, up: net.Socket, o: TunnelOptions, onClose: (end: TunnelEnd) => void): void {
  let open = 2;
  let idle = false;
  const startWritten = down.bytesWritten;
  const kill = (): void => {
    down.destroy();
    up.destroy();
  };
  const timedOut = (): void => {
    idle = true;
    kill();
  };
  const sides: [net.Socket, net.Socket][] = [[down, up], [up, down]];
  for (const [s, other] of sides) {
    s.on('error', kill);
    s.setTimeout(o.idleTimeoutMs, timedOut);
    // One side gone: a reset resets the other; a clean close lets the other flush what it has, then close.
    s.once('close', (hadError: boolean) => {
      if (hadError) other.destroy();
      else other.destroySoon();
      if (--open === 0) onClose({ idle, bytesToDownstream: down.bytesWritten - startWritten });
    });
  }
  if (o.toUpstream.length > 0) up.write(o.toUpstream);
  if (o.toDownstream.length > 0) down.write(o.toDownstream);
  down.pipe(up);
  up.pipe(down);
  down.resume();
  up.resume();
}
