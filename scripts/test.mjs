#!/usr/bin/env node
// The whole test suite: vitest (unit + end-to-end in throwaway hosts), then a
// check that the machine's own network namespace is exactly as before, then
// the plain closing line "N passed, N failed". End-to-end tests need root and
// never skip silently: without root they fail.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

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

const results = '.vitest-results.json';
rmSync(results, { force: true });
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
