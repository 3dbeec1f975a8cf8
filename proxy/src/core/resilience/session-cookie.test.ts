import { cookieValue, generateSessionCookie } from './session-cookie';

describe('generateSessionCookie', () => {
  it.each<[object, string | undefined]>([
    [{ name: 'user' }, undefined],
    [{ name: 'user', ttlMs: 0 }, 'user="8000800080008000"; HttpOnly'],
    [{ name: 'user', ttlMs: 3_600_000, path: '/' }, 'user="8000800080008000"; Max-Age=3600; Path=/; HttpOnly'],
  ])('%j → %s', (policy, want) => expect(generateSessionCookie(policy as never, () => 0.5)?.setCookie).toBe(want));
});

describe('cookieValue', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['a=1; user=abc', 'abc'],
    ['user="abc"', 'abc'],
    ['username=x', undefined],
  ])('%s → %s', (header, want) => expect(cookieValue(header, 'user')).toBe(want));
});
