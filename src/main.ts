/**
 * Entry point. The hot commands (`sandbox add|rm`, `endpoint connect|disconnect`)
 * in their plain spellings run from ./commands/hot.ts without loading clipanion;
 * everything else, and every mistake, goes to the clipanion CLI (./cli.ts), loaded
 * only then: help, usage errors and completions come from its definitions as before.
 * `cnm --version` (clipanion's builtin, the same output) loads neither.
 * What this file imports statically is what every run loads (see docs/ARCHITECTURE.md); the hot path,
 * with the wiring, is one import() (two made the bundler cut the hot modules into 9 chunks, not 4).
 */
import { fdStreams } from './commands/streams.js';
import { VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v') && process.env.CNI_COMMAND === undefined) {
    const streams = fdStreams();
    streams.stdout.write(`${VERSION}\n`);
    return streams.failed() ? 1 : 0;
  }
  const { runHot, wire, loadAll } = await import('./commands/hot.js');
  wire(); // the DNS and ports hooks, for the CLI and the CNI face alike
  // A CNI runtime runs plugins by their type's name (a link to cnm) with CNI_COMMAND set.
  if (process.env.CNI_COMMAND !== undefined) {
    watchStreams();
    await loadAll();
    return cniMain();
  }
  const code = await runHot(argv);
  if (code !== undefined) return code;
  watchStreams();
  await loadAll(); // any command may plan anything; only the hot ones load what they need
  return (await import('./cli.js')).runCli(argv);
}

// A reader that went away (`cnm net ls | head -0`) is no error, as for any Unix tool: what cnm still
// writes is dropped, the command runs to its end (never half-way through its kernel work) and exits
// with its own code, quietly. Any other failure to write is one line and exit 1.
// The hot path never touches process.stdout (see fdStreams in ./commands/runtime.ts).
let stdoutFailed = false;
function watchStreams(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || stdoutFailed) return;
    stdoutFailed = true;
    process.stderr.write(`cnm: cannot write to stdout: ${err.message.replace(/^[A-Z]+: /, '')}\n`);
    process.exitCode = 1;
  });
  process.stderr.on('error', () => {
    /* nowhere left to say it */
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = stdoutFailed ? 1 : code;
  },
  (err: unknown) => {
    process.stderr.write(`cnm: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);

/** One CNI command: the configuration on stdin, the result or error (and nothing else) on stdout. */
async function cniMain(): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const { runPlugin } = await import('./cni/plugin.js');
  if (process.env.CNM_DEBUG === '1') (await import('./core/runner.js')).setDebug((line) => process.stderr.write(`${line}\n`));
  let stdin: string;
  try {
    stdin = readFileSync(0, 'utf8');
  } catch (e) {
    stdin = '';
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
      process.stdout.write(`${JSON.stringify({ cniVersion: '1.1.0', code: 5, msg: 'I/O failure', details: `cannot read the configuration on stdin: ${(e as Error).message}` })}\n`);
      return 1;
    }
  }
  const env = { ...process.env };
  // Processes cnm starts (the embedded DNS server) are cnm, not plugin invocations.
  delete process.env.CNI_COMMAND;
  const out = await runPlugin(env, stdin);
  process.stdout.write(out.stdout);
  return out.code;
}
