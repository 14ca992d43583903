# bash completion for cnm.
# Generated from cnm's command definitions by `npx bun scripts/gen-docs.ts`; do not edit by hand.
# Install: copy to /usr/share/bash-completion/completions/cnm, or `source` it from ~/.bashrc.

# Words that may follow the command words typed so far.
_cnm_children() {
  case "$1" in
    '') echo 'net network sandbox reconcile port endpoint inspect dns cluster graph cni doctor completion' ;;
    'net') echo 'create rm update ls inspect prune connect disconnect' ;;
    'network') echo 'create rm update ls inspect prune connect disconnect' ;;
    'sandbox') echo 'add rm ls inspect exec restore publish unpublish' ;;
    'endpoint') echo 'connect disconnect ls' ;;
    'dns') echo 'serve status stop' ;;
    'cluster') echo 'join ls status leave agent' ;;
    'cni') echo 'install' ;;
  esac
}

# The command that the typed words name (other spellings resolved), if they name one.
_cnm_command() {
  case "$1" in
    'net create'|'network create') echo 'net create' ;;
    'net rm'|'network rm') echo 'net rm' ;;
    'net update'|'network update') echo 'net update' ;;
    'net ls'|'network ls') echo 'net ls' ;;
    'net inspect'|'network inspect') echo 'net inspect' ;;
    'net prune'|'network prune') echo 'net prune' ;;
    'net connect'|'network connect') echo 'net connect' ;;
    'net disconnect'|'network disconnect') echo 'net disconnect' ;;
    'sandbox add') echo 'sandbox add' ;;
    'sandbox rm') echo 'sandbox rm' ;;
    'sandbox ls') echo 'sandbox ls' ;;
    'sandbox inspect') echo 'sandbox inspect' ;;
    'sandbox exec') echo 'sandbox exec' ;;
    'sandbox restore') echo 'sandbox restore' ;;
    'reconcile') echo 'reconcile' ;;
    'sandbox publish') echo 'sandbox publish' ;;
    'sandbox unpublish') echo 'sandbox unpublish' ;;
    'port') echo 'port' ;;
    'endpoint connect') echo 'endpoint connect' ;;
    'endpoint disconnect') echo 'endpoint disconnect' ;;
    'endpoint ls') echo 'endpoint ls' ;;
    'inspect') echo 'inspect' ;;
    'dns serve') echo 'dns serve' ;;
    'dns status') echo 'dns status' ;;
    'dns stop') echo 'dns stop' ;;
    'cluster join') echo 'cluster join' ;;
    'cluster ls') echo 'cluster ls' ;;
    'cluster status') echo 'cluster status' ;;
    'cluster leave') echo 'cluster leave' ;;
    'cluster agent') echo 'cluster agent' ;;
    'graph') echo 'graph' ;;
    'cni install') echo 'cni install' ;;
    'doctor') echo 'doctor' ;;
    'completion') echo 'completion' ;;
  esac
}

# Options of a command.
_cnm_options() {
  case "$1" in
    'net create') echo '--state-dir --debug --driver -d --subnet --gateway --ip-range --ipv6 --internal --no-dns --mtu --parent --mode --vni --peer --local --label --opt -o --aux-address --dns --dry-run --help -h' ;;
    'net rm') echo '--state-dir --debug --force -f --dry-run --help -h' ;;
    'net update') echo '--state-dir --debug --add-peer --remove-peer --dry-run --help -h' ;;
    'net ls') echo '--state-dir --debug --json --quiet -q --format --filter --no-trunc --help -h' ;;
    'net inspect') echo '--state-dir --debug --json --format --help -h' ;;
    'net prune') echo '--state-dir --debug --force -f --filter --dry-run --help -h' ;;
    'net connect') echo '--state-dir --debug --ip --ip6 --alias --mac --mac-address --dry-run --help -h' ;;
    'net disconnect') echo '--state-dir --debug --force -f --dry-run --help -h' ;;
    'sandbox add') echo '--state-dir --debug --network --net --ip --ip6 --mac --mac-address --alias --hostname --dns --dns-search --dns-option --add-host --label --netns --pid --publish -p --dry-run --help -h' ;;
    'sandbox rm') echo '--state-dir --debug --force -f --dry-run --help -h' ;;
    'sandbox ls') echo '--state-dir --debug --json --quiet -q --format --filter --no-trunc --help -h' ;;
    'sandbox inspect') echo '--state-dir --debug --json --format --help -h' ;;
    'sandbox exec') echo '--state-dir --debug --help -h' ;;
    'sandbox restore') echo '--state-dir --debug --dry-run --json --help -h' ;;
    'reconcile') echo '--state-dir --debug --dry-run --restore --json --help -h' ;;
    'sandbox publish') echo '--state-dir --debug --dry-run --help -h' ;;
    'sandbox unpublish') echo '--state-dir --debug --dry-run --help -h' ;;
    'port') echo '--state-dir --debug --json --help -h' ;;
    'endpoint connect') echo '--state-dir --debug --ip --ip6 --alias --mac --mac-address --dry-run --help -h' ;;
    'endpoint disconnect') echo '--state-dir --debug --dry-run --help -h' ;;
    'endpoint ls') echo '--state-dir --debug --json --quiet -q --format --no-trunc --help -h' ;;
    'inspect') echo '--state-dir --debug --json --format --help -h' ;;
    'dns serve') echo '--state-dir --debug --idle-exit --help -h' ;;
    'dns status') echo '--state-dir --debug --json --help -h' ;;
    'dns stop') echo '--state-dir --debug --help -h' ;;
    'cluster join') echo '--state-dir --debug --advertise --name --cacert --cert --key --pool --ttl --help -h' ;;
    'cluster ls') echo '--state-dir --debug --json --help -h' ;;
    'cluster status') echo '--state-dir --debug --json --help -h' ;;
    'cluster leave') echo '--state-dir --debug --force --help -h' ;;
    'cluster agent') echo '--state-dir --debug --help -h' ;;
    'graph') echo '--state-dir --debug --dot --network --net --json --width --help -h' ;;
    'cni install') echo '--state-dir --debug --bin-dir --conf-dir --dry-run --help -h' ;;
    'doctor') echo '--state-dir --debug --json --help -h' ;;
    'completion') echo '--state-dir --debug --help -h' ;;
    *) echo '--help --version' ;;
  esac
}

# What the value of an option names (network, sandbox, driver, file, value); nothing for a flag.
_cnm_optarg() {
  case "$1 $2" in
    'net create --state-dir') echo file ;;
    'net create --driver') echo driver ;;
    'net create -d') echo driver ;;
    'net create --subnet') echo value ;;
    'net create --gateway') echo value ;;
    'net create --ip-range') echo value ;;
    'net create --mtu') echo value ;;
    'net create --parent') echo value ;;
    'net create --mode') echo value ;;
    'net create --vni') echo value ;;
    'net create --peer') echo value ;;
    'net create --local') echo value ;;
    'net create --label') echo value ;;
    'net create --opt') echo value ;;
    'net create -o') echo value ;;
    'net create --aux-address') echo value ;;
    'net create --dns') echo value ;;
    'net rm --state-dir') echo file ;;
    'net update --state-dir') echo file ;;
    'net update --add-peer') echo value ;;
    'net update --remove-peer') echo value ;;
    'net ls --state-dir') echo file ;;
    'net ls --format') echo value ;;
    'net ls --filter') echo value ;;
    'net inspect --state-dir') echo file ;;
    'net inspect --format') echo value ;;
    'net prune --state-dir') echo file ;;
    'net prune --filter') echo value ;;
    'net connect --state-dir') echo file ;;
    'net connect --ip') echo value ;;
    'net connect --ip6') echo value ;;
    'net connect --alias') echo value ;;
    'net connect --mac') echo value ;;
    'net connect --mac-address') echo value ;;
    'net disconnect --state-dir') echo file ;;
    'sandbox add --state-dir') echo file ;;
    'sandbox add --network') echo network ;;
    'sandbox add --net') echo network ;;
    'sandbox add --ip') echo value ;;
    'sandbox add --ip6') echo value ;;
    'sandbox add --mac') echo value ;;
    'sandbox add --mac-address') echo value ;;
    'sandbox add --alias') echo value ;;
    'sandbox add --hostname') echo value ;;
    'sandbox add --dns') echo value ;;
    'sandbox add --dns-search') echo value ;;
    'sandbox add --dns-option') echo value ;;
    'sandbox add --add-host') echo value ;;
    'sandbox add --label') echo value ;;
    'sandbox add --netns') echo file ;;
    'sandbox add --pid') echo value ;;
    'sandbox add --publish') echo value ;;
    'sandbox add -p') echo value ;;
    'sandbox rm --state-dir') echo file ;;
    'sandbox ls --state-dir') echo file ;;
    'sandbox ls --format') echo value ;;
    'sandbox ls --filter') echo value ;;
    'sandbox inspect --state-dir') echo file ;;
    'sandbox inspect --format') echo value ;;
    'sandbox exec --state-dir') echo file ;;
    'sandbox restore --state-dir') echo file ;;
    'reconcile --state-dir') echo file ;;
    'sandbox publish --state-dir') echo file ;;
    'sandbox unpublish --state-dir') echo file ;;
    'port --state-dir') echo file ;;
    'endpoint connect --state-dir') echo file ;;
    'endpoint connect --ip') echo value ;;
    'endpoint connect --ip6') echo value ;;
    'endpoint connect --alias') echo value ;;
    'endpoint connect --mac') echo value ;;
    'endpoint connect --mac-address') echo value ;;
    'endpoint disconnect --state-dir') echo file ;;
    'endpoint ls --state-dir') echo file ;;
    'endpoint ls --format') echo value ;;
    'inspect --state-dir') echo file ;;
    'inspect --format') echo value ;;
    'dns serve --state-dir') echo file ;;
    'dns status --state-dir') echo file ;;
    'dns stop --state-dir') echo file ;;
    'cluster join --state-dir') echo file ;;
    'cluster join --advertise') echo value ;;
    'cluster join --name') echo value ;;
    'cluster join --cacert') echo value ;;
    'cluster join --cert') echo value ;;
    'cluster join --key') echo value ;;
    'cluster join --pool') echo value ;;
    'cluster join --ttl') echo value ;;
    'cluster ls --state-dir') echo file ;;
    'cluster status --state-dir') echo file ;;
    'cluster leave --state-dir') echo file ;;
    'cluster agent --state-dir') echo file ;;
    'graph --state-dir') echo file ;;
    'graph --network') echo network ;;
    'graph --net') echo network ;;
    'graph --width') echo value ;;
    'cni install --state-dir') echo file ;;
    'cni install --bin-dir') echo value ;;
    'cni install --conf-dir') echo value ;;
    'doctor --state-dir') echo file ;;
    'completion --state-dir') echo file ;;
    *' --state-dir') echo file ;;
  esac
}

# What each positional argument names, in order ("..." repeats the last).
_cnm_positionals() {
  case "$1" in
    'net create') echo 'none' ;;
    'net rm') echo 'custom-network ...' ;;
    'net update') echo 'network' ;;
    'net inspect') echo 'network ...' ;;
    'net connect') echo 'network sandbox' ;;
    'net disconnect') echo 'network sandbox' ;;
    'sandbox add') echo 'none' ;;
    'sandbox rm') echo 'sandbox ...' ;;
    'sandbox inspect') echo 'sandbox ...' ;;
    'sandbox exec') echo 'sandbox ...' ;;
    'sandbox restore') echo 'sandbox ...' ;;
    'sandbox publish') echo 'sandbox none ...' ;;
    'sandbox unpublish') echo 'sandbox none ...' ;;
    'port') echo 'sandbox none' ;;
    'endpoint connect') echo 'sandbox network' ;;
    'endpoint disconnect') echo 'sandbox joined-network' ;;
    'endpoint ls') echo 'network' ;;
    'inspect') echo 'any ...' ;;
    'cluster join') echo 'none' ;;
    'cni install') echo 'network ...' ;;
    'completion') echo 'none' ;;
  esac
}

# Live names from state (honours --state-dir typed on the line); $2: the sandbox of a joined-network.
_cnm_names() {
  local sd=() i
  for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
    case "${COMP_WORDS[i]}" in
      --state-dir) sd=(--state-dir "${COMP_WORDS[i + 1]}") ;;
      --state-dir=*) sd=("${COMP_WORDS[i]}") ;;
    esac
  done
  case "$1" in
    network | any) "${COMP_WORDS[0]}" net ls --format '{{.Name}}' "${sd[@]}" 2>/dev/null ;;
    custom-network) "${COMP_WORDS[0]}" net ls --filter type=custom --format '{{.Name}}' "${sd[@]}" 2>/dev/null ;;
    joined-network) [[ -n $2 ]] && "${COMP_WORDS[0]}" sandbox inspect "$2" --format '{{range $k, $v := .NetworkSettings.Networks}}{{println $k}}{{end}}' "${sd[@]}" 2>/dev/null ;;
  esac
  case "$1" in
    sandbox | any) "${COMP_WORDS[0]}" sandbox ls --format '{{.Name}}' "${sd[@]}" 2>/dev/null ;;
  esac
}

# Sets COMPREPLY for a word of kind $1, plus the words in $2 ($prev: the positional typed before it).
_cnm_reply() {
  case "$1" in
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    driver) COMPREPLY=($(compgen -W 'bridge macvlan ipvlan overlay' -- "$cur")) ;;
    network | sandbox | any | custom-network) COMPREPLY=($(compgen -W "$2 $(_cnm_names "$1")" -- "$cur")) ;;
    joined-network) COMPREPLY=($(compgen -W "$2 $(_cnm_names "$1" "$prev")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$2" -- "$cur")) ;;
  esac
}

_cnm() {
  local cur="${COMP_WORDS[COMP_CWORD]}" cpath='' cmd='' want='' w i npos=0 dd=0 prev=''
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ -n $want ]]; then want=''; continue; fi
    if ((dd)); then continue; fi
    if [[ $w == -- ]]; then dd=$i; continue; fi
    if [[ $w == -* ]]; then
      [[ $w == *=* ]] || want=$(_cnm_optarg "$cmd" "$w")
      continue
    fi
    if ((npos == 0)) && [[ " $(_cnm_children "$cpath") " == *" $w "* ]]; then
      cpath="${cpath:+$cpath }$w"
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
    n=${#kinds[@]}
    if ((npos < n)) && [[ ${kinds[npos]} != ... ]]; then
      kind=${kinds[npos]}
    elif ((n > 1)) && [[ ${kinds[n - 1]} == ... ]]; then
      kind=${kinds[n - 2]}
    fi
  fi
  _cnm_reply "$kind" "$words"
}

complete -F _cnm cnm
