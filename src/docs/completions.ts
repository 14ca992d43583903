/**
 * Shell completions for bash, zsh and fish, rendered from the command specs
 * (clipanion's definitions) so they never drift from the commands. Pure: specs
 * in, script text out. Each script holds the command tree, the options of each
 * command and what each argument names as data, plus one small walker over the
 * words typed so far; live names (networks, sandboxes) come from
 * `cnm net ls --format '{{.Name}}'` and `cnm sandbox ls --format '{{.Name}}'`.
 */
import { type CommandSpec, DRIVERS, type ObjectKind, canonicalPaths, commandTree, optionKind, positionalKind } from './spec.js';

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: Shell[] = ['bash', 'zsh', 'fish'];

const HELP = { names: ['--help', '-h'], takesValue: false, description: 'Show the help of this command' };

/** Single-quoted for sh-like shells. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Single-quoted for fish (which escapes \ and ' inside single quotes). */
function fq(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

interface Tables {
  children: [string, [string, string][]][];
  commands: [string, string[]][];
  options: [string, { names: string[]; description: string }[]][];
  optargs: [string, [string, ObjectKind | 'value'][]][];
  positionals: [string, string[]][];
}

function tables(specs: readonly CommandSpec[]): Tables {
  const tree = commandTree(specs);
  const canon = canonicalPaths(specs);
  const byCanon = new Map<string, string[]>();
  for (const [spelling, c] of canon) byCanon.set(c, [...(byCanon.get(c) ?? []), spelling]);
  return {
    children: [...tree].map(([prefix, kids]) => [prefix, [...kids]]),
    commands: [...byCanon].map(([c, spellings]) => [c, spellings]),
    options: specs.map((s) => [s.words.join(' '), [...s.options, HELP].map((o) => ({ names: o.names, description: o.description }))]),
    optargs: specs.map((s) => [
      s.words.join(' '),
      s.options.filter((o) => o.takesValue).flatMap((o) => o.names.map((n): [string, ObjectKind | 'value'] => [n, optionKind(o) === 'none' ? 'value' : optionKind(o)])),
    ]),
    positionals: specs.map((s) => {
      const kinds: string[] = s.positionals.map((p) => positionalKind(s, p));
      if (s.positionals[s.positionals.length - 1]?.rest) kinds.push('...');
      return [s.words.join(' '), kinds];
    }),
  };
}

const HEADER = (shell: Shell) =>
  [
    `# ${shell} completion for cnm.`,
    "# Generated from cnm's command definitions by `npx bun scripts/gen-docs.ts`; do not edit by hand.",
  ].join('\n');

// ---------------------------------------------------------------- bash

export function renderBash(specs: readonly CommandSpec[]): string {
  const t = tables(specs);
  const caseFn = (name: string, doc: string, arms: string[], arg = '"$1"') =>
    [`# ${doc}`, `${name}() {`, `  case ${arg} in`, ...arms, '  esac', '}', ''].join('\n');
  return [
    HEADER('bash'),
    '# Install: copy to /usr/share/bash-completion/completions/cnm, or `source` it from ~/.bashrc.',
    '',
    caseFn(
      '_cnm_children',
      'Words that may follow the command words typed so far.',
      t.children.map(([prefix, kids]) => `    ${sq(prefix)}) echo ${sq(kids.map(([w]) => w).join(' '))} ;;`),
    ),
    caseFn(
      '_cnm_command',
      'The command that the typed words name (other spellings resolved), if they name one.',
      t.commands.map(([c, spellings]) => `    ${spellings.map(sq).join('|')}) echo ${sq(c)} ;;`),
    ),
    caseFn(
      '_cnm_options',
      'Options of a command.',
      [...t.options.map(([c, opts]) => `    ${sq(c)}) echo ${sq(opts.flatMap((o) => o.names).join(' '))} ;;`), `    *) echo '--help --version' ;;`],
    ),
    caseFn(
      '_cnm_optarg',
      'What the value of an option names (network, sandbox, driver, file, value); nothing for a flag.',
      [...t.optargs.filter(([, a]) => a.length > 0).map(([c, args]) => args.map(([n, k]) => `    ${sq(`${c} ${n}`)}) echo ${k} ;;`).join('\n')), `    *' --state-dir') echo file ;;`],
      '"$1 $2"',
    ),
    caseFn(
      '_cnm_positionals',
      'What each positional argument names, in order ("..." repeats the last).',
      t.positionals.filter(([, k]) => k.length > 0).map(([c, kinds]) => `    ${sq(c)}) echo ${sq(kinds.join(' '))} ;;`),
    ),
    BASH_WALKER.replace('@DRIVERS@', DRIVERS.join(' ')),
  ].join('\n');
}

const BASH_WALKER = `# Live names from state (honours --state-dir typed on the line).
_cnm_names() {
  local sd=() i
  for ((i = 1; i < \${#COMP_WORDS[@]}; i++)); do
    case "\${COMP_WORDS[i]}" in
      --state-dir) sd=(--state-dir "\${COMP_WORDS[i + 1]}") ;;
      --state-dir=*) sd=("\${COMP_WORDS[i]}") ;;
    esac
  done
  case "$1" in
    network | any) "\${COMP_WORDS[0]}" net ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null ;;
  esac
  case "$1" in
    sandbox | any) "\${COMP_WORDS[0]}" sandbox ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null ;;
  esac
}

# Sets COMPREPLY for a word of kind $1, plus the words in $2.
_cnm_reply() {
  case "$1" in
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    driver) COMPREPLY=($(compgen -W '@DRIVERS@' -- "$cur")) ;;
    network | sandbox | any) COMPREPLY=($(compgen -W "$2 $(_cnm_names "$1")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$2" -- "$cur")) ;;
  esac
}

_cnm() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cpath='' cmd='' want='' w i npos=0 dd=0
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ -n $want ]]; then want=''; continue; fi
    if ((dd)); then continue; fi
    if [[ $w == -- ]]; then dd=$i; continue; fi
    if [[ $w == -* ]]; then
      [[ $w == *=* ]] || want=$(_cnm_optarg "$cmd" "$w")
      continue
    fi
    if ((npos == 0)) && [[ " $(_cnm_children "$cpath") " == *" $w "* ]]; then
      cpath="\${cpath:+$cpath }$w"
      cmd=$(_cnm_command "$cpath")
      continue
    fi
    npos=$((npos + 1))
  done
  if ((dd)); then COMPREPLY=($(compgen -c -- "$cur")); return; fi
  if [[ -n $want ]]; then _cnm_reply "$want" ''; return; fi
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$(_cnm_options "$cmd")" -- "$cur")); return; fi
  local words='' kind='' kinds n
  ((npos == 0)) && words=$(_cnm_children "$cpath")
  if [[ -n $cmd ]]; then
    kinds=($(_cnm_positionals "$cmd"))
    n=\${#kinds[@]}
    if ((npos < n)) && [[ \${kinds[npos]} != ... ]]; then
      kind=\${kinds[npos]}
    elif ((n > 1)) && [[ \${kinds[n - 1]} == ... ]]; then
      kind=\${kinds[n - 2]}
    fi
  fi
  _cnm_reply "$kind" "$words"
}

complete -F _cnm cnm
`;

// ---------------------------------------------------------------- zsh

/** An item for _describe: word:description, colons in the description escaped. */
function zitem(word: string, desc: string): string {
  return sq(`${word.replace(/:/g, '\\:')}:${desc.replace(/:/g, '\\:')}`);
}

export function renderZsh(specs: readonly CommandSpec[]): string {
  const t = tables(specs);
  const caseFn = (name: string, doc: string, arms: string[], arg = '"$1"') =>
    [`# ${doc}`, `${name}() {`, `  case ${arg} in`, ...arms, '  esac', '}', ''].join('\n');
  return [
    '#compdef cnm',
    HEADER('zsh'),
    '# Install: copy to a directory in $fpath as _cnm (e.g. /usr/share/zsh/vendor-completions/_cnm).',
    '',
    caseFn(
      '_cnm_children',
      'Words that may follow the command words typed so far, as word:description lines.',
      t.children.map(([prefix, kids]) => `    ${sq(prefix)}) print -rl -- ${kids.map(([w, d]) => zitem(w, d)).join(' ')} ;;`),
    ),
    caseFn(
      '_cnm_command',
      'The command that the typed words name (other spellings resolved), if they name one.',
      t.commands.map(([c, spellings]) => `    ${spellings.map(sq).join('|')}) print -r -- ${sq(c)} ;;`),
    ),
    caseFn(
      '_cnm_options',
      'Options of a command, as option:description lines.',
      [
        ...t.options.map(([c, opts]) => `    ${sq(c)}) print -rl -- ${opts.flatMap((o) => o.names.map((n) => zitem(n, o.description))).join(' ')} ;;`),
        `    *) print -rl -- ${zitem('--help', 'Show help')} ${zitem('--version', 'Show the version')} ;;`,
      ],
    ),
    caseFn(
      '_cnm_optarg',
      'What the value of an option names (network, sandbox, driver, file, value); nothing for a flag.',
      [...t.optargs.filter(([, a]) => a.length > 0).map(([c, args]) => args.map(([n, k]) => `    ${sq(`${c} ${n}`)}) print -r -- ${k} ;;`).join('\n')), `    *' --state-dir') print -r -- file ;;`],
      '"$1 $2"',
    ),
    caseFn(
      '_cnm_positionals',
      'What each positional argument names, in order ("..." repeats the last).',
      t.positionals.filter(([, k]) => k.length > 0).map(([c, kinds]) => `    ${sq(c)}) print -r -- ${sq(kinds.join(' '))} ;;`),
    ),
    ZSH_WALKER.replace('@DRIVERS@', DRIVERS.join(' ')),
  ].join('\n');
}

const ZSH_WALKER = `# Live names from state (honours --state-dir typed on the line).
_cnm_names() {
  local -a sd
  local -i i
  for (( i = 2; i <= \${#words}; i++ )); do
    case "\${words[i]}" in
      --state-dir) sd=(--state-dir "\${words[i+1]}") ;;
      --state-dir=*) sd=("\${words[i]}") ;;
    esac
  done
  if [[ $1 == network || $1 == any ]]; then "\${words[1]}" net ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null; fi
  if [[ $1 == sandbox || $1 == any ]]; then "\${words[1]}" sandbox ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null; fi
}

_cnm_values() {
  local -a names
  case $1 in
    file) _files ;;
    driver) compadd -- @DRIVERS@ ;;
    network|sandbox|any) names=(\${(f)"$(_cnm_names $1)"}); compadd -a names ;;
    value) _message -e values value ;;
  esac
}

_cnm() {
  local cur=\${words[CURRENT]} cpath='' cmd='' want='' w kind
  local -i i npos=0 dd=0 n
  local -a kids kidwords opts kinds
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    if [[ -n $want ]]; then want=''; continue; fi
    if (( dd )); then continue; fi
    if [[ $w == -- ]]; then dd=$i; continue; fi
    if [[ $w == -* ]]; then
      [[ $w == *=* ]] || want=$(_cnm_optarg "$cmd" "$w")
      continue
    fi
    kidwords=(\${(f)"$(_cnm_children "$cpath")"})
    kidwords=(\${kidwords%%:*})
    if (( npos == 0 && \${kidwords[(Ie)$w]} )); then
      cpath=\${cpath:+$cpath }$w
      cmd=$(_cnm_command "$cpath")
      continue
    fi
    (( npos++ ))
  done
  if (( dd )); then
    words=("\${(@)words[dd+1,-1]}")
    (( CURRENT -= dd ))
    _normal
    return
  fi
  if [[ -n $want ]]; then _cnm_values $want; return; fi
  if [[ $cur == -* ]]; then
    opts=(\${(f)"$(_cnm_options "$cmd")"})
    _describe -t options option opts
    return
  fi
  if (( npos == 0 )); then
    kids=(\${(f)"$(_cnm_children "$cpath")"})
    (( \${#kids} )) && _describe -t commands command kids
  fi
  if [[ -n $cmd ]]; then
    kinds=(\${=$(_cnm_positionals "$cmd")})
    n=\${#kinds}
    kind=''
    if (( npos < n )) && [[ \${kinds[npos+1]} != ... ]]; then
      kind=\${kinds[npos+1]}
    elif (( n > 1 )) && [[ \${kinds[n]} == ... ]]; then
      kind=\${kinds[n-1]}
    fi
    [[ -n $kind && $kind != none ]] && _cnm_values $kind
  fi
  return 0
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _cnm "$@"
else
  compdef _cnm cnm
fi
`;

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

const FISH_WALKER = `# Live names from state (honours --state-dir typed on the line).
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
    if contains -- $argv[1] network any
        $tokens[1] net ls --format '{{.Name}}' $sd 2>/dev/null
    end
    if contains -- $argv[1] sandbox any
        $tokens[1] sandbox ls --format '{{.Name}}' $sd 2>/dev/null
    end
end

function __cnm_values
    switch $argv[1]
        case file
            __fish_complete_path (commandline -ct)
        case driver
            printf '%s\\n' @DRIVERS@
        case network sandbox any
            __cnm_names $argv[1]
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
            __cnm_values $kinds[$k]
        else if test $n -gt 1; and test "$kinds[$n]" = ...
            __cnm_values $kinds[(math $n - 1)]
        end
    end
end

complete -c cnm -f -a '(__cnm_complete)'
`;

export function renderCompletion(shell: Shell, specs: readonly CommandSpec[]): string {
  return shell === 'bash' ? renderBash(specs) : shell === 'zsh' ? renderZsh(specs) : renderFish(specs);
}

/** Where each script lives in the repository. */
export const COMPLETION_FILES: Record<Shell, string> = { bash: 'completions/cnm.bash', zsh: 'completions/_cnm', fish: 'completions/cnm.fish' };
