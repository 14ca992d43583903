/**
 * The file calls of src/core/files.ts, each with what it returned or threw,
 * in a temp dir: test/unit/files.test.ts runs it under Node (node:fs behind
 * them) and under Bun (syscalls through libc), and the two must agree.
 * Run directly: `bun test/helpers/files-exercise.ts` prints the record as JSON.
 */
import { mkdtempSync, rmSync, statSync as nodeStat, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  Reservation, chmodSync, mapRegularBytes, closeSync, constants, existsSync, fsyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readRegular,
  readdirSync, readlinkSync, renameSync, replaceFile, rmFileSync, rmdirSync, statSync, sweepTemps, unlinkSync, writeFileSync, writeSync,
} from '../../src/core/files.js';

export function exercise(): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'cnm-files-'));
  const out: Record<string, unknown> = {};
  const at = (p: string) => join(dir, p);
  const step = (name: string, fn: () => unknown) => {
    try {
      out[name] = fn() ?? null;
    } catch (e) {
      const x = e as NodeJS.ErrnoException & { dest?: string };
      out[name] = { error: x.message.replaceAll(dir, 'DIR'), code: x.code, errno: x.errno, syscall: x.syscall, path: x.path?.replace(dir, 'DIR'), dest: x.dest?.replace(dir, 'DIR') };
    }
  };
  try {
    step('mkdir -p', () => mkdirSync(at('a/b/c'), { recursive: true, mode: 0o700 })?.replace(dir, 'DIR'));
    step('mkdir -p again', () => mkdirSync(at('a/b/c'), { recursive: true }));
    step('its mode', () => (nodeStat(at('a/b')).mode & 0o777).toString(8));
    step('write', () => writeFileSync(at('a/f'), 'héllo wörld\n', { mode: 0o600 }));
    step('read', () => readFileSync(at('a/f'), 'utf8'));
    step('stat', () => {
      const s = statSync(at('a/f'));
      const n = nodeStat(at('a/f'));
      return [s.isFile(), s.isDirectory(), s.size, s.ino === n.ino, s.dev === n.dev, (n.mode & 0o777).toString(8)];
    });
    step('stat dir', () => [statSync(at('a')).isDirectory(), statSync(at('a')).isFile()]);
    step('mkdir over a file', () => mkdirSync(at('a/f'), { recursive: true }));
    step('mkdir under a file', () => mkdirSync(at('a/f/x/y'), { recursive: true }));
    step('read missing', () => readFileSync(at('none'), 'utf8'));
    step('read a directory', () => readFileSync(at('a'), 'utf8'));
    const big = 'x'.repeat(70_000) + 'é'.repeat(70_000);
    step('big round trip', () => {
      writeFileSync(at('big'), big);
      return readFileSync(at('big'), 'utf8') === big;
    });
    step('read /proc', () => readFileSync('/proc/self/status', 'utf8').startsWith('Name:'));
    step('open excl', () => openSync(at('a/f'), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL));
    step('fd calls', () => {
      const fd = openSync(at('g'), constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o640);
      const n1 = writeSync(fd, Buffer.from('0123456789'), 0, 10, 0);
      const n2 = writeSync(fd, Buffer.from('xxab'), 2, 2, 4);
      ftruncateSync(fd, 8);
      fsyncSync(fd);
      const same = fstatSync(fd).ino === statSync(at('g')).ino;
      const text = readFileSync(fd, 'utf8');
      closeSync(fd);
      return [n1, n2, same, text, fstatSync(openSync(at('g'), 'r')).size, (nodeStat(at('g')).mode & 0o777).toString(8)];
    });
    step('close twice', () => {
      const fd = openSync(at('g'), 'r');
      closeSync(fd);
      closeSync(fd);
    });
    step('open w truncates', () => {
      const fd = openSync(at('g'), 'w', 0o644);
      writeSync(fd, 'new');
      closeSync(fd);
      return readFileSync(at('g'), 'utf8');
    });
    step('chmod', () => {
      chmodSync(at('g'), 0o600);
      return (nodeStat(at('g')).mode & 0o777).toString(8);
    });
    step('chmod missing', () => chmodSync(at('none'), 0o600));
    step('rename missing', () => renameSync(at('none'), at('none2')));
    step('rename', () => {
      renameSync(at('g'), at('h'));
      return [existsSync(at('g')), existsSync(at('h'))];
    });
    step('readdir', () => readdirSync(dir).sort());
    step('readdir missing', () => readdirSync(at('none')));
    step('readdir a file', () => readdirSync(at('a/f')));
    step('readlink', () => {
      symlinkSync('a/f', at('l'));
      return [readlinkSync(at('l')), readFileSync(at('l'), 'utf8'), existsSync(at('l'))];
    });
    step('readlink a file', () => readlinkSync(at('a/f')));
    step('unlink missing', () => unlinkSync(at('none')));
    step('rmdir not empty', () => rmdirSync(at('a')));
    step('rmdir', () => {
      rmdirSync(at('a/b/c'));
      return existsSync(at('a/b/c'));
    });
    step('rm -f missing', () => rmFileSync(at('none')));
    step('rm -f', () => {
      rmFileSync(at('h'));
      return existsSync(at('h'));
    });
    step('write to a full disk', () => {
      const fd = openSync('/dev/full', 'w');
      try {
        return writeSync(fd, 'x');
      } finally {
        closeSync(fd);
      }
    });
    step('namespace file', () => {
      const s = statSync('/proc/self/ns/net');
      const n = nodeStat('/proc/self/ns/net');
      return [s.dev === n.dev, s.ino === n.ino];
    });
    step('reserved write', () => {
      const r = new Reservation(at('state.json'), 4096);
      const tmp = readdirSync(dir).filter((f) => f.startsWith('state.json.tmp-')).length;
      r.write('{"x":1}\n');
      return [tmp, readRegular(at('state.json')), readdirSync(dir).filter((f) => f.startsWith('state.json.tmp-')).length, (nodeStat(at('state.json')).mode & 0o777).toString(8)];
    });
    step('a reservation takes its disk before the write', () => {
      const r = new Reservation(at('big.json'), 600_000);
      const tmp = readdirSync(dir).find((f) => f.startsWith('big.json.tmp-'))!;
      const st = nodeStat(at(tmp));
      r.release();
      return [st.size, st.blocks * 512 >= 600_000, existsSync(at(tmp))];
    });
    step('a reserved write of parts, shown whole before it replaces the file', () => {
      writeFileSync(at('parts.json'), 'old\n');
      const r = new Reservation(at('parts.json'), 4096);
      let seen: unknown[] = [];
      const enc = new TextEncoder();
      r.write([enc.encode('{"a":'), enc.encode('[1,2]'), enc.encode('}\n')], (bytes) => {
        seen = [new TextDecoder().decode(bytes), readRegular(at('parts.json'))];
      });
      return [...seen, readRegular(at('parts.json')), readdirSync(dir).filter((f) => f.startsWith('parts.json.tmp-')).length];
    });
    step('map a file', () => new TextDecoder().decode(mapRegularBytes(at('parts.json'))));
    step('map an empty file', () => {
      writeFileSync(at('zero'), '');
      return mapRegularBytes(at('zero')).length;
    });
    step('map a directory', () => mapRegularBytes(at('a')));
    step('map a missing file', () => mapRegularBytes(at('nope.json')));
    step('an empty reservation', () => {
      const r = new Reservation(at('empty.json'), 0);
      r.write('{}\n');
      return readRegular(at('empty.json'));
    });
    step('replace', () => {
      replaceFile(at('intent.json'), '{}');
      writeFileSync(at('intent.json.tmp-1'), 'left by a killed run');
      sweepTemps(dir, [at('intent.json')]);
      return [readRegular(at('intent.json')), existsSync(at('intent.json.tmp-1'))];
    });
    step('read a directory as the state', () => readRegular(at('a')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const bun = (globalThis as { Bun?: { FFI?: object } }).Bun;
if (bun?.FFI !== undefined && process.argv[1]?.endsWith('files-exercise.ts')) {
  const native = bun.FFI;
  // `--bun-ffi`: as on a Bun without the native FFI object (Bun.FFI), where src/core/libc.ts takes bun:ffi
  // (loaded first here: bun:ffi is built on that object).
  if (process.argv.includes('--bun-ffi')) {
    process.getBuiltinModule('bun:ffi');
    bun.FFI = {};
  }
  const out = exercise();
  // bun:ffi takes `callback` off the native object when it loads: the binary's file calls should not need it.
  out['bun:ffi loaded'] = !('callback' in native);
  // A mapping, not a read (Node's copy is the fallback the steps above compare it with): the file is in the process's maps.
  const probe = join(mkdtempSync(join(tmpdir(), 'cnm-map-')), 'state.json');
  writeFileSync(probe, '{}\n');
  const mapped = mapRegularBytes(probe);
  out['mapped'] = [mapped.length, readFileSync('/proc/self/maps', 'utf8').includes(probe)];
  rmSync(dirname(probe), { recursive: true });
  process.stdout.write(JSON.stringify(out));
}
