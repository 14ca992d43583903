# fish completion for cnm.
# Generated from cnm's command definitions by `npx bun scripts/gen-docs.ts`; do not edit by hand.
# Install: copy to ~/.config/fish/completions/cnm.fish (or /usr/share/fish/vendor_completions.d/).

# Words that may follow the command words typed so far, as word<TAB>description lines.
function __cnm_children
    switch "$argv[1]"
        case ''
            printf '%s\n' 'net	Networks' 'network	Networks' 'sandbox	Sandboxes' 'reconcile	Compare the kernel with state and repair the difference' 'port	List a sandbox\'s published ports, like docker port' 'endpoint	Endpoints' 'inspect	Show any object (network, sandbox or endpoint) as JSON' 'dns	DNS' 'cluster	Cluster' 'graph	Draw the networks, bridges, veth pairs, sandboxes, addresses and ports' 'cni	CNI' 'doctor	Check what cnm needs from this host, and how to fix what is missing' 'completion	Print the shell completion script for bash, zsh or fish'
        case 'net'
            printf '%s\n' 'create	Create a network' 'rm	Remove networks' 'update	Change the peers of a live overlay network' 'ls	List networks' 'inspect	Show networks as JSON (the shape of docker network inspect)' 'prune	Remove every user network that has no endpoints' 'connect	Connect a sandbox to a network (docker network connect; the same as endpoint connect SANDBOX NETWORK)' 'disconnect	Disconnect a sandbox from a network (docker network disconnect; the same as endpoint disconnect SANDBOX NETWORK)'
        case 'network'
            printf '%s\n' 'create	Create a network' 'rm	Remove networks' 'update	Change the peers of a live overlay network' 'ls	List networks' 'inspect	Show networks as JSON (the shape of docker network inspect)' 'prune	Remove every user network that has no endpoints' 'connect	Connect a sandbox to a network (docker network connect; the same as endpoint connect SANDBOX NETWORK)' 'disconnect	Disconnect a sandbox from a network (docker network disconnect; the same as endpoint disconnect SANDBOX NETWORK)'
        case 'sandbox'
            printf '%s\n' 'add	Create a sandbox (a network namespace) and connect it to networks' 'rm	Remove sandboxes' 'ls	List sandboxes' 'inspect	Show sandboxes as JSON (docker inspect\'s NetworkSettings, Config, HostConfig)' 'exec	Run a command inside a sandbox' 'restore	Recreate sandboxes whose namespace is gone (after a reboot)' 'publish	Publish ports of a running sandbox on the host' 'unpublish	Remove published ports from a running sandbox'
        case 'endpoint'
            printf '%s\n' 'connect	Connect a sandbox to a network' 'disconnect	Disconnect a sandbox from a network' 'ls	List endpoints, of one network or of all'
        case 'dns'
            printf '%s\n' 'serve	Run the embedded DNS server in the foreground' 'status	Tell whether the embedded DNS server runs' 'stop	Stop the embedded DNS server'
        case 'cluster'
            printf '%s\n' 'join	Join this host to a cluster store (etcd v3)' 'ls	List the hosts of the cluster' 'status	Tell this host\'s membership: store, name, agent, lease' 'leave	Leave the cluster' 'agent	Run this host\'s cluster agent in the foreground'
        case 'cni'
            printf '%s\n' 'install	Make cnm networks usable by CNI runtimes (containerd, nerdctl, CRI-O, Podman)'
    end
end

# The command that the typed words name (other spellings resolved), if they name one.
function __cnm_command
    switch "$argv[1]"
        case 'net create' 'network create'
            echo 'net create'
        case 'net rm' 'network rm'
            echo 'net rm'
        case 'net update' 'network update'
            echo 'net update'
        case 'net ls' 'network ls'
            echo 'net ls'
        case 'net inspect' 'network inspect'
            echo 'net inspect'
        case 'net prune' 'network prune'
            echo 'net prune'
        case 'net connect' 'network connect'
            echo 'net connect'
        case 'net disconnect' 'network disconnect'
            echo 'net disconnect'
        case 'sandbox add'
            echo 'sandbox add'
        case 'sandbox rm'
            echo 'sandbox rm'
        case 'sandbox ls'
            echo 'sandbox ls'
        case 'sandbox inspect'
            echo 'sandbox inspect'
        case 'sandbox exec'
            echo 'sandbox exec'
        case 'sandbox restore'
            echo 'sandbox restore'
        case 'reconcile'
            echo 'reconcile'
        case 'sandbox publish'
            echo 'sandbox publish'
        case 'sandbox unpublish'
            echo 'sandbox unpublish'
        case 'port'
            echo 'port'
        case 'endpoint connect'
            echo 'endpoint connect'
        case 'endpoint disconnect'
            echo 'endpoint disconnect'
        case 'endpoint ls'
            echo 'endpoint ls'
        case 'inspect'
            echo 'inspect'
        case 'dns serve'
            echo 'dns serve'
        case 'dns status'
            echo 'dns status'
        case 'dns stop'
            echo 'dns stop'
        case 'cluster join'
            echo 'cluster join'
        case 'cluster ls'
            echo 'cluster ls'
        case 'cluster status'
            echo 'cluster status'
        case 'cluster leave'
            echo 'cluster leave'
        case 'cluster agent'
            echo 'cluster agent'
        case 'graph'
            echo 'graph'
        case 'cni install'
            echo 'cni install'
        case 'doctor'
            echo 'doctor'
        case 'completion'
            echo 'completion'
    end
end

# Options of a command, as option<TAB>description lines.
function __cnm_options
    switch "$argv[1]"
        case 'net create'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--driver	Driver: bridge, macvlan, ipvlan or overlay' '-d	Driver: bridge, macvlan, ipvlan or overlay' '--subnet	Subnet in CIDR form (one IPv4, one IPv6)' '--gateway	Gateway for the subnet given in the same position' '--ip-range	Hand out endpoint addresses from this CIDR only' '--ipv6	Add an IPv6 subnet (a ULA /64 unless --subnet gives one)' '--internal	No route out and no NAT' '--no-dns	No embedded DNS on this network' '--mtu	MTU of the network and its endpoints (IPv6, bridge and overlay networks: at least 1280; others 68)' '--parent	Parent interface (macvlan, ipvlan)' '--mode	macvlan: bridge|private|vepa|passthru; ipvlan: l2|l3|l3s' '--vni	VXLAN network identifier (overlay)' '--peer	Underlay address of another host (overlay)' '--local	This host\'s underlay address (overlay)' '--label	Metadata KEY=VALUE' '--opt	Driver option KEY=VALUE (bridge, overlay: spoofcheck=false)' '-o	Driver option KEY=VALUE (bridge, overlay: spoofcheck=false)' '--aux-address	Reserve an address of the subnet for NAME=IP: no endpoint gets it' '--dns	Upstream resolver of this network\'s sandboxes, behind the embedded DNS (repeatable)' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net rm'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--force	Disconnect attached endpoints first' '-f	Disconnect attached endpoints first' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net update'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--add-peer	Underlay address of a host to add as a peer' '--remove-peer	Underlay address of a peer to drop' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net ls'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array' '--quiet	Print network IDs only' '-q	Print network IDs only' '--format	Print each object through a Go template over its JSON view, as docker does: \'{{.Name}} {{.Id}}\', \'table {{.Name}}\\t{{.Driver}}\', \'json\'' '--filter	Only networks that match: driver=, id=, label=K[=V], name=, scope=local|global, type=custom|builtin (repeatable)' '--no-trunc	Show whole IDs' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net inspect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array (the default)' '--format	Print each object through a Go template over its JSON view, as docker does: \'{{.Name}} {{.Id}}\', \'table {{.Name}}\\t{{.Driver}}\', \'json\'' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net prune'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--force	Do not ask (cnm never asks; accepted as Docker has it)' '-f	Do not ask (cnm never asks; accepted as Docker has it)' '--filter	Only networks that match: label=K[=V], label!=K[=V] (repeatable)' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net connect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--ip	IPv4 address for the endpoint' '--ip6	IPv6 address for the endpoint' '--alias	Extra DNS name on this network (repeatable)' '--mac	MAC address of the sandbox-side interface' '--mac-address	MAC address of the sandbox-side interface' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'net disconnect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--force	No error when the sandbox is not connected to the network' '-f	No error when the sandbox is not connected to the network' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox add'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--network	Network to join (repeatable; default: bridge)' '--net	Network to join (repeatable; default: bridge)' '--ip	IPv4 address on the first network' '--ip6	IPv6 address on the first network' '--mac	MAC address on the first network' '--mac-address	MAC address on the first network' '--alias	Extra DNS name on every network (repeatable)' '--hostname	Host name written to the sandbox\'s hosts file (default: NAME)' '--dns	Upstream resolver: behind the embedded DNS on a DNS network, else in resolv.conf (repeatable)' '--dns-search	Search domain for resolv.conf (repeatable)' '--dns-option	resolv.conf option, e.g. ndots:2 (repeatable)' '--add-host	Add NAME:IP to the hosts file; IP may be host-gateway (repeatable)' '--label	Metadata KEY=VALUE, or KEY alone for an empty value (repeatable)' '--netns	Adopt this network namespace file instead of creating one' '--pid	Adopt the network namespace of this process' '--publish	Publish a port: [HOST_IP:][HOST_PORT[-END]:]PORT[-END][/tcp|udp|sctp] (repeatable)' '-p	Publish a port: [HOST_IP:][HOST_PORT[-END]:]PORT[-END][/tcp|udp|sctp] (repeatable)' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox rm'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--force	Kill processes still running inside (SIGKILL) instead of refusing with exit 4' '-f	Kill processes still running inside (SIGKILL) instead of refusing with exit 4' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox ls'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array' '--quiet	Print sandbox IDs only' '-q	Print sandbox IDs only' '--format	Print each object through a Go template over its JSON view, as docker does: \'{{.Name}} {{.Id}}\', \'table {{.Name}}\\t{{.Driver}}\', \'json\'' '--filter	Only sandboxes that match: id=, label=K[=V], name=, network=, status=up|netns missing (repeatable)' '--no-trunc	Show whole IDs' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox inspect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array (the default)' '--format	Print each object through a Go template over its JSON view, as docker does: \'{{.Name}} {{.Id}}\', \'table {{.Name}}\\t{{.Driver}}\', \'json\'' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox exec'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox restore'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--dry-run	Report what would be recreated and repaired, and change nothing' '--json	Print the findings as one JSON document' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'reconcile'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--dry-run	Report what is wrong and change nothing' '--restore	Recreate sandboxes whose namespace is gone, with their addresses' '--json	Print the findings as one JSON document' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox publish'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'sandbox unpublish'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'port'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON object keyed by PORT/PROTO' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'endpoint connect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--ip	IPv4 address for the endpoint' '--ip6	IPv6 address for the endpoint' '--alias	Extra DNS name on this network (repeatable)' '--mac	MAC address of the sandbox-side interface' '--mac-address	MAC address of the sandbox-side interface' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'endpoint disconnect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--dry-run	Print the kernel work as shell and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'endpoint ls'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array' '--quiet	Print endpoint IDs only' '-q	Print endpoint IDs only' '--format	Print each object through a Go template over its JSON view, as docker does: \'{{.Name}} {{.Id}}\', \'table {{.Name}}\\t{{.Driver}}\', \'json\'' '--no-trunc	Show whole IDs' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'inspect'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array (the default)' '--format	Print each object through a Go template over its JSON view, as docker does: \'{{.Name}} {{.Id}}\', \'table {{.Name}}\\t{{.Driver}}\', \'json\'' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'dns serve'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--idle-exit	Exit when no DNS-enabled network with endpoints is left' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'dns status'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON object' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'dns stop'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'cluster join'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--advertise	This host\'s underlay address (default: the source address towards the store)' '--name	This host\'s name in the cluster (default: the hostname)' '--cacert	The CA certificate that signed the store\'s certificate' '--cert	The client certificate (etcd --client-cert-auth)' '--key	The client certificate\'s key (mode 0600)' '--pool	Subnet pool of cluster networks, cut in /24s (default 10.210.0.0/16; the first host to give one sets it)' '--ttl	Seconds without the agent before this host counts as dead (2-3600)' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'cluster ls'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON array' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'cluster status'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print a JSON object' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'cluster leave'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--force	Disconnect endpoints on cluster networks first' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'cluster agent'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'graph'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--dot	Print Graphviz DOT instead of a text diagram' '--network	Draw only this network and its sandboxes' '--net	Draw only this network and its sandboxes' '--json	Print the topology as JSON' '--width	Wrap rows of sandboxes at this many columns (default: the terminal\'s, or 100)' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'cni install'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--bin-dir	Where the runtime looks for plugins (default /opt/cni/bin)' '--conf-dir	Where the runtime reads network configurations (default /etc/cni/net.d)' '--dry-run	Print what would be linked and written, as shell, and change nothing' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'doctor'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--json	Print the checks as a JSON array' '--help	Show the help of this command' '-h	Show the help of this command'
        case 'completion'
            printf '%s\n' '--state-dir	Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)' '--debug	Log every kernel command with its duration on stderr (env CNM_DEBUG=1)' '--help	Show the help of this command' '-h	Show the help of this command'
        case '*'
            printf '%s\n' '--help	Show help' '--version	Show the version'
    end
end

# What the value of an option names (network, sandbox, driver, file, value); nothing for a flag.
function __cnm_optarg
    switch "$argv[1] $argv[2]"
        case 'net create --state-dir'
            echo file
        case 'net create --driver'
            echo driver
        case 'net create -d'
            echo driver
        case 'net create --subnet'
            echo value
        case 'net create --gateway'
            echo value
        case 'net create --ip-range'
            echo value
        case 'net create --mtu'
            echo value
        case 'net create --parent'
            echo value
        case 'net create --mode'
            echo value
        case 'net create --vni'
            echo value
        case 'net create --peer'
            echo value
        case 'net create --local'
            echo value
        case 'net create --label'
            echo value
        case 'net create --opt'
            echo value
        case 'net create -o'
            echo value
        case 'net create --aux-address'
            echo value
        case 'net create --dns'
            echo value
        case 'net rm --state-dir'
            echo file
        case 'net update --state-dir'
            echo file
        case 'net update --add-peer'
            echo value
        case 'net update --remove-peer'
            echo value
        case 'net ls --state-dir'
            echo file
        case 'net ls --format'
            echo value
        case 'net ls --filter'
            echo value
        case 'net inspect --state-dir'
            echo file
        case 'net inspect --format'
            echo value
        case 'net prune --state-dir'
            echo file
        case 'net prune --filter'
            echo value
        case 'net connect --state-dir'
            echo file
        case 'net connect --ip'
            echo value
        case 'net connect --ip6'
            echo value
        case 'net connect --alias'
            echo value
        case 'net connect --mac'
            echo value
        case 'net connect --mac-address'
            echo value
        case 'net disconnect --state-dir'
            echo file
        case 'sandbox add --state-dir'
            echo file
        case 'sandbox add --network'
            echo network
        case 'sandbox add --net'
            echo network
        case 'sandbox add --ip'
            echo value
        case 'sandbox add --ip6'
            echo value
        case 'sandbox add --mac'
            echo value
        case 'sandbox add --mac-address'
            echo value
        case 'sandbox add --alias'
            echo value
        case 'sandbox add --hostname'
            echo value
        case 'sandbox add --dns'
            echo value
        case 'sandbox add --dns-search'
            echo value
        case 'sandbox add --dns-option'
            echo value
        case 'sandbox add --add-host'
            echo value
        case 'sandbox add --label'
            echo value
        case 'sandbox add --netns'
            echo file
        case 'sandbox add --pid'
            echo value
        case 'sandbox add --publish'
            echo value
        case 'sandbox add -p'
            echo value
        case 'sandbox rm --state-dir'
            echo file
        case 'sandbox ls --state-dir'
            echo file
        case 'sandbox ls --format'
            echo value
        case 'sandbox ls --filter'
            echo value
        case 'sandbox inspect --state-dir'
            echo file
        case 'sandbox inspect --format'
            echo value
        case 'sandbox exec --state-dir'
            echo file
        case 'sandbox restore --state-dir'
            echo file
        case 'reconcile --state-dir'
            echo file
        case 'sandbox publish --state-dir'
            echo file
        case 'sandbox unpublish --state-dir'
            echo file
        case 'port --state-dir'
            echo file
        case 'endpoint connect --state-dir'
            echo file
        case 'endpoint connect --ip'
            echo value
        case 'endpoint connect --ip6'
            echo value
        case 'endpoint connect --alias'
            echo value
        case 'endpoint connect --mac'
            echo value
        case 'endpoint connect --mac-address'
            echo value
        case 'endpoint disconnect --state-dir'
            echo file
        case 'endpoint ls --state-dir'
            echo file
        case 'endpoint ls --format'
            echo value
        case 'inspect --state-dir'
            echo file
        case 'inspect --format'
            echo value
        case 'dns serve --state-dir'
            echo file
        case 'dns status --state-dir'
            echo file
        case 'dns stop --state-dir'
            echo file
        case 'cluster join --state-dir'
            echo file
        case 'cluster join --advertise'
            echo value
        case 'cluster join --name'
            echo value
        case 'cluster join --cacert'
            echo value
        case 'cluster join --cert'
            echo value
        case 'cluster join --key'
            echo value
        case 'cluster join --pool'
            echo value
        case 'cluster join --ttl'
            echo value
        case 'cluster ls --state-dir'
            echo file
        case 'cluster status --state-dir'
            echo file
        case 'cluster leave --state-dir'
            echo file
        case 'cluster agent --state-dir'
            echo file
        case 'graph --state-dir'
            echo file
        case 'graph --network'
            echo network
        case 'graph --net'
            echo network
        case 'graph --width'
            echo value
        case 'cni install --state-dir'
            echo file
        case 'cni install --bin-dir'
            echo value
        case 'cni install --conf-dir'
            echo value
        case 'doctor --state-dir'
            echo file
        case 'completion --state-dir'
            echo file
        case '* --state-dir'
            echo file
    end
end

# What each positional argument names, in order ("..." repeats the last).
function __cnm_positionals
    switch "$argv[1]"
        case 'net create'
            echo 'none'
        case 'net rm'
            echo 'custom-network' '...'
        case 'net update'
            echo 'network'
        case 'net inspect'
            echo 'network' '...'
        case 'net connect'
            echo 'network' 'sandbox'
        case 'net disconnect'
            echo 'network' 'sandbox'
        case 'sandbox add'
            echo 'none'
        case 'sandbox rm'
            echo 'sandbox' '...'
        case 'sandbox inspect'
            echo 'sandbox' '...'
        case 'sandbox exec'
            echo 'sandbox' '...'
        case 'sandbox restore'
            echo 'sandbox' '...'
        case 'sandbox publish'
            echo 'sandbox' 'none' '...'
        case 'sandbox unpublish'
            echo 'sandbox' 'none' '...'
        case 'port'
            echo 'sandbox' 'none'
        case 'endpoint connect'
            echo 'sandbox' 'network'
        case 'endpoint disconnect'
            echo 'sandbox' 'joined-network'
        case 'endpoint ls'
            echo 'network'
        case 'inspect'
            echo 'any' '...'
        case 'cluster join'
            echo 'none'
        case 'cni install'
            echo 'network' '...'
        case 'completion'
            echo 'none'
    end
end

# Live names from state (honours --state-dir typed on the line); $argv[2]: the sandbox of a joined-network.
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
            printf '%s\n' bridge macvlan ipvlan overlay
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
        if test $npos -eq 0; and contains -- $w (__cnm_children "$cpath" | string replace -r '\t.*' '')
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
