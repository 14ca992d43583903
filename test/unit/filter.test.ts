import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { matches, parseFilters } from '../../src/core/filter.js';
import { stableId } from '../../src/core/names.js';

const web = { name: 'web-front', id: 'ab12cd', labels: { tier: 'web', ci: '' }, driver: 'bridge' };

describe('--filter as Docker reads it', () => {
  const keys = ['driver', 'id', 'label', 'label!', 'name'];
  const m = (...f: string[]) => matches(web, parseFilters(f, keys));
  it('label=K asks for the label, label=K=V for its value, label!= for its absence', () => {
    expect(m('label=tier')).toBe(true);
    expect(m('label=tier=web')).toBe(true);
    expect(m('label=tier=db')).toBe(false);
    expect(m('label=ci=')).toBe(true);
    expect(m('label!=tier=db')).toBe(true);
    expect(m('label!=tier')).toBe(false);
  });
  it('the same key twice is either; different keys are both; name matches anywhere, id by prefix', () => {
    expect(m('driver=macvlan', 'driver=bridge')).toBe(true);
    expect(m('driver=bridge', 'label=tier=db')).toBe(false);
    expect(m('name=front')).toBe(true);
    expect(m('id=ab1')).toBe(true);
    expect(m('id=b1')).toBe(false);
  });
  it('an unknown key or a malformed filter is bad usage naming the keys', () => {
    expect(() => parseFilters(['colour=red'], keys)).toThrow(UsageError);
    expect(() => parseFilters(['colour=red'], keys)).toThrow('keys: driver, id, label, label!, name');
    expect(() => parseFilters(['nolabel'], keys)).toThrow('expected KEY=VALUE');
  });
});

describe('stable IDs of the built-in networks', () => {
  it('are 64 hex, the same for the same words, different for another state dir or name', () => {
    const a = stableId('cnm built-in network', '/var/lib/cnm', 'bridge');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(stableId('cnm built-in network', '/var/lib/cnm', 'bridge')).toBe(a);
    expect(stableId('cnm built-in network', '/tmp/other', 'bridge')).not.toBe(a);
    expect(stableId('cnm built-in network', '/var/lib/cnm', 'host')).not.toBe(a);
  });
});
