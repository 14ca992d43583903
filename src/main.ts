/**
 * Entry point. Parsing errors (unknown command or option, missing argument,
 * bad value) are bad usage: one line on stderr with the nearest spelling and
 * the help to read, exit 2 (clipanion would print them on stdout and exit 1).
 * Help that clipanion does not know (`cnm net`, `cnm help net create`) and
 * Docker's glued short options (`-p8080:80`) are handled by ./help.ts, which
 * reads the command definitions only when argv needs it.
 */
import { wire } from './wiring.js';

async function main(argv: string[]): Promise<number> {
  wire(); // the DNS and ports hooks, for the CLI and the CNI face alike
  // A CNI runtime runs plugins by their type's name (a link to cnm) with CNI_COMMAND set.
  if (process.env.CNI_COMMAND !== undefined) return cniMain();
  // Loaded here, not at the top: a plugin invocation needs none of the CLI.
  const [{ Cli }, { buildCli, isGroup }, { explainError, helpPlan, mayHaveGluedShort, rewriteArgv }] = await Promise.all([import('clipanion'), import('./cli.js'), import('./help.js')]);
  let cli = buildCli(argv);
  const context = { ...Cli.defaultContext, colorDepth: process.env.NO_COLOR ? 1 : Cli.defaultContext.colorDepth };
  const first = argv[0] ?? '';
  if (first === 'help' || (isGroup(first) && (argv.length === 1 || (argv.length === 2 && (argv[1] === '--help' || argv[1] === '-h'))))) {
    const plan = helpPlan(buildCli(), argv);
    if (plan?.kind === 'print') {
      (plan.stream === 'stdout' ? process.stdout : process.stderr).write(plan.text);
      return plan.code;
    }
    if (plan) {
      argv = plan.argv;
      cli = buildCli(argv);
    }
  }
  let command;
  try {
    command = cli.process(argv, context);
  } catch (err) {
    if (mayHaveGluedShort(argv)) {
      const rewritten = rewriteArgv(cli, argv);
      if (rewritten.join('\0') !== argv.join('\0')) return main(rewritten);
    }
    process.stderr.write(explainError(buildCli(), argv, err instanceof Error ? err.message : String(err)));
    return 2;
  }
  return cli.run(command, context);
}

// A reader that went away (`cnm net ls | head -0`) is no error, as for any Unix tool: what cnm still
// writes is dropped, the command runs to its end (never half-way through its kernel work) and exits
// with its own code, quietly. Any other failure to write is one line and exit 1.
let stdoutFailed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE' || stdoutFailed) return;
  stdoutFailed = true;
  process.stderr.write(`cnm: cannot write to stdout: ${err.message.replace(/^[A-Z]+: /, '')}\n`);
  process.exitCode = 1;
});
process.stderr.on('error', () => {
  /* nowhere left to say it */
});

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
