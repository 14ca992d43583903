/** The fish completion script (see completions-shared.ts). */
import { HEADER, fq, tables } from './completions-shared.js';
import { type CommandSpec, DRIVERS } from './spec.js';

// ---------------------------------------------------------------- fish

export function renderFish(specs: readonly CommandSpec[]): string {
  const t = tables(specs);
  const switchFn = (name: string, doc: string, arms: string[], arg = '"$argv[1]"') =>
    [`# ${doc}`, `function ${name}`, `    switch ${arg}`, ...arms, '    end', 'end', ''].join('\n');
  const lines = (items: [string, string][]) => items.map(([w, d]) => fq(`${w}\t${d}`)).join(' ');
  return [
    HEADER('fish'),
    '# Install: copy to ~/.config/fish/completions/cnm.fish (or /usr/share/fish/vendor_completions.d/).',
    '',
    switchFn(
      '__cnm_children',
      'Words that may follow the command words typed so far, as word<TAB>description lines.',
      t.children.map(([prefix, kids]) => `        case ${fq(prefix)}\n            printf '%s\\n' ${lines(kids)}`),
    ),
    switchFn(
      '__cnm_command',
      'The command that the typed words name (other spellings resolved), if they name one.',
      t.commands.map(([c, spellings]) => `        case ${spellings.map(fq).join(' ')}\n            echo ${fq(c)}`),
    ),
    switchFn(
      '__cnm_options',
      'Options of a command, as option<TAB>description lines.',
      [
        ...t.options.map(([c, opts]) => `        case ${fq(c)}\n            printf '%s\\n' ${lines(opts.flatMap((o) => o.names.map((n): [string, string] => [n, o.description])))}`),
        `        case '*'\n            printf '%s\\n' ${lines([['--help', 'Show help'], ['--version', 'Show the version']])}`,
      ],
    ),
    switchFn(
      '__cnm_optarg',
      'What the value of an option names (network, sandbox, driver, file, value); nothing for a flag.',
      [...t.optargs.filter(([, a]) => a.length > 0).flatMap(([c, args]) => args.map(([n, k]) => `        case ${fq(`${c} ${n}`)}\n            echo ${k}`)), `        case '* --state-dir'\n            echo file`],
      '"$argv[1] $argv[2]"',
    ),
    switchFn(
      '__cnm_positionals',
      'What each positional argument names, in order ("..." repeats the last).',
      t.positionals.filter(([, k]) => k.length > 0).map(([c, kinds]) => `        case ${fq(c)}\n            echo ${kinds.map(fq).join(' ')}`),
    ),
    FISH_WALKER.replace('@DRIVERS@', DRIVERS.join(' ')),
  ].join('\n');
}

const FISH_WALKER = `# Live names from state (honours --state-dir typed on the line); $argv[2]: the sandbox of a joined-network.
function __cnm_names
    set -l tokens (commandline -opc)
    set -l sd
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --state-dir
                set sd --state-dir $tokens[(math $i + 1)]
            case '--state-dir=*'
                set sd $tokens[$i]
        end
    end
    switch $argv[1]
        case network any
            $tokens[1] net ls --format '{{.Name}}' $sd 2>/dev/null
        case custom-network
            $tokens[1] net ls --filter type=custom --format '{{.Name}}' $sd 2>/dev/null
        case joined-network
            test -n "$argv[2]"; and $tokens[1] sandbox inspect $argv[2] --format '{{range $k, $v := .NetworkSettings.Networks}}{{println $k}}{{end}}' $sd 2>/dev/null | string match -v ''
    end
    if contains -- $argv[1] sandbox any
        $tokens[1] sandbox ls --format '{{.Name}}' $sd 2>/dev/null
    end
end

# Offers the words of kind $argv[1] ($argv[2]: the positional typed before it).
function __cnm_values
    switch $argv[1]
        case file
            __fish_complete_path (commandline -ct)
        case driver
            printf '%s\\n' @DRIVERS@
        case network custom-network joined-network sandbox any
            __cnm_names $argv[1] $argv[2]
    end
end

function __cnm_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l cpath ''
    set -l cmd ''
    set -l want ''
    set -l npos 0
    set -l dd 0
    set -l prev ''
    for i in (seq 2 (count $tokens))
        set -l w $tokens[$i]
        if test -n "$want"
            set want ''
            continue
        end
        if test $dd -gt 0
            continue
        end
        if test "$w" = --
            set dd $i
            continue
        end
        if string match -q -- '-*' $w
            string match -q -- '*=*' $w; or set want (__cnm_optarg "$cmd" $w)
            continue
        end
        if test $npos -eq 0; and contains -- $w (__cnm_children "$cpath" | string replace -r '\\t.*' '')
            set cpath (string trim -- "$cpath $w")
            set cmd (__cnm_command "$cpath")
            continue
        end
        set npos (math $npos + 1)
        set prev $w
    end
    if test $dd -gt 0
        complete -C (string join ' ' -- $tokens[(math $dd + 1)..-1] $cur)
        return
    end
    if test -n "$want"
        __cnm_values $want
        return
    end
    if string match -q -- '-*' $cur
        __cnm_options "$cmd"
        return
    end
    if test $npos -eq 0
        __cnm_children "$cpath"
    end
    if test -n "$cmd"
        set -l kinds (string split ' ' -- (__cnm_positionals "$cmd"))
        set -l n (count $kinds)
        set -l k (math $npos + 1)
        if test $k -le $n; and test "$kinds[$k]" != ...
            __cnm_values $kinds[$k] $prev
        else if test $n -gt 1; and test "$kinds[$n]" = ...
            __cnm_values $kinds[(math $n - 1)] $prev
        end
    end
end

complete -c cnm -f -a '(__cnm_complete)'
`;
