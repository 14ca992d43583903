/**
 * --format is Go's text/template as Docker documents it. The table below takes
 * the examples of Docker's formatting reference ("Format command and log
 * output"), of the `docker inspect` and `docker network ls` references, and of
 * Go's text/template package documentation, with the output each gives.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { asMap, compileTemplate, headerName, renderEach, tabwrite } from '../../src/core/template/index.js';

/** A container as `docker inspect` shows it (the fields the examples use). */
const container = {
  Id: 'd2cc496561d6d520cbc0236b4ba88c362c446a7619992123f11c809cded25b47',
  Name: '/Web_App',
  Args: ['-c', 'echo hi'],
  Image: 'ubuntu:latest',
  LogPath: '/var/lib/docker/containers/d2cc/d2cc-json.log',
  Mounts: [{ Type: 'volume', Source: '/data', Destination: '/srv' }],
  Config: { Image: 'ubuntu', Hostname: 'd2cc496561d6' },
  NetworkSettings: {
    Ports: asMap({ '8787/tcp': [{ HostIp: '0.0.0.0', HostPort: '16001' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }] }),
    Networks: asMap({
      bridge: { IPAddress: '172.17.0.2', MacAddress: '02:42:ac:11:00:02' },
      front: { IPAddress: '172.18.0.2', MacAddress: '02:42:ac:12:00:02' },
    }),
  },
  Labels: asMap({ com_example_tier: 'web' }),
};

const images = [
  { ID: '4b6a4f3b7f15', Repository: 'ubuntu', Tag: 'latest', Size: '77.8MB' },
  { ID: '9c7a54a9a43c', Repository: 'hello-world', Tag: 'linux', Size: '13.3kB' },
];

const networks = [
  { ID: 'afaaab448eb2', Name: 'bridge', Driver: 'bridge' },
  { ID: 'd1584f8dc718', Name: 'host', Driver: 'host' },
];

describe("Docker's documented examples", () => {
  it.each([
    // docs: config/formatting
    ['{{join .Args " , "}}', '-c , echo hi'],
    ['{{json .Mounts}}', '[{"Type":"volume","Source":"/data","Destination":"/srv"}]'],
    ['{{lower .Name}}', '/web_app'],
    ['{{split .Image ":"}}', '[ubuntu latest]'],
    ['{{title .Name}}', '/Web_App'],
    ['{{upper .Name}}', '/WEB_APP'],
    ['{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}', '172.17.0.2\n172.18.0.2\n'],
    // docs: reference/commandline/inspect
    ['{{range.NetworkSettings.Networks}}{{.IPAddress}}{{end}}', '172.17.0.2172.18.0.2'],
    ['{{range.NetworkSettings.Networks}}{{.MacAddress}}{{end}}', '02:42:ac:11:00:0202:42:ac:12:00:02'],
    ['{{.LogPath}}', '/var/lib/docker/containers/d2cc/d2cc-json.log'],
    ['{{.Config.Image}}', 'ubuntu'],
    ['{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}', ' 53/udp -> 5353  8787/tcp -> 16001 '],
    ['{{(index (index .NetworkSettings.Ports "8787/tcp") 0).HostPort}}', '16001'],
    ['{{json .Config}}', '{"Image":"ubuntu","Hostname":"d2cc496561d6"}'],
    // Go's text/template documentation: each of these prints "output" quoted
    ['{{"\\"output\\""}}', '"output"'],
    ['{{`"output"`}}', '"output"'],
    ['{{printf "%q" "output"}}', '"output"'],
    ['{{"output" | printf "%q"}}', '"output"'],
    ['{{printf "%q" (print "out" "put")}}', '"output"'],
    ['{{"put" | printf "%s%s" "out" | printf "%q"}}', '"output"'],
    ['{{"output" | printf "%s" | printf "%q"}}', '"output"'],
    ['{{with "output"}}{{printf "%q" .}}{{end}}', '"output"'],
    ['{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', '"output"'],
    ['{{with $x := "output"}}{{printf "%q" $x}}{{end}}', '"output"'],
    ['{{with $x := "output"}}{{$x | printf "%q"}}{{end}}', '"output"'],
  ])('%s', (template, output) => {
    expect(compileTemplate(template)(container)).toBe(output);
  });

  it('table: a header row, cells aligned as Docker\'s tabwriter does (docker image list)', () => {
    expect(renderEach('table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}\\t{{.Size}}', images, { headers: { ID: 'IMAGE ID' } })).toBe(
      'IMAGE ID       REPOSITORY    TAG       SIZE\n' + '4b6a4f3b7f15   ubuntu        latest    77.8MB\n' + '9c7a54a9a43c   hello-world   linux     13.3kB\n',
    );
  });

  it('docker network ls --format "{{.ID}}: {{.Driver}}" and "table {{.ID}}\\t{{.Name}}"', () => {
    expect(renderEach('{{.ID}}: {{.Driver}}', networks)).toBe('afaaab448eb2: bridge\nd1584f8dc718: host\n');
    expect(renderEach('table {{.ID}}\t{{.Name}}', networks, { headers: { ID: 'NETWORK ID' } })).toBe(
      'NETWORK ID     NAME\nafaaab448eb2   bridge\nd1584f8dc718   host\n',
    );
  });

  it("--format json prints each object as one line of JSON (docker's --format json)", () => {
    expect(renderEach('json', networks)).toBe(`${JSON.stringify(networks[0])}\n${JSON.stringify(networks[1])}\n`);
  });
});

describe('the rest of Go text/template', () => {
  const v = { Name: 'web', N: 3, Empty: '', List: ['a', 'b', 'c'], None: [] as string[], On: true, Nil: null, M: asMap({ b: 2, a: 1 }), S: { X: 1, Y: 'y' } };
  it.each([
    ['{{if .On}}yes{{else}}no{{end}}', 'yes'],
    ['{{if .Empty}}yes{{else if .N}}n={{.N}}{{else}}no{{end}}', 'n=3'],
    ['{{if not .None}}none{{end}}', 'none'],
    ['{{if and .On .N}}both{{end}}{{if or .Empty .Nil}}x{{else}}neither{{end}}', 'bothneither'],
    ['{{if eq .Name "db" "web"}}match{{end}} {{if ne .N 3}}x{{else}}three{{end}}', 'match three'],
    ['{{if lt .N 4}}lt{{end}}{{if ge .N 3}}ge{{end}}{{if gt .Name "a"}}gt{{end}}', 'ltgegt'],
    ['{{range .None}}x{{else}}empty{{end}}', 'empty'],
    ['{{range $i, $e := .List}}{{$i}}={{$e}};{{end}}', '0=a;1=b;2=c;'],
    ['{{range .List}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', 'ac'],
    ['{{range .List}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', 'a'],
    ['{{range $k, $v := .M}}{{$k}}{{$v}}{{end}}', 'a1b2'],
    ['{{with .Empty}}x{{else}}nothing{{end}}', 'nothing'],
    ['{{with .S}}{{.Y}}{{$.Name}}{{end}}', 'yweb'],
    ['{{$x := 1}}{{if .On}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{len .List}} {{len .M}} {{len .Name}}', '3 2 3'],
    ['{{index .List 1}} {{index .M "a"}}|{{index .M "zz"}}|', 'b 1||'],
    ['{{slice .List 1}} {{slice .Name 0 2}}', '[b c] we'],
    ['{{.M}} {{.S}} {{.List}} {{.Nil}}', 'map[a:1 b:2] {1 y} [a b c] <nil>'],
    ['{{.M.zz}}', '<no value>'],
    ['{{print 1 2 "a" 3}} {{println "x" 1}}', '1 2a3 x 1\n'],
    ['{{printf "%5.1f|%-4d|%04d|%x|%t|%v|%%" 3.14159 7 42 255 true .List}}', '  3.1|7   |0042|ff|true|[a b c]|%'],
    ['{{pad .Name 2 1}}|{{truncate .Name 2}}', '  web |we'],
    ['{{- "a" }}  \n {{- "b" -}}  c', 'abc'],
    ['a{{/* a comment */}}b', 'ab'],
    ['{{.Name}}\\t{{.N}}\\n', 'web\t3\n'],
    ['{{title "hello wide world"}}', 'Hello Wide World'],
    ['{{join (split "a:b:c" ":") "-"}}', 'a-b-c'],
    ['{{"}}"}}', '}}'],
  ])('%s', (template, output) => {
    expect(compileTemplate(template)(v)).toBe(output);
  });
});

describe('mistakes are bad usage (exit 2), one line naming what is wrong', () => {
  const v = { Name: 'web', NetworkSettings: { Ports: asMap({}), Networks: asMap({}) } };
  it.each([
    ['{{.Nope}}', '.Nope does not exist (. has: Name, NetworkSettings)'],
    ['{{.NetworkSettings.Portz}}', '.NetworkSettings.Portz does not exist (.NetworkSettings has: Ports, Networks)'],
    ['{{.Name', 'invalid --format "{{.Name": unclosed "{{"'],
    ['{{}}', 'empty action'],
    ['{{frob .Name}}', 'function "frob" not defined'],
    ['{{.Name .Name}}', "can't give an argument to non-function .Name"],
    ['{{join .Name}}', 'wrong number of arguments for join'],
    ['{{if .Name}}x', 'has no "{{end}}"'],
    ['{{end}}', 'unexpected "end"'],
    ['{{break}}', 'outside of range'],
    ['{{$nope}}', 'undefined variable "$nope"'],
    ['{{range .Name}}{{end}}', "range can't iterate"],
    ['{{index .Name 9}}', 'index out of range'],
    ['{{define "x"}}{{end}}', 'not supported'],
    ['x}}', 'unexpected "}}"'],
    ['{{.Na-me}}', 'unexpected'],
  ])('%s', (template, why) => {
    let err: unknown;
    try {
      compileTemplate(template)(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('helpers', () => {
  it('headers are field names in capitals, words split', () => {
    expect(headerName('IPv4Address')).toBe('IPV4 ADDRESS');
    expect(headerName('EndpointID')).toBe('ENDPOINT ID');
    expect(headerName('Name')).toBe('NAME');
  });
  it('tabwrite pads tab-terminated cells to the widest plus 3, at least 10', () => {
    expect(tabwrite('a\tbb\tc\nlonger-than-ten\tb\tc\n')).toBe('a                 bb        c\nlonger-than-ten   b         c\n');
  });
  it('renders one line per object, nothing for none', () => {
    expect(renderEach('{{.Name}}', [{ Name: 'a' }, { Name: 'b' }])).toBe('a\nb\n');
    expect(renderEach('{{.Name}}', [])).toBe('');
  });
});
