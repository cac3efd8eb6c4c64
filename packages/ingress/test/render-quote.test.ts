// quote.ts is the wall between cluster data and nginx.conf: these tests pin what each function
// writes and what it refuses. The round trip through a real nginx is in render-nginx-conf.test.ts
// and nginx-routing.test.ts.

import { describe, expect, it } from 'vitest';
import {
  fileComponent, nginxCidr, nginxInt, nginxListenAddress, nginxSize, NginxValueError,
  quoteLiteral, quotePath, quoteRewriteTarget, quoteScript,
} from '../src/render/quote.js';

describe('quoteLiteral (directives nginx does not expand)', () => {
  it('escapes backslash and double quote, keeps $ as a character', () => {
    expect(quoteLiteral('/a"b\\c$d', 'p')).toBe('"/a\\"b\\\\c$d"');
  });
  it('keeps braces, semicolons and # inside the one token', () => {
    expect(quoteLiteral('/x"; } location /pwn { return 200; #', 'p')).toBe('"/x\\"; } location /pwn { return 200; #"');
  });
  it.each([['newline', '/a\nb'], ['carriage return', '/a\rb'], ['NUL', '/a\u0000b'], ['tab', '/a\tb'], ['DEL', '/a\u007fb']])(
    'refuses a %s by throwing, naming the value',
    (_, value) => {
      expect(() => quoteLiteral(value, 'path of x')).toThrow(NginxValueError);
      expect(() => quoteLiteral(value, 'path of x')).toThrow(/path of x .*control character/);
    },
  );
  it('refuses what is not a string', () => {
    expect(() => quoteLiteral(42 as unknown as string, 'p')).toThrow(NginxValueError);
  });
});

describe('quoteScript (directives nginx expands: set, proxy_set_header …)', () => {
  it('writes every $ as ${literal_dollar}', () => {
    expect(quoteScript('a$b${c}', 'v')).toBe('"a${literal_dollar}b${literal_dollar}{c}"');
  });
  it('escapes quotes and backslashes before that', () => {
    expect(quoteScript('x"\\', 'v')).toBe('"x\\"\\\\"');
  });
  it('refuses control characters', () => {
    expect(() => quoteScript('a\nb', 'v')).toThrow(NginxValueError);
  });
});

describe('quoteRewriteTarget', () => {
  it('keeps $1…$9 as captures, other $ literal', () => {
    expect(quoteRewriteTarget('/$2/x$y', 't')).toBe('"/$2/x${literal_dollar}y"');
  });
});

describe('quotePath', () => {
  it('wants an absolute path without $', () => {
    expect(quotePath('/var/lib/x.pem', 'f')).toBe('"/var/lib/x.pem"');
    expect(() => quotePath('rel/x', 'f')).toThrow(/absolute/);
    expect(() => quotePath('/a$b', 'f')).toThrow(/variable/);
  });
});

describe('numbers are checked as numbers', () => {
  it('nginxInt takes integers in range only', () => {
    expect(nginxInt(60, 't', 1, 100)).toBe('60');
    expect(() => nginxInt(0, 't', 1, 100)).toThrow(/from 1 to 100/);
    expect(() => nginxInt(1.5, 't', 1, 100)).toThrow(NginxValueError);
    expect(() => nginxInt('60' as unknown as number, 't', 1, 100)).toThrow(NginxValueError);
    expect(() => nginxInt(Number.NaN, 't', 1, 100)).toThrow(NginxValueError);
  });
  it('nginxSize takes digits and one unit', () => {
    expect(nginxSize('8m', 's')).toBe('8m');
    expect(nginxSize('0', 's')).toBe('0');
    expect(() => nginxSize('1m; load_module x', 's')).toThrow(NginxValueError);
    expect(() => nginxSize('1 m', 's')).toThrow(NginxValueError);
  });
});

describe('addresses', () => {
  it('nginxCidr accepts IPs and CIDRs and nothing else', () => {
    expect(nginxCidr('10.0.0.0/8', 'c')).toBe('10.0.0.0/8');
    expect(nginxCidr('192.168.1.1', 'c')).toBe('192.168.1.1');
    expect(nginxCidr('fd00::/64', 'c')).toBe('fd00::/64');
    for (const bad of ['10.0.0.0/33', 'all', '10.0.0.0/8; allow all', '1.2.3.4/8/9', '', '10.0.0.0/-1']) {
      expect(() => nginxCidr(bad, 'c'), bad).toThrow(NginxValueError);
    }
  });
  it('nginxListenAddress', () => {
    expect(nginxListenAddress('*', 'a')).toBe('*');
    expect(nginxListenAddress('127.0.0.2', 'a')).toBe('127.0.0.2');
    expect(nginxListenAddress('[::1]', 'a')).toBe('[::1]');
    expect(() => nginxListenAddress('::1', 'a')).toThrow(NginxValueError);
  });
  it('fileComponent: a certificate id cannot climb out of the certs dir', () => {
    expect(fileComponent('b1946ac92492d234', 'id')).toBe('b1946ac92492d234');
    for (const bad of ['../etc/passwd', 'a/b', '', '.hidden', 'a b']) expect(() => fileComponent(bad, 'id'), bad).toThrow(NginxValueError);
  });
});
