import { describe, expect, it } from 'vitest';
import en from './locales/en.json';
import ja from './locales/ja.json';
import zh from './locales/zh-TW.json';
import { hostListed, hostOf, length, parseAcct, toggleHost } from './util';

describe('locales', () => {
  it('have the same keys and placeholders in every language', () => {
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
    for (const other of [ja, zh] as Record<string, string>[]) {
      expect(Object.keys(other).sort()).toEqual(Object.keys(en).sort());
      for (const [k, v] of Object.entries(en as Record<string, string>)) {
        expect(placeholders(other[k]), k).toBe(placeholders(v));
        expect(other[k].trim(), k).not.toBe('');
      }
    }
  });
});

describe('text', () => {
  it('counts code points as the server does', () => {
    expect(length('a😀b')).toBe(3);
    expect(length('')).toBe(0);
  });
  it('reads local and remote accounts', () => {
    expect(parseAcct('@alice')).toEqual({ username: 'alice', host: null });
    expect(parseAcct('@bob@example.com')).toEqual({ username: 'bob', host: 'example.com' });
    expect(parseAcct('carol@127.0.0.1:3000')).toEqual({ username: 'carol', host: '127.0.0.1:3000' });
  });
});

import { decodeBlurhash } from './blurhash';
describe('blurhash', () => {
  it('decodes a valid hash and refuses a broken one', () => {
    const px = decodeBlurhash('LEHV6nWB2yk8pyo0adR*.7kCMdnj', 8, 6);
    expect(px).not.toBeNull();
    expect(px!.length).toBe(8 * 6 * 4);
    expect(px![3]).toBe(255);
    expect(decodeBlurhash('LEHV6nWB2yk8', 8, 6)).toBeNull();
    expect(decodeBlurhash('!!!!!!', 8, 6)).toBeNull();
  });
});

describe('host lists', () => {
  it('match a server by its host and the domains above it, and toggle it', () => {
    expect(hostOf('Mastodon.Example:8443')).toBe('mastodon.example');
    expect(hostOf('[::1]:3000')).toBe('[::1]');
    expect(hostOf('bad.example.:443')).toBe('bad.example');
    expect(hostListed(['example.com'], 'm.example.com:443')).toBe(true);
    expect(hostListed(['example.com'], 'notexample.com')).toBe(false);
    expect(toggleHost(['a.example'], 'b.example:3000')).toEqual(['a.example', 'b.example']);
    expect(toggleHost(['a.example', 'example.org'], 'x.example.org')).toEqual(['a.example']);
  });
});
