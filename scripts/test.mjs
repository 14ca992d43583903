#!/usr/bin/env node
// The whole test suite: vitest (unit + end-to-end in throwaway hosts), then a
// check that the machine's own network namespace is exactly as before, then
// a check that the checkout holds nothing new but build outputs, then
// the plain closing line "N passed, N failed". End-to-end tests need root and
// never skip silently: without root they fail.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });

function rootSnapshot() {
  const parts = [
    ['ip', ['-j', 'link', 'show']],
    ['ip', ['-j', 'addr', 'show']],
    ['ip', ['-j', 'route', 'show', 'table', 'all']],
    ['ip', ['-j', '-6', 'route', 'show', 'table', 'all']],
    ['ip', ['netns', 'list']],
    ['nft', ['list', 'ruleset']],
  ];
  return parts
    .map(([c, a]) => {
      const r = sh(c, a);
      // Interface statistics and address lifetimes move on their own; compare the shape only.
      const out = (r.stdout ?? '').replace(/"(valid_life_time|preferred_life_time|stats64?|expires|used)":[^,}\]]+/g, '"$1":0');
      return `## ${c} ${a.join(' ')} (exit ${r.status})\n${out}`;
    })
    .join('\n');
}

/**
 * What the checkout holds besides its committed files: changed and untracked
 * files, ignored ones, and untracked empty directories (which `git status`
 * does not show), one path a line.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_OUTPUTS = new Set(['dist/', 'node_modules/']);
function checkoutSnapshot() {
  const changed = sh('git', ['-C', repo, 'status', '--porcelain']).stdout.split('\n').filter((l) => l && !l.startsWith('??'));
  const others = sh('git', ['-C', repo, 'ls-files', '--others', '--directory']).stdout.split('\n').filter(Boolean);
  return new Set([...changed, ...others.map((p) => `?? ${p}`)]);
}

const resultsDir = mkdtempSync(join(tmpdir(), 'cnm-test-'));
const results = join(resultsDir, 'vitest-results.json');
const checkoutBefore = checkoutSnapshot();
const before = rootSnapshot();
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)];
const run = spawnSync('npx', ['--no-install', ...args], { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } });
const after = rootSnapshot();

let passed = 0;
let failed = 0;
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that failed to load (or whose hooks failed) has no test results of its own: count it.
  for (const f of r.testResults) if (f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed')) failed++;
} else {
  failed++;
  console.error('vitest wrote no results');
}
rmSync(resultsDir, { recursive: true, force: true });

// Tests write into temporary dirs only. New entries always fail the run; on CI (a fresh clone, after
// scripts/setup.sh) anything but build outputs does, a rewritten package-lock.json included.
const strict = Boolean(process.env.CI);
const left = [...checkoutSnapshot()].filter((e) => !BUILD_OUTPUTS.has(e.slice(3)) && (strict || !checkoutBefore.has(e)));
if (left.length === 0) {
  passed++;
  console.log(`✓ the checkout holds no new files but build outputs (${[...BUILD_OUTPUTS].join(', ')})`);
} else {
  failed++;
  console.error(`✗ the checkout changed${strict ? '' : ' during the tests'} (git status --porcelain --ignored, empty directories too):`);
  for (const e of left) console.error(`  ${e}`);
}

if (before === after) {
  passed++;
  console.log('✓ root network namespace unchanged (links, addresses, routes, netns, nft ruleset)');
} else {
  failed++;
  const a = before.split('\n');
  const b = after.split('\n');
  console.error('✗ the root network namespace changed during the tests:');
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) console.error(`  before: ${a[i]}\n  after:  ${b[i]}`);
}
if (run.status !== 0 && failed === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
