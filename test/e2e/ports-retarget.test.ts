import { afterAll, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

afterAll(destroyAll);

it('published ports follow the sandbox when the endpoint they forward to is disconnected, and go with the last one', async () => {
  const host = await Host.create();
  const { internet } = await withInternet(host);
  host.cnmOk(['net', 'create', 'first']);
  host.cnmOk(['net', 'create', 'second']);
  host.cnmOk(['sandbox', 'add', 'web', '--network', 'first', '--network', 'second', '--dns', '127.0.0.1', '-p', '8090:80']);
  host.exec(['ip', 'netns', 'exec', 'web', 'sh', '-c', 'ncat -l -k -p 80 --sh-exec "echo hi" >/dev/null 2>&1 &']);
  expect(await waitFor(() => /:80\b/.test(host.exec(['ip', 'netns', 'exec', 'web', 'ss', '-ltn']).stdout))).toBe(true);
  const fetch = () => internet.exec(['ncat', '--recv-only', '-w', '2', '203.0.113.1', '8090']).stdout.trim();
  expect(fetch()).toBe('hi');

  host.cnmOk(['endpoint', 'disconnect', 'web', 'first']);
  const [sb] = json<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }[]>(host.cnmOk(['sandbox', 'inspect', 'web']));
  const state = json<{ sandboxes: { ports: { sandboxIp: string; hostPort: number }[] }[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout);
  expect(state.sandboxes[0]!.ports).toEqual([expect.objectContaining({ hostPort: 8090, sandboxIp: sb!.NetworkSettings.Networks.second!.IPAddress })]);
  expect(fetch()).toBe('hi');
  expect(host.cnmOk(['port', 'web']).trim()).toBe('80/tcp -> 0.0.0.0:8090');

  host.cnmOk(['endpoint', 'disconnect', 'web', 'second']);
  expect(host.cnmOk(['port', 'web']).trim()).toBe('');
  expect(host.exec(['nft', 'list', 'ruleset']).stdout).not.toContain('8090');
  expect(fetch()).toBe('');
  expect(host.cnmOk(['reconcile', '--dry-run'])).not.toMatch(/missing|orphan|stray/i);
});
