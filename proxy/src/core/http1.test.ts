import { ChunkedDecoder, parseRequestHead, parseResponseHead, serializeFields, serializeRequestHead } from './http1';

const limits = { maxHeaderBytes: 1024 };
const req = (s: string) => parseRequestHead(Buffer.from(s, 'latin1'), 0, limits);
const res = (s: string, method = 'GET') => parseResponseHead(Buffer.from(s, 'latin1'), 0, limits, method);

describe('parseRequestHead', () => {
  it('parses a request head and says where it ends', () => {
    const text = 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Two: 1\r\nx-two: 2\r\nAccept:  */* \r\n\r\nNEXT';
    const r = req(text);
    expect(r).toMatchObject({ kind: 'head', end: text.length - 4 });
    if (r.kind !== 'head') throw new Error('no head');
    expect(r.head).toEqual({
      method: 'GET', target: '/a?b=1', versionMinor: 1, headers: { host: 'x', 'x-two': ['1', '2'], accept: '*/*' },
      framing: { kind: 'none' }, keepAlive: true, upgrade: false, expectContinue: false,
    });
  });

  it.each([
    ['CONTENT-TYPE', 'content-type'],
    ['X-B3-SpanId', 'x-b3-spanid'],
    ['x-b3-spanie', 'x-b3-spanie'], // same length as a known name, one letter off
    ['X-Custom_Name', 'x-custom_name'],
    ['te', 'te'],
  ])('lower-cases the header name %s to %s', (raw, name) => {
    const r = req(`GET / HTTP/1.1\r\nhost: x\r\n${raw}: v\r\n\r\n`);
    expect(r.kind === 'head' && r.head.headers[name]).toBe('v');
  });

  it('handles pipelined requests one after another', () => {
    const buf = Buffer.from('GET /1 HTTP/1.1\r\nhost: a\r\n\r\nGET /2 HTTP/1.1\r\nhost: a\r\n\r\n');
    const first = parseRequestHead(buf, 0, limits);
    if (first.kind !== 'head') throw new Error('no head');
    const second = parseRequestHead(buf, first.end, limits);
    expect(second).toMatchObject({ kind: 'head', head: { target: '/2' }, end: buf.length });
  });

  it.each([
    ['content-length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 12\r\n\r\n', { kind: 'length', length: 12 }],
    ['repeated identical content-length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ncontent-length: 5\r\n\r\n', { kind: 'length', length: 5 }],
    ['chunked', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: Chunked\r\n\r\n', { kind: 'chunked' }],
    ['no body', 'DELETE / HTTP/1.1\r\nhost: a\r\n\r\n', { kind: 'none' }],
  ])('framing: %s', (_name, text, framing) => {
    expect(req(text)).toMatchObject({ kind: 'head', head: { framing } });
  });

  it.each([
    ['HTTP/1.1 default', 'GET / HTTP/1.1\r\nhost: a\r\n\r\n', true],
    ['Connection: close', 'GET / HTTP/1.1\r\nhost: a\r\nconnection: Close\r\n\r\n', false],
    ['HTTP/1.0 default', 'GET / HTTP/1.0\r\n\r\n', false],
    ['HTTP/1.0 keep-alive', 'GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n', true],
  ])('keep-alive: %s', (_name, text, keepAlive) => {
    expect(req(text)).toMatchObject({ kind: 'head', head: { keepAlive } });
  });

  it('flags upgrades and 100-continue', () => {
    expect(req('GET /ws HTTP/1.1\r\nhost: a\r\nconnection: keep-alive, Upgrade\r\nupgrade: websocket\r\n\r\n')).toMatchObject({ head: { upgrade: true } });
    expect(req('GET /ws HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\n\r\n')).toMatchObject({ head: { upgrade: false } });
    expect(req('CONNECT a:443 HTTP/1.1\r\nhost: a:443\r\n\r\n')).toMatchObject({ head: { upgrade: true } });
    expect(req('PUT / HTTP/1.1\r\nhost: a\r\nexpect: 100-Continue\r\ncontent-length: 3\r\n\r\n')).toMatchObject({ head: { expectContinue: true } });
  });

  it('waits for more bytes until the head is complete', () => {
    expect(req('GET / HTTP/1.1\r\nhost: a\r\n')).toEqual({ kind: 'incomplete' });
    expect(req('')).toEqual({ kind: 'incomplete' });
  });

  it('skips empty lines before the request line', () => {
    expect(req('\r\n\r\nGET / HTTP/1.1\r\nhost: a\r\n\r\n')).toMatchObject({ kind: 'head', head: { target: '/' } });
  });

  it.each([
    ['CL + TE (smuggling)', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n', 400],
    ['conflicting content-lengths', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ncontent-length: 5\r\n\r\n', 400],
    ['content-length list that conflicts', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4, 5\r\n\r\n', 400],
    ['signed content-length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: +4\r\n\r\n', 400],
    ['hex content-length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0x10\r\n\r\n', 400],
    ['huge content-length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 99999999999999999999\r\n\r\n', 400],
    ['TE other than chunked', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n', 501],
    ['TE chunked twice', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n', 501],
    ['chunked in HTTP/1.0', 'POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n', 400],
    ['obs-fold', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\r\n  continued\r\n\r\n', 400],
    ['space before colon', 'GET / HTTP/1.1\r\nhost: a\r\ntransfer-encoding : chunked\r\n\r\n', 400],
    ['bare LF line end', 'GET / HTTP/1.1\r\nhost: a\nx-a: 1\r\n\r\n', 400],
    ['NUL in value', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\u00002\r\n\r\n', 400],
    ['bare CR in value', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\r2\r\n\r\n', 400],
    ['empty header name', 'GET / HTTP/1.1\r\nhost: a\r\n: x\r\n\r\n', 400],
    ['header without colon', 'GET / HTTP/1.1\r\nhost: a\r\nnocolon\r\n\r\n', 400],
    ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nx: y\r\n\r\n', 400],
    ['two Host headers', 'GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n', 400],
    ['unknown version', 'GET / HTTP/2.0\r\nhost: a\r\n\r\n', 400],
    ['lower-case version', 'GET / http/1.1\r\nhost: a\r\n\r\n', 400],
    ['two spaces in request line', 'GET  / HTTP/1.1\r\nhost: a\r\n\r\n', 400],
    ['method with invalid byte', 'G(T / HTTP/1.1\r\nhost: a\r\n\r\n', 400],
    ['target with DEL byte', 'GET /\u007f HTTP/1.1\r\nhost: a\r\n\r\n', 400],
    ['target with high byte', 'GET /\u00e9 HTTP/1.1\r\nhost: a\r\n\r\n', 400],
    ['binary garbage', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\r\n\r\n', 400],
  ])('rejects %s', (_name, text, status) => {
    expect(req(text)).toMatchObject({ kind: 'error', status });
  });

  it('rejects heads over the limit with 431, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nhost: a\r\nx-big: ${'a'.repeat(2000)}`;
    expect(req(big)).toMatchObject({ kind: 'error', status: 431 });
    expect(req(`${big}\r\n\r\n`)).toMatchObject({ kind: 'error', status: 431 });
  });
});

describe('parseResponseHead', () => {
  it.each([
    ['content-length', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n', 'GET', { kind: 'length', length: 3 }, true],
    ['chunked', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', 'GET', { kind: 'chunked' }, true],
    ['no framing: read until close', 'HTTP/1.1 200 OK\r\n\r\n', 'GET', { kind: 'until-close' }, false],
    ['HEAD has no body', 'HTTP/1.1 200 OK\r\ncontent-length: 30\r\n\r\n', 'HEAD', { kind: 'none' }, true],
    ['204 has no body', 'HTTP/1.1 204 No Content\r\n\r\n', 'GET', { kind: 'none' }, true],
    ['304 has no body', 'HTTP/1.1 304 Not Modified\r\n\r\n', 'GET', { kind: 'none' }, true],
    ['100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n', 'PUT', { kind: 'none' }, true],
    ['connection: close', 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n', 'GET', { kind: 'length', length: 0 }, false],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n', 'GET', { kind: 'length', length: 1 }, false],
    ['empty reason', 'HTTP/1.1 200\r\ncontent-length: 1\r\n\r\n', 'GET', { kind: 'length', length: 1 }, true],
  ])('%s', (_name, text, method, framing, keepAlive) => {
    expect(res(text, method)).toMatchObject({ kind: 'head', head: { framing, keepAlive } });
  });

  it('keeps repeated set-cookie headers apart', () => {
    expect(res('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\ncontent-length: 0\r\n\r\n')).toMatchObject({ head: { status: 200, reason: 'OK', headers: { 'set-cookie': ['a=1', 'b=2'] } } });
  });

  it.each([
    ['garbage status line', 'HTTP/1.1 OK\r\n\r\n'],
    ['status out of range', 'HTTP/1.1 099 Low\r\n\r\n'],
    ['CL + TE', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n'],
    ['invalid content-length', 'HTTP/1.1 200 OK\r\ncontent-length: abc\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nx: 1\r\n\tmore\r\n\r\n'],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
  ])('rejects %s with 502', (_name, text) => {
    expect(res(text)).toMatchObject({ kind: 'error', status: 502 });
  });

  it('rejects oversized response heads with 502', () => {
    expect(res(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(2000)}`)).toMatchObject({ kind: 'error', status: 502 });
  });
});

describe('ChunkedDecoder', () => {
  const decodeAll = (parts: string[]) => {
    const d = new ChunkedDecoder();
    const body: Buffer[] = [];
    let rest = '';
    let trailers;
    for (const p of parts) {
      const out = d.feed(Buffer.from(p, 'latin1'));
      if (out.error) return { error: out.error };
      body.push(...out.data);
      if (out.done) {
        rest += p.slice(out.consumed);
        trailers = out.trailers;
      }
    }
    return { body: Buffer.concat(body).toString('latin1'), done: d.done, rest, trailers };
  };

  it.each([
    ['one chunk', ['5\r\nhello\r\n0\r\n\r\n'], 'hello'],
    ['two chunks, hex size, extension', ['3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n'], 'abc0123456789'],
    ['split at every byte', [...'4\r\nwxyz\r\n0\r\n\r\n'], 'wxyz'],
    ['split inside the size line and the CRLF', ['1', '0\r\n0123456789abcdef\r', '\n0\r', '\n\r\n'], '0123456789abcdef'],
  ])('%s', (_name, parts, body) => {
    expect(decodeAll(parts)).toMatchObject({ body, done: true, rest: '' });
  });

  it('stops at the end of the message and leaves the next one', () => {
    expect(decodeAll(['2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1'])).toMatchObject({ body: 'hi', done: true, rest: 'GET / HTTP/1.1' });
  });

  it('returns trailers', () => {
    expect(decodeAll(['2\r\nhi\r\n0\r\ngrpc-status: 0\r\nx-t: a\r\n\r\n'])).toMatchObject({ body: 'hi', trailers: { 'grpc-status': '0', 'x-t': 'a' } });
  });

  it('is not done before the last chunk', () => {
    expect(decodeAll(['5\r\nhel'])).toMatchObject({ body: 'hel', done: false });
  });

  it.each([
    ['non-hex size', ['zz\r\n']],
    ['negative size', ['-1\r\n']],
    ['size too large', ['fffffffffffff\r\n']],
    ['missing CRLF after data', ['2\r\nhiX\r\n']],
    ['bare LF after size', ['2\nhi\r\n']],
    ['size line too long', [`1;${'x'.repeat(5000)}`]],
    ['invalid trailer', ['0\r\nbad trailer\r\n\r\n']],
    ['control byte in extension', ['1;a\u0000\r\nx\r\n0\r\n\r\n']],
  ])('rejects %s', (_name, parts) => {
    expect(decodeAll(parts).error).toEqual(expect.any(String));
  });

  it('rejects trailer sections over the limit', () => {
    const d = new ChunkedDecoder({ maxLineBytes: 100, maxTrailerBytes: 50 });
    expect(d.feed(Buffer.from(`0\r\n${'x-a: 1234567890\r\n'.repeat(5)}\r\n`)).error).toBe('trailers too large');
  });
});

describe('serializing', () => {
  it('writes a request head with host and framing', () => {
    expect(serializeRequestHead('POST', '/p', 'svc:80', { 'x-a': ['1', '2'], b: 'c', skip: undefined }, { kind: 'chunked' })).toBe('POST /p HTTP/1.1\r\nhost: svc:80\r\nx-a: 1\r\nx-a: 2\r\nb: c\r\ntransfer-encoding: chunked\r\n\r\n');
    expect(serializeRequestHead('PUT', '/', 'a', {}, { kind: 'length', length: 7 })).toBe('PUT / HTTP/1.1\r\nhost: a\r\ncontent-length: 7\r\n\r\n');
    expect(serializeRequestHead('POST', '/', 'a', {}, { kind: 'length', length: 0 })).toBe('POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n');
  });

  it('takes the framing, Host and the upgrade from its arguments only, never from the header map', () => {
    const forged = { host: 'evil', 'content-length': ['5', '5'], 'transfer-encoding': 'chunked', connection: 'content-length', upgrade: 'h2c', 'x-ok': '1' };
    expect(serializeRequestHead('POST', '/p', 'svc', forged, { kind: 'length', length: 5 })).toBe('POST /p HTTP/1.1\r\nhost: svc\r\nx-ok: 1\r\ncontent-length: 5\r\n\r\n');
    expect(serializeRequestHead('GET', '/ws', 'svc', forged, { kind: 'none' }, 'websocket')).toBe('GET /ws HTTP/1.1\r\nhost: svc\r\nx-ok: 1\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
  });

  it('keeps parsed bytes (latin1 text) as they are and sends other text as UTF-8', () => {
    // Heads are written with the latin1 encoding: one character per byte.
    expect(serializeFields({ 'x-parsed': 'caf\xe9', 'x-config': 'caf\u00e9 \u2603' })).toBe(`x-parsed: caf\xe9\r\nx-config: ${Buffer.from('caf\u00e9 \u2603', 'utf8').toString('latin1')}\r\n`);
    expect(serializeRequestHead('GET', '/\u2603', 'a', {}, { kind: 'none' })).toBe('GET /\xe2\x98\x83 HTTP/1.1\r\nhost: a\r\n\r\n');
  });

  it.each([
    ['CRLF in a value (response splitting)', { 'x-a': 'v\r\nset-cookie: evil' }],
    ['LF in an array value', { 'x-a': ['ok', 'v\nx'] }],
    ['invalid name', { 'x a': 'v' }],
  ])('refuses %s', (_name, headers) => {
    expect(() => serializeFields(headers)).toThrow(/invalid/);
  });
});

describe('an incomplete head that can never be a request', () => {
  it.each([
    ['a WebSocket frame', Buffer.from([0x81, 0x9a, 1, 2, 3, 4, 0x46])],
    ['a TLS record', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])],
    ['a space first', Buffer.from(' GET / HTTP/1.1\r\n')],
    ['a method too long', Buffer.from('A'.repeat(40))],
  ])('is refused before it is complete: %s', (_name, bytes) => {
    expect(parseRequestHead(bytes, 0, limits)).toEqual({ kind: 'error', status: 400, reason: 'invalid method' });
  });

  it.each(['G', 'GET', 'GET ', 'GET /partial', 'PROPFIND /x HTTP/1.1\r\nhost', '\r', '\r\nGE'])('waits for more of %j', (text) => {
    expect(parseRequestHead(Buffer.from(text), 0, limits)).toEqual({ kind: 'incomplete' });
  });
});
