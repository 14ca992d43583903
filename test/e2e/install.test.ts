/**
 * `make install` puts cnm where each tool looks for it, `make uninstall`
 * removes exactly that, and `make deb` makes a package that dpkg installs
 * and removes cleanly. Everything goes under temp dirs (DESTDIR, and a dpkg
 * root of its own): nothing is installed on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../..');
const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
};

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p.slice(dir.length));
    }
  };
  walk(dir);
  return out.sort();
}

const INSTALLED = [
  '/usr/local/bin/cnm',
  '/usr/local/lib/systemd/system/cnm-agent.service',
  '/usr/local/lib/systemd/system/cnm-dns.service',
  '/usr/local/share/bash-completion/completions/cnm',
  '/usr/local/share/fish/vendor_completions.d/cnm.fish',
  '/usr/local/share/man/man1/cnm.1',
  '/usr/local/share/zsh/site-functions/_cnm',
];

describe('make install DESTDIR=$tmp, then make uninstall', () => {
  let tmp: string;
  const share = () => join(tmp, 'usr/local/share');
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'cnm-install-'));
    const r = run('make', ['-C', REPO, '-s', 'install', `DESTDIR=${tmp}`]);
    expect(r.code, r.out).toBe(0);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('puts the binary, man page, completions and units under PREFIX=/usr/local, and nothing else', () => {
    expect(files(tmp)).toEqual(INSTALLED);
    expect(statSync(join(tmp, '/usr/local/bin/cnm')).mode & 0o777).toBe(0o755);
    expect(run(join(tmp, '/usr/local/bin/cnm'), ['--version']).out).toMatch(/\d+\.\d+\.\d+/);
  });

  it('man finds the page', () => {
    expect(run('man', ['-w', 'cnm'], { MANPATH: join(share(), 'man') }).out.trim()).toBe(join(share(), 'man/man1/cnm.1'));
  });

  it('bash-completion loads it on demand from XDG_DATA_DIRS', () => {
    const r = run('bash', ['-c', 'source /usr/share/bash-completion/bash_completion; __load_completion cnm; complete -p cnm'], { XDG_DATA_DIRS: share() });
    expect(r.out.trim()).toBe('complete -F _cnm cnm');
  });

  it('zsh finds _cnm on its fpath, which holds PREFIX/share/zsh/site-functions by default', () => {
    expect(run('zsh', ['-fc', 'print -l $fpath']).out.split('\n')).toContain('/usr/local/share/zsh/site-functions');
    const r = run('zsh', ['-fc', `fpath=(${join(share(), 'zsh/site-functions')} $fpath); autoload -Uz compinit; compinit -u -D; print -r -- $_comps[cnm]`]);
    expect(r.out.trim()).toBe('_cnm');
  });

  it('fish autoloads it from its vendor completions dir and completes cnm ne<TAB> to net', () => {
    const r = run('fish', ['-c', 'complete -C "cnm ne"'], { XDG_DATA_DIRS: share(), PATH: `${join(tmp, 'usr/local/bin')}:${process.env.PATH}` });
    expect(r.out).toMatch(/^net\tNetworks$/m);
  });

  it('systemd looks for units in PREFIX/lib/systemd/system, and the units name the installed binary', () => {
    expect(run('systemd-analyze', ['unit-paths']).out.split('\n')).toContain('/usr/local/lib/systemd/system');
    for (const u of ['cnm-dns.service', 'cnm-agent.service']) {
      expect(readFileSync(join(tmp, '/usr/local/lib/systemd/system', u), 'utf8')).toMatch(/^ExecStart=\/usr\/local\/bin\/cnm /m);
    }
  });

  it('make uninstall removes exactly those files, and leaves a file of someone else\'s alone', () => {
    mkdirSync(join(tmp, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(tmp, 'usr/local/bin/other-tool'), '');
    const r = run('make', ['-C', REPO, '-s', 'uninstall', `DESTDIR=${tmp}`]);
    expect(r.code, r.out).toBe(0);
    expect(files(tmp)).toEqual(['/usr/local/bin/other-tool']);
  });

  it('PREFIX=/usr puts the same layout under /usr', () => {
    const other = mkdtempSync(join(tmpdir(), 'cnm-install-usr-'));
    try {
      expect(run('make', ['-C', REPO, '-s', 'install', 'PREFIX=/usr', `DESTDIR=${other}`]).code).toBe(0);
      expect(files(other)).toEqual(INSTALLED.map((f) => f.replace('/usr/local/', '/usr/')));
      expect(readFileSync(join(other, 'usr/lib/systemd/system/cnm-dns.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/cnm dns serve$/m);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('make deb', () => {
  it('builds a package that dpkg installs and removes cleanly (in a dpkg root of its own)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cnm-deb-'));
    try {
      const r = run('make', ['-C', REPO, '-s', 'deb', `DEB_OUT=${tmp}`]);
      expect(r.code, r.out).toBe(0);
      const deb = readdirSync(tmp).find((f) => /^cnm_.*\.deb$/.test(f));
      expect(deb).toBeDefined();
      expect(readdirSync(tmp)).toEqual([deb]);
      const root = join(tmp, 'root');
      for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates']) mkdirSync(join(root, d), { recursive: true });
      for (const f of ['status', 'available']) writeFileSync(join(root, 'var/lib/dpkg', f), '');
      // The dependencies (iproute2, nftables) are the machine's, not this empty root's.
      const inst = run('dpkg', [`--root=${root}`, '--log=/dev/null', '--force-depends', '-i', join(tmp, deb!)]);
      expect(inst.code, inst.out).toBe(0);
      const mine = () => files(root).filter((f) => !f.startsWith('/var/lib/dpkg'));
      expect(mine()).toEqual(INSTALLED.map((f) => f.replace('/usr/local/', '/usr/')));
      expect(run('dpkg', [`--root=${root}`, '-s', 'cnm']).out).toContain('Status: install ok installed');
      const rm = run('dpkg', [`--root=${root}`, '--log=/dev/null', '-r', 'cnm']);
      expect(rm.code, rm.out).toBe(0);
      expect(mine()).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 600_000);
});
