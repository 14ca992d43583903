/** Registers every command and the Help/Version builtins. */
import { Builtins, Cli } from 'clipanion';
import { ClusterAgentCommand } from './commands/cluster/agent.js';
import { ClusterJoinCommand } from './commands/cluster/join.js';
import { ClusterLeaveCommand } from './commands/cluster/leave.js';
import { ClusterLsCommand } from './commands/cluster/ls.js';
import { ClusterStatusCommand } from './commands/cluster/status.js';
import { explainError, helpPlan, mayHaveGluedShort, rewriteArgv, withValueNames } from './help.js';
import { CniInstallCommand } from './commands/cni/install.js';
import { CompletionCommand } from './commands/completion.js';
import { DnsServeCommand } from './commands/dns/serve.js';
import { DnsStatusCommand } from './commands/dns/status.js';
import { DnsStopCommand } from './commands/dns/stop.js';
import { DoctorCommand } from './commands/doctor.js';
import { EndpointConnectCommand } from './commands/endpoint/connect.js';
import { EndpointDisconnectCommand } from './commands/endpoint/disconnect.js';
import { EndpointLsCommand } from './commands/endpoint/ls.js';
import { GraphCommand } from './commands/graph.js';
import { InspectCommand } from './commands/inspect.js';
import { NetConnectCommand } from './commands/net/connect.js';
import { NetCreateCommand } from './commands/net/create.js';
import { NetDisconnectCommand } from './commands/net/disconnect.js';
import { NetInspectCommand } from './commands/net/inspect.js';
import { NetLsCommand } from './commands/net/ls.js';
import { NetPruneCommand } from './commands/net/prune.js';
import { NetRmCommand } from './commands/net/rm.js';
import { NetUpdateCommand } from './commands/net/update.js';
import { SandboxAddCommand } from './commands/sandbox/add.js';
import { SandboxExecCommand } from './commands/sandbox/exec.js';
import { SandboxInspectCommand } from './commands/sandbox/inspect.js';
import { SandboxLsCommand } from './commands/sandbox/ls.js';
import { SandboxRmCommand } from './commands/sandbox/rm.js';
import { SandboxPublishCommand } from './commands/sandbox/publish.js';
import { SandboxUnpublishCommand } from './commands/sandbox/unpublish.js';
import { PortCommand } from './commands/port.js';
import { ReconcileCommand } from './commands/reconcile.js';
import { SandboxRestoreCommand } from './commands/sandbox/restore.js';
import { VERSION } from './version.js';
import { wire } from './wiring.js';

type CommandClass = Parameters<Cli['register']>[0];

/** clipanion's Cli with value names in its help (`--subnet CIDR`, not `--subnet #0`). */
class CnmCli extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    return withValueNames(super.usage(...args));
  }
}

const COMMANDS: CommandClass[] = [
  NetCreateCommand,
  NetRmCommand,
  NetUpdateCommand,
  NetLsCommand,
  NetInspectCommand,
  NetPruneCommand,
  NetConnectCommand,
  NetDisconnectCommand,
  SandboxAddCommand,
  SandboxRmCommand,
  SandboxLsCommand,
  SandboxInspectCommand,
  SandboxExecCommand,
  SandboxRestoreCommand,
  ReconcileCommand,
  SandboxPublishCommand,
  SandboxUnpublishCommand,
  PortCommand,
  EndpointConnectCommand,
  EndpointDisconnectCommand,
  EndpointLsCommand,
  InspectCommand,
  DnsServeCommand,
  DnsStatusCommand,
  DnsStopCommand,
  ClusterJoinCommand,
  ClusterLsCommand,
  ClusterStatusCommand,
  ClusterLeaveCommand,
  ClusterAgentCommand,
  GraphCommand,
  CniInstallCommand,
  DoctorCommand,
  CompletionCommand,
  Builtins.HelpCommand,
  Builtins.VersionCommand,
];

const pathsOf = (c: CommandClass) => (c as { paths?: string[][] }).paths ?? [];

/** Whether a word names a group of commands and no command of its own (`net`, `sandbox`, `endpoint`, `dns`). */
export function isGroup(word: string): boolean {
  return COMMANDS.some((c) => pathsOf(c).some((p) => p.length > 1 && p[0] === word)) && !COMMANDS.some((c) => pathsOf(c).some((p) => p.length === 1 && p[0] === word));
}

// The completion script lists every command: it gets the whole CLI from here.
CompletionCommand.fullCli = () => buildCli();

/**
 * Builds the CLI. Given argv, it registers only the commands whose first word
 * matches (plus the builtins): clipanion compiles a state machine over every
 * registered command on each run, which cost 7-13 ms with all of them. Without
 * argv (help, completions, man page) or with an unknown first word, all.
 */
export function buildCli(argv?: readonly string[]): Cli {
  wire();
  const cli = new CnmCli({ binaryLabel: 'cnm', binaryName: 'cnm', binaryVersion: VERSION, enableColors: false });
  for (const c of relevant(argv, COMMANDS)) cli.register(c);
  return cli;
}

function relevant(argv: readonly string[] | undefined, all: CommandClass[]): CommandClass[] {
  if (!argv || argv.length === 0 || argv[0]!.startsWith('-')) return all;
  const paths = pathsOf;
  // The command whose whole path starts argv (`net ls ...`), else every command of that noun (`net`).
  const exact = all.filter((c) => paths(c).some((p) => p.length > 0 && p.every((w, i) => argv[i] === w)));
  const noun = all.filter((c) => paths(c).some((p) => p[0] === argv[0]));
  const hits = exact.length > 0 ? exact : noun;
  return hits.length > 0 ? [...hits, Builtins.HelpCommand, Builtins.VersionCommand] : all;
}

/**
 * Parses argv with clipanion and runs the command. Parsing errors (unknown command or
 * option, missing argument, bad value) are bad usage: one line on stderr with the
 * nearest spelling and the help to read, exit 2 (clipanion would print them on stdout
 * and exit 1). Help that clipanion does not know (`cnm net`, `cnm help net create`)
 * and Docker's glued short options (`-p8080:80`) are handled by ./help.ts.
 */
export async function runCli(argv: string[]): Promise<number> {
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
      if (rewritten.join('\0') !== argv.join('\0')) return runCli(rewritten);
    }
    process.stderr.write(explainError(buildCli(), argv, err instanceof Error ? err.message : String(err)));
    return 2;
  }
  return cli.run(command, context);
}
