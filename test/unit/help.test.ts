import { describe, expect, it } from 'vitest';
import { distance, expandShortValues, mayHaveGluedShort, nearest, withValueNames } from '../../src/help.js';

describe('help and mistakes', () => {
  it('-p8080:80 is -p 8080:80 for short options that take a value; flags and words after -- are left alone', () => {
    const shorts = new Set(['-p', '-o', '-d']);
    expect(expandShortValues(['sandbox', 'add', 'web', '-p8080:80', '-q', '-dmacvlan', '-o=a=b'], shorts)).toEqual(['sandbox', 'add', 'web', '-p', '8080:80', '-q', '-d', 'macvlan', '-o', 'a=b']);
    expect(expandShortValues(['sandbox', 'exec', 'web', '--', 'nc', '-p8080'], shorts)).toEqual(['sandbox', 'exec', 'web', '--', 'nc', '-p8080']);
    expect(expandShortValues(['-x123'], shorts)).toEqual(['-x123']);
    expect(mayHaveGluedShort(['net', 'ls', '-q'])).toBe(false);
    expect(mayHaveGluedShort(['--', '-p80'])).toBe(false);
    expect(mayHaveGluedShort(['-p80'])).toBe(true);
  });

  it('suggests the nearest spelling within a few edits, a swap of neighbours being one', () => {
    expect(distance('nte', 'net')).toBe(1);
    expect(distance('creat', 'create')).toBe(1);
    expect(nearest('creat', ['create', 'rm', 'ls'])).toBe('create');
    expect(nearest('--subnt', ['--subnet', '--gateway'])).toBe('--subnet');
    expect(nearest('sand', ['net', 'sandbox'])).toBe('sandbox');
    expect(nearest('zzzz', ['net', 'sandbox'])).toBeUndefined();
  });

  it('help shows value names instead of #0, and keeps the option column aligned', () => {
    const text = ['Options', '', '  --subnet #0       Subnet in CIDR form', '  --driver,-d #0    Driver', '  --ipv6            IPv6', ''].join('\n');
    expect(withValueNames(text)).toBe(['Options', '', '  --subnet CIDR         Subnet in CIDR form', '  --driver,-d DRIVER    Driver', '  --ipv6                IPv6', ''].join('\n'));
    expect(withValueNames('$ cnm x [--state-dir #0] [--network,--net #0]')).toBe('$ cnm x [--state-dir DIR] [--network,--net NET]');
  });
});
