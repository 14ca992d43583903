import { describe, expect, it } from 'vitest';
import { compileTemplate, renderEach } from '../../src/core/format.js';
import { UsageError } from '../../src/core/errors.js';

const net = {
  Name: 'frontend',
  Id: 'ab'.repeat(32),
  EnableIPv6: false,
  IPAM: { Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] },
  Containers: { c1: { Name: 'web', IPv4Address: '172.18.0.2/16' } },
  Labels: {},
  Aliases: ['a', 'b'],
};

describe('--format templates', () => {
  it('prints field paths and literal text', () => {
    expect(compileTemplate('{{.Name}} {{.IPAM.Config}}')(net)).toBe('frontend [{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]');
    expect(compileTemplate('name={{ .Name }};v6={{.EnableIPv6}}')(net)).toBe('name=frontend;v6=false');
  });

  it('turns \\t and \\n into a tab and a newline', () => {
    expect(compileTemplate('{{.Name}}\\t{{.EnableIPv6}}\\n')(net)).toBe('frontend\tfalse\n');
  });

  it('has json, join, len, upper, lower and index', () => {
    expect(compileTemplate('{{json .Labels}}')(net)).toBe('{}');
    expect(compileTemplate('{{json .Name}}')(net)).toBe('"frontend"');
    expect(compileTemplate('{{join .Aliases ","}}')(net)).toBe('a,b');
    expect(compileTemplate('{{len .Containers}} {{len .Aliases}}')(net)).toBe('1 2');
    expect(compileTemplate('{{upper .Name}} {{lower "ABC"}}')(net)).toBe('FRONTEND abc');
    expect(compileTemplate('{{index .IPAM.Config 0 "Gateway"}}')(net)).toBe('172.18.0.1');
    expect(compileTemplate('{{index .Containers "c1" "Name"}}')(net)).toBe('web');
  });

  it('prints <no value> for a missing path, like Go', () => {
    expect(compileTemplate('{{.Nope}} {{.IPAM.Nope.Deeper}}')(net)).toBe('<no value> <no value>');
  });

  it('{{.}} is the whole object as JSON', () => {
    expect(compileTemplate('{{.}}')({ a: 1 })).toBe('{"a":1}');
    expect(compileTemplate('{{.}}')('plain')).toBe('plain');
  });

  it('renders one line per object', () => {
    expect(renderEach('{{.Name}}', [{ Name: 'a' }, { Name: 'b' }])).toBe('a\nb\n');
    expect(renderEach('{{.Name}}', [])).toBe('');
  });

  it.each([
    ['{{.Name', 'unclosed'],
    ['{{}}', 'empty'],
    ['{{frob .Name}}', 'unknown function "frob"'],
    ['{{.Name .Id}}', 'unexpected'],
    ['{{join .Aliases}}', 'join takes 2'],
    ['{{Name}}', 'unknown function'],
    ['{{.Na-me}}', 'not a field path'],
    ['x}}', 'unmatched'],
  ])('refuses %s as bad usage (exit 2)', (t, why) => {
    let err: unknown;
    try {
      compileTemplate(t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toContain(why);
  });
});
