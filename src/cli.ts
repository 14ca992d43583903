/** Registers every command and the Help/Version builtins. */
import { Builtins, Cli } from 'clipanion';
import { EndpointConnectCommand } from './commands/endpoint/connect.js';
import { EndpointDisconnectCommand } from './commands/endpoint/disconnect.js';
import { EndpointLsCommand } from './commands/endpoint/ls.js';
import { InspectCommand } from './commands/inspect.js';
import { NetCreateCommand } from './commands/net/create.js';
import { NetInspectCommand } from './commands/net/inspect.js';
import { NetLsCommand } from './commands/net/ls.js';
import { NetPruneCommand } from './commands/net/prune.js';
import { NetRmCommand } from './commands/net/rm.js';
import { SandboxAddCommand } from './commands/sandbox/add.js';
import { SandboxExecCommand } from './commands/sandbox/exec.js';
import { SandboxInspectCommand } from './commands/sandbox/inspect.js';
import { SandboxLsCommand } from './commands/sandbox/ls.js';
import { SandboxRmCommand } from './commands/sandbox/rm.js';
import { VERSION } from './version.js';

export function buildCli(): Cli {
  const cli = new Cli({ binaryLabel: 'cnm', binaryName: 'cnm', binaryVersion: VERSION, enableColors: false });
  for (const c of [
    NetCreateCommand,
    NetRmCommand,
    NetLsCommand,
    NetInspectCommand,
    NetPruneCommand,
    SandboxAddCommand,
    SandboxRmCommand,
    SandboxLsCommand,
    SandboxInspectCommand,
    SandboxExecCommand,
    EndpointConnectCommand,
    EndpointDisconnectCommand,
    EndpointLsCommand,
    InspectCommand,
    Builtins.HelpCommand,
    Builtins.VersionCommand,
  ]) {
    cli.register(c);
  }
  return cli;
}
