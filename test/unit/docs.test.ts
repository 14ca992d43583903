import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli.js';
import { renderBash, renderFish, renderZsh } from '../../src/docs/completions.js';
import { renderDocs } from '../../src/docs/generate.js';
import { renderManPage, roffCode, roffText } from '../../src/docs/manpage.js';
import { type CommandSpec, commandTree, positionalKind, specsFrom, specsOf, unwrap } from '../../src/docs/spec.js';

const root = join(__dirname, '../..');
const specs = specsOf(buildCli());

describe('generated docs are up to date with the commands', () => {
  it.each([...renderDocs(buildCli())])('%s', (path, content) => {
    let onDisk = '';
    try {
      onDisk = readFileSync(join(root, path), 'utf8');
    } catch {
      /* missing: compared as empty */
    }
    // On failure: run `npx bun scripts/gen-docs.ts` (npm run docs) and commit the result.
    expect(onDisk === content, `${path} is out of date: run \`npx bun scripts/gen-docs.ts\``).toBe(true);
  });
});

describe('specs from clipanion definitions', () => {
  it('covers every documented command, with its other spellings', () => {
    const paths = specs.map((s) => s.words.join(' '));
    for (const p of ['net create', 'net rm', 'net ls', 'sandbox add', 'endpoint connect', 'inspect', 'graph', 'doctor', 'completion']) expect(paths).toContain(p);
    expect(specs.find((s) => s.words.join(' ') === 'net create')!.aliases).toEqual([['network', 'create']]);
  });

  it('reads options (spellings, value or flag) and positionals', () => {
    const create = specs.find((s) => s.words.join(' ') === 'net create')!;
    expect(create.options.find((o) => o.names[0] === '--driver')).toMatchObject({ names: ['--driver', '-d'], takesValue: true });
    expect(create.options.find((o) => o.names[0] === '--ipv6')).toMatchObject({ takesValue: false });
    expect(create.positionals).toEqual([{ name: 'NAME', required: true, rest: false }]);
    const rm = specs.find((s) => s.words.join(' ') === 'net rm')!;
    expect(rm.positionals).toEqual([{ name: 'NAME|ID', required: true, rest: true }]);
  });

  it('knows what each argument names', () => {
    const kind = (cmd: string, i = 0) => {
      const s = specs.find((x) => x.words.join(' ') === cmd)!;
      return positionalKind(s, s.positionals[i]!);
    };
    expect(kind('net create')).toBe('none');
    expect(kind('sandbox add')).toBe('none');
    expect(kind('net rm')).toBe('custom-network');
    expect(kind('net inspect')).toBe('network');
    expect(kind('endpoint disconnect', 1)).toBe('joined-network');
    expect(kind('sandbox rm')).toBe('sandbox');
    expect(kind('endpoint connect', 0)).toBe('sandbox');
    expect(kind('endpoint connect', 1)).toBe('network');
    expect(kind('inspect')).toBe('any');
  });

  it('unwraps clipanion\'s 80-column text into paragraphs', () => {
    expect(unwrap('one two \nthree\n\nfour\n')).toEqual(['one two three', 'four']);
  });

  it('builds the command tree with aliases', () => {
    const tree = commandTree(specs);
    expect([...tree.get('')!.keys()]).toEqual(expect.arrayContaining(['net', 'network', 'sandbox', 'endpoint', 'graph']));
    expect([...tree.get('network')!.keys()]).toEqual([...tree.get('net')!.keys()]);
  });
});

describe('renderers', () => {
  const tiny: CommandSpec[] = specsFrom([
    {
      path: 'cnm thing make',
      usage: 'cnm thing make <NAME>',
      category: 'Things\n',
      description: 'Make a thing\n',
      details: "It's a \"thing\" with `--it` and a \\ backslash.\n",
      examples: [['Make one\n', 'cnm thing make x --it']],
      options: [
        { definition: '--it #0', description: "Value: with a colon and 'quotes'", required: false },
        { definition: '--flag,-f', description: 'A flag', required: false },
      ],
    },
  ]);

  it('quote descriptions for each shell', () => {
    expect(renderBash(tiny)).toContain("'thing make') echo '--it --flag -f --help -h' ;;");
    expect(renderZsh(tiny)).toContain("'--it:Value\\: with a colon and '\\''quotes'\\'''");
    expect(renderFish(tiny)).toContain("'--it\tValue: with a colon and \\'quotes\\''");
  });

  it('escape roff', () => {
    expect(roffText('.starts with a dot and `--code`')).toBe('\\&.starts with a dot and \\fB\\-\\-code\\fR');
    expect(roffCode('a\\b --x')).toBe('a\\eb \\-\\-x');
    const man = renderManPage(tiny, '9.9.9');
    expect(man).toContain('.TH CNM 1 "" "cnm 9.9.9"');
    expect(man).toContain('\\fB\\-\\-it\\fR \\fIIT\\fR');
    expect(man).toMatch(/^\.SH EXIT STATUS$/m);
  });
});

describe('the contract of sandbox rm with processes inside is written down', () => {
  // Exit 4, one line naming the pids, nothing changed; --force kills them.
  const says = (text: string) => {
    const flat = text.replace(/\\f[BIR]|\\-|\s+/g, (m) => (m.trim() === '' ? ' ' : m === '\\-' ? '-' : ''));
    expect(flat).toMatch(/processes[^.]*inside[^.]*refused|refuses a sandbox with processes inside/);
    expect(flat).toMatch(/exit 4/);
    expect(flat).toMatch(/naming their pids/);
    expect(flat).toMatch(/nothing about it changes/);
    expect(flat).toMatch(/--force[`]? kills them/);
  };
  it('in the help', () => says(specs.find((s) => s.words.join(' ') === 'sandbox rm')!.details.join('\n')));
  it('in the man page', () => {
    const man = readFileSync(join(root, 'man/cnm.1'), 'utf8');
    says(man.slice(man.indexOf('cnm sandbox rm'), man.indexOf('cnm sandbox', man.indexOf('cnm sandbox rm') + 20)));
  });
  it('in the README', () => says(readFileSync(join(root, 'README.md'), 'utf8')));
});
