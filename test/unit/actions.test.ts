/**
 * The hot commands' bodies (src/commands/actions.ts): `sandbox add --label`
 * read as Object.fromEntries read it, without that builtin.
 */
import { describe, expect, it } from 'vitest';
import { labelsOf } from '../../src/commands/actions.js';

const viaFromEntries = (labels: string[]) => Object.fromEntries(labels.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));

describe('sandbox add --label', () => {
  it('is a record as Object.fromEntries makes it', () => {
    const cases = [[], ['a=1'], ['a'], ['a=1', 'a=2'], ['a=b=c', '=x', 'k='], ['__proto__=x', 'constructor=y'], ['z=1', 'a=2', 'm']];
    for (const labels of cases) {
      const got = labelsOf(labels);
      expect(got, JSON.stringify(labels)).toEqual(viaFromEntries(labels));
      expect(JSON.stringify(got)).toBe(JSON.stringify(viaFromEntries(labels))); // same keys, same order
      expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    }
    expect(Object.keys(labelsOf(['__proto__=x']))).toEqual(['__proto__']);
  });
});
