/**
 * The hand-written part of the man page: what cnm is, its concepts, files,
 * exit codes and examples. The per-command part is rendered from the command
 * definitions (manpage.ts). Text may use `code` spans.
 */
export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'item'; term: string; text: string }
  | { kind: 'sub'; title: string }
  | { kind: 'code'; text: string };

export interface Section {
  title: string;
  blocks: Block[];
}

const p = (text: string): Block => ({ kind: 'p', text });
const item = (term: string, text: string): Block => ({ kind: 'item', term, text });
const sub = (title: string): Block => ({ kind: 'sub', title });
const code = (text: string): Block => ({ kind: 'code', text });

export const OVERVIEW: Section[] = [
  {
    title: 'DESCRIPTION',
    blocks: [
      p(
        'cnm builds container networks on Linux the way Docker\'s Container Network Model (CNM) describes them, without a daemon. Each run loads its state, does the kernel work (links and addresses through iproute2, firewall and NAT through nftables), saves the state and exits. The only long-lived process is the embedded DNS server, which starts by itself when the first DNS-enabled endpoint appears.',
      ),
      p(
        'Every command that changes something accepts `--dry-run`: it prints, as shell you can run (`bash -e`), the exact `ip`, `nft` and `sysctl` work, file writes and DNS server start it would do, in order, each only once, and changes nothing. It is the shortest way to see what a container engine does behind the curtain. Two commands print a report instead, because what they do depends on what they find: `cnm reconcile --dry-run` and `cnm sandbox restore --dry-run` print one line per finding, `would repair: OBJECT: PROBLEM -> ACTION` (or `needs restore: ...`), then `N problem(s) found; nothing changed (dry run)`, or `nothing to do: the kernel matches state`; with `--json`, the findings as one JSON document.',
      ),
    ],
  },
  {
    title: 'CONCEPTS',
    blocks: [
      item(
        'sandbox',
        'A container\'s network stack: a Linux network namespace with its interfaces, routes, resolv.conf, hosts file and firewall. cnm names it like the sandbox, so `ip netns exec NAME` works, and keeps its resolv.conf and hosts in /etc/netns/NAME/. A sandbox can adopt the namespace of a running process (`--pid`) instead of creating one.',
      ),
      item(
        'endpoint',
        'What joins one sandbox to one network: one end of a veth pair (or a macvlan or ipvlan child) inside the sandbox, named eth0, eth1, ... in connection order, with its addresses, MAC address and DNS aliases. The first network with a gateway gives the sandbox its default route.',
      ),
      item(
        'network',
        'A group of endpoints that reach each other directly, made by a driver: `bridge` (a Linux bridge with a gateway address, NAT to the outside and isolation from other networks), `macvlan` and `ipvlan` (children of a parent interface), `overlay` (a VXLAN spanning hosts). Sandboxes reach each other only through a network they share.',
      ),
      item(
        'built-in networks',
        '`bridge` (the default, a bridge named cnm0 on 172.17.0.0/16 with NAT and no embedded DNS, like docker0), `host` (the sandbox shares the host\'s namespace) and `none` (loopback only). They cannot be removed.',
      ),
      item(
        'IPAM',
        'Without `--subnet`, a network takes a free subnet from 172.17-31.0.0/16, then 192.168.0.0/16 in /20s, skipping any that overlaps another network or a host route. Addresses are handed out in order and not reused until the range wraps.',
      ),
      item(
        'embedded DNS',
        'On user-defined networks a sandbox resolves the names and aliases of every sandbox it shares a network with, and no others; a sandbox name beats an alias. NAME.NETWORK is always NAME on NETWORK (a sandbox named like that loses to it); names under any cnm network and reverse names of its bridge and overlay subnets are answered on the host (NXDOMAIN when out of the asker\'s view) and never forwarded. Other names go to the host\'s resolvers.',
      ),
      item('names and IDs', 'Names match [a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}. IDs are 64 hex characters; any unique prefix works wherever a name does (a name wins over a prefix), as in Docker. The built-in networks have fixed IDs from the first read on.'),
    ],
  },
  {
    title: 'OUTPUT',
    blocks: [
      p('Human output is an aligned table, coloured only on a terminal and never when NO_COLOR is set. For scripts:'),
      item('--json', 'One JSON document and nothing else on stdout (ls, inspect, port, dns status). The shapes follow docker network inspect and docker container inspect.'),
      item('-q, --quiet', 'IDs only, one per line (ls): the 12-character short ID, as Docker prints it; the whole 64 with --no-trunc, which also widens the table\'s ID column.'),
      item(
        '--format TEMPLATE',
        'Each object\'s JSON view through Go\'s text/template as Docker documents it, one line per object (ls, inspect): fields (`{{.Name}}`, `{{.NetworkSettings.Ports}}`), `range`/`if`/`with`/`else`/`end`, variables, parentheses and pipelines, and the functions `json`, `join`, `split`, `lower`, `upper`, `title`, `pad`, `truncate`, `len`, `index`, `slice`, `print`, `printf`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `and`, `or`, `not`. `table {{.Name}}\\t{{.Driver}}` prints a header row and aligned columns; `json` prints each object as one line of JSON. A field that does not exist is an error (exit 2) naming it and the fields that do; a missing map key prints <no value>.',
      ),
      p('Errors are one line on stderr, `cnm: what went wrong and what to do`, never a stack trace.'),
    ],
  },
  {
    title: 'ENVIRONMENT',
    blocks: [
      item('CNM_STATE_DIR', 'Where state.json lives, like `--state-dir` (default /var/lib/cnm).'),
      item('CNM_DEBUG', 'Set to 1 to log every kernel command with its duration on stderr, like `--debug`.'),
      item('CNM_NETLINK', 'Set to 0 to make links, addresses, routes, fdb entries and namespaces with `ip -batch` and `bridge -batch` processes (bind mounts with `mount`, an endpoint\'s spoof-check set elements with `nft -f`) instead of over a netlink socket and system calls from cnm itself (the default in the binary); both make the same kernel objects and fail with the same messages.'),
      item('NO_COLOR', 'When set, output is never coloured.'),
    ],
  },
  {
    title: 'FILES',
    blocks: [
      item('/var/lib/cnm/state.json', 'All networks, sandboxes and endpoints (one JSON document, a sandbox or endpoint a line), with a schema version; written atomically under an exclusive lock (state.lock beside it), so parallel runs serialize. state.stamp beside it marks the text cnm wrote last, whose shape checks need not run again.'),
      item('/run/netns/NAME', 'The network namespace of sandbox NAME, as `ip netns` knows it.'),
      item('/etc/netns/NAME/', 'resolv.conf, hosts and hostname of sandbox NAME, seen by `ip netns exec` and `cnm sandbox exec`.'),
      item('/run/cnm/', 'Runtime files of the DNS server: dns.pid, dns.addrs (where it listens), dns.log, and dns.ctl, its control socket (mode 0600, root only), on which it sends set-element batches for cnm commands.'),
    ],
  },
  {
    title: 'EXIT STATUS',
    blocks: [
      item('0', 'Success.'),
      item('1', 'The operation failed, and was rolled back: the kernel and the state are as before.'),
      item('2', 'Bad usage or bad input.'),
      item('3', 'No such object.'),
      item('4', 'Conflict: the object exists, is in use, or overlaps another; or a network has no room left (no free address, no free port on its bridge).'),
      p('`cnm sandbox exec` exits with the status of the command it ran. `cnm doctor` exits 0 only when every check passes.'),
    ],
  },
  {
    title: 'EXAMPLES',
    blocks: [
      sub('Three tiers: web reaches api, api reaches db, web cannot reach db'),
      code(
        [
          'cnm net create frontend',
          'cnm net create backend',
          'cnm sandbox add db --network backend',
          'cnm sandbox add api --network frontend --network backend',
          'cnm sandbox add web --network frontend',
          'cnm sandbox exec web -- ping -c1 api',
          'cnm graph',
        ].join('\n'),
      ),
      sub('See the kernel work before doing it'),
      code('cnm sandbox add web --network frontend --dry-run'),
      sub('Addresses for a script'),
      code("cnm endpoint ls --format '{{.Sandbox}} {{.IPv4Address}}'"),
      sub('Clean up'),
      code('cnm sandbox rm web api db\ncnm net rm frontend backend'),
    ],
  },
  {
    title: 'SEE ALSO',
    blocks: [p('ip(8), ip-netns(8), bridge(8), nft(8), veth(4), namespaces(7), network_namespaces(7)')],
  },
];
