import { type Cli, Command, Option } from 'clipanion';
import * as t from 'typanion';
import { SHELLS, type Shell } from '../docs/completions.js';
import { CnmCommand } from './base.js';

export class CompletionCommand extends CnmCommand {
  static override paths = [['completion']];

  static override usage = Command.Usage({
    category: 'Help',
    description: 'Print the shell completion script for bash, zsh or fish',
    details: `
      Prints the same script as the files in \`completions/\`: it completes commands, options, and the names of networks and sandboxes (read from state with \`cnm net ls --format '{{.Name}}'\`).
    `,
    examples: [
      ['Enable completion in the current bash', 'source <($0 completion bash)'],
      ['Install for zsh', '$0 completion zsh > "\${fpath[1]}/_cnm"'],
      ['Install for fish', '$0 completion fish > ~/.config/fish/completions/cnm.fish'],
    ],
  });

  /** The whole CLI, every command registered (set by cli.ts, which this module does not import). */
  static fullCli: () => Cli = () => {
    throw new Error('CompletionCommand.fullCli is not wired');
  };

  shell = Option.String({ name: 'SHELL', validator: t.isEnum(SHELLS) });

  async run() {
    const [{ renderCompletion }, { specsOf }] = await Promise.all([import('../docs/completions.js'), import('../docs/spec.js')]);
    this.context.stdout.write(renderCompletion(this.shell as Shell, specsOf(CompletionCommand.fullCli())));
  }
}
