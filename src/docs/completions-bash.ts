/** The bash completion script (see completions-shared.ts). */
import { HEADER, sq, tables } from './completions-shared.js';
import { type CommandSpec, DRIVERS } from './spec.js';

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

const BASH_WALKER = `# Live names from state (honours --state-dir typed on the line); $2: the sandbox of a joined-network.
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
    custom-network) "\${COMP_WORDS[0]}" net ls --filter type=custom --format '{{.Name}}' "\${sd[@]}" 2>/dev/null ;;
    joined-network) [[ -n $2 ]] && "\${COMP_WORDS[0]}" sandbox inspect "$2" --format '{{range $k, $v := .NetworkSettings.Networks}}{{println $k}}{{end}}' "\${sd[@]}" 2>/dev/null ;;
  esac
  case "$1" in
    sandbox | any) "\${COMP_WORDS[0]}" sandbox ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null ;;
  esac
}

# Sets COMPREPLY for a word of kind $1, plus the words in $2 ($prev: the positional typed before it).
_cnm_reply() {
  case "$1" in
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    driver) COMPREPLY=($(compgen -W '@DRIVERS@' -- "$cur")) ;;
    network | sandbox | any | custom-network) COMPREPLY=($(compgen -W "$2 $(_cnm_names "$1")" -- "$cur")) ;;
    joined-network) COMPREPLY=($(compgen -W "$2 $(_cnm_names "$1" "$prev")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$2" -- "$cur")) ;;
  esac
}

_cnm() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cpath='' cmd='' want='' w i npos=0 dd=0 prev=''
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
    prev=$w
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
