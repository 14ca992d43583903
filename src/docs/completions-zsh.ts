/** The zsh completion script (see completions-shared.ts). */
import { HEADER, sq, tables } from './completions-shared.js';
import { type CommandSpec, DRIVERS } from './spec.js';

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

const ZSH_WALKER = `# Live names from state (honours --state-dir typed on the line); $2: the sandbox of a joined-network.
_cnm_names() {
  local -a sd
  local -i i
  for (( i = 2; i <= \${#words}; i++ )); do
    case "\${words[i]}" in
      --state-dir) sd=(--state-dir "\${words[i+1]}") ;;
      --state-dir=*) sd=("\${words[i]}") ;;
    esac
  done
  case $1 in
    network|any) "\${words[1]}" net ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null ;;
    custom-network) "\${words[1]}" net ls --filter type=custom --format '{{.Name}}' "\${sd[@]}" 2>/dev/null ;;
    joined-network) [[ -n $2 ]] && "\${words[1]}" sandbox inspect "$2" --format '{{range $k, $v := .NetworkSettings.Networks}}{{println $k}}{{end}}' "\${sd[@]}" 2>/dev/null ;;
  esac
  if [[ $1 == sandbox || $1 == any ]]; then "\${words[1]}" sandbox ls --format '{{.Name}}' "\${sd[@]}" 2>/dev/null; fi
}

# Offers the words of kind $1 ($2: the positional typed before it).
_cnm_values() {
  local -a names
  case $1 in
    file) _files ;;
    driver) compadd -- @DRIVERS@ ;;
    *network|sandbox|any) names=(\${(f)"$(_cnm_names $1 $2)"}); compadd -a names ;;
    value) _message -e values value ;;
  esac
}

_cnm() {
  local cur=\${words[CURRENT]} cpath='' cmd='' want='' w kind prev=''
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
    prev=$w
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
    [[ -n $kind && $kind != none ]] && _cnm_values $kind "$prev"
  fi
  return 0
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _cnm "$@"
else
  compdef _cnm cnm
fi
`;
