/**
 * Entry point. Parsing errors (unknown option, missing argument, bad value)
 * are bad usage: one line on stderr, exit 2 (clipanion would print them on
 * stdout and exit 1).
 */
import { Cli } from 'clipanion';
import { buildCli } from './cli.js';

async function main(argv: string[]): Promise<number> {
  const cli = buildCli(argv);
  const context = { ...Cli.defaultContext, colorDepth: process.env.NO_COLOR ? 1 : Cli.defaultContext.colorDepth };
  let command;
  try {
    command = cli.process(argv, context);
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).replace(/\.$/m, "").split('\n').map((l) => l.trim()).find((l) => l) ?? 'bad usage';
    process.stderr.write(`cnm: ${msg.replace(/^Command not found; did you mean.*$/, 'unknown command')}; see 'cnm --help'\n`);
    return 2;
  }
  return cli.run(command, context);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cnm: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
