import { describe, expect, it } from 'vitest';
import { LINK_PROBES, atLeast, linkResults, parseVersion } from '../../src/core/doctor.js';

describe('doctor parsing', () => {
  it('reads tool versions', () => {
    expect(parseVersion('ip', 'ip utility, iproute2-6.1.0, libbpf 1.1.0')).toBe('6.1.0');
    expect(parseVersion('ip', 'ip utility, iproute2-ss200127')).toBe('200127');
    expect(parseVersion('nft', 'nftables v1.0.6 (Lester Gooch #5)')).toBe('1.0.6');
    expect(parseVersion('nft', 'garbage')).toBeUndefined();
  });

  it('compares versions', () => {
    expect(atLeast('6.1.0', [5, 0])).toBe(true);
    expect(atLeast('0.9.2', [0, 9, 3])).toBe(false);
    expect(atLeast('0.9.3', [0, 9, 3])).toBe(true);
    expect(atLeast('1.0', [0, 9, 3])).toBe(true);
  });

  it('maps ip -batch failures to the probes that failed, with a fix', () => {
    const ipvlan = LINK_PROBES.findIndex((p) => p.feature === 'ipvlan') + 1;
    const checks = linkResults(1, `Error: Unknown device type.\nCommand failed -:${ipvlan}\n`);
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['kernel: ipvlan']);
    expect(checks.find((c) => !c.ok)!.fix).toContain('modprobe ipvlan');
    expect(linkResults(0, '').every((c) => c.ok)).toBe(true);
  });

  it('fails every probe when the namespace could not be made', () => {
    const checks = linkResults(1, 'unshare: unshare failed: Operation not permitted\n');
    expect(checks.every((c) => !c.ok && c.detail.includes('Operation not permitted'))).toBe(true);
  });
});
