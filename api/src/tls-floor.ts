/**
 * The TLS floor of Skein's servers: TLS 1.2 or newer and, for TLS 1.2, only forward-secret AEAD
 * suites (ECDHE with AES-GCM or ChaCha20-Poly1305; no CBC, CCM8, ARIA). TLS 1.3 suites are all
 * AEAD and stay Node's defaults (setting TLS 1.2 names does not remove them).
 */
export const Tls12AeadCiphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TlsFloor = { minVersion: 'TLSv1.2', ciphers: Tls12AeadCiphers } as const;
