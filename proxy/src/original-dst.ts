/**
 * The destination a captured connection was going to before iptables redirected it to the proxy
 * (SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST), read through the native addon in proxy/native.
 * The addon is built by `node scripts/build-addon.js` (part of `npm run build`).
 */
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';

export interface OriginalDestination {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

interface OriginalDstAddon {
  getOriginalDst(fd: number): OriginalDestination;
}

/** Where scripts/build-addon.js puts the addon, relative to the repository (or image) root. */
export const addonRelativePath = path.join('proxy', 'native', 'build', 'Release', 'skein_orig_dst.node');

export class OriginalDstUnavailableError extends Error {
  override name = 'OriginalDstUnavailableError';
}

/**
 * Finds the addon by walking up from `start`: from the sources (proxy/src) and from the build
 * (dist/proxy/src) alike, the first ancestor holding proxy/native/build/… wins.
 */
export function findAddon(start: string = __dirname): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, addonRelativePath);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

let addon: OriginalDstAddon | undefined;

function loadAddon(): OriginalDstAddon {
  if (addon) return addon;
  if (process.platform !== 'linux') throw new OriginalDstUnavailableError('original destinations (SO_ORIGINAL_DST) exist only on Linux');
  const file = findAddon();
  if (!file) {
    throw new OriginalDstUnavailableError(`the SO_ORIGINAL_DST addon (${addonRelativePath}) was not found above ${__dirname}: run npm run build`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon is loaded with require
  addon = require(file) as OriginalDstAddon;
  return addon;
}

const unmapped = (address: string): string => (address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);

/** The file descriptor behind a connected net.Socket (`_handle.fd`, set by libuv on Unix). */
function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('originalDestination: the socket has no file descriptor (closed, or not a TCP socket)');
  return fd;
}

/**
 * The pre-redirect destination of an accepted connection, or undefined when the connection was
 * not redirected (no NAT entry in conntrack, or the original destination is this very socket).
 * Throws OriginalDstUnavailableError when the addon is missing, and errors with an errno `code`
 * for anything else.
 */
export function originalDestination(socket: net.Socket): OriginalDestination | undefined {
  const fd = socketFd(socket);
  let dst: OriginalDestination;
  try {
    dst = loadAddon().getOriginalDst(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const local = socket.localAddress === undefined ? undefined : unmapped(socket.localAddress);
  if (dst.address === local && dst.port === socket.localPort) return undefined;
  return dst;
}
