/**
 * dig inside a sandbox of a throwaway host, its output read into status and
 * answers. `+time=2 +tries=1` unless args say otherwise (dig takes the last).
 */
import type { Host } from './host.js';

export interface Dig {
  status: string;
  answers: string[];
  code: number | null;
  out: string;
}

export function digIn(host: Host, sandbox: string, args: string): Dig {
  const r = host.exec(['ip', 'netns', 'exec', sandbox, 'sh', '-c', `dig +time=2 +tries=1 ${args}`], { timeoutMs: 20_000 });
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? 'NONE';
  const answers: string[] = [];
  let inAnswer = false;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) inAnswer = true;
    else if (inAnswer && line.trim() === '') inAnswer = false;
    else if (inAnswer) answers.push(line.trim().split(/\s+/).pop()!);
  }
  return { status, answers, code: r.code, out: r.stdout };
}
