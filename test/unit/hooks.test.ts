/**
 * Lazy sandbox hooks (src/core/plans/hooks.ts): a feature's module is loaded
 * only when a sandbox of the state or the add request needs it, and a caller
 * that planned without readying it fails loudly instead of leaving that
 * feature's work out of the plan. (The real user, ports, is proven end to end
 * by test/e2e/ports*.test.ts: add -p, rm, disconnect and connect of the binary.)
 */
import { describe, expect, it } from 'vitest';
import type { Sandbox, State } from '../../src/core/model.js';
import { type AddSandboxInput, addLazySandboxHooks, loadHooks, readyHooks, sandboxHooks } from '../../src/core/plans/hooks.js';

const sandbox = (name: string, tagged: boolean): Sandbox => ({ name, ...(tagged ? { ports: [{ hostIp: '0.0.0.0', hostPort: 80, containerPort: 80, proto: 'tcp' }] } : {}) }) as unknown as Sandbox;
const stateOf = (...sbs: Sandbox[]): State => ({ sandboxes: sbs }) as unknown as State;
const input = (publish?: string[]): AddSandboxInput => ({ name: 'x', networks: [], ...(publish ? { publish } : {}) }) as unknown as AddSandboxInput;

describe('lazy sandbox hooks', () => {
  it('are loaded when a sandbox or the add request needs them, once, and not otherwise', async () => {
    let loads = 0;
    addLazySandboxHooks(
      (sb, req) => (sb?.ports?.length ?? 0) > 0 || (req?.publish?.length ?? 0) > 0,
      async () => {
        loads++;
        return { onRemove: (_s, sb) => [{ kind: 'sysctl', key: `removed.${sb.name}`, value: '1' }] };
      },
    );
    const plain = sandbox('a', false);
    const tagged = sandbox('b', true);
    // Nothing needs them: nothing to wait for, nothing loaded, and planning a plain sandbox's removal adds nothing.
    expect(readyHooks(stateOf(plain))).toBeUndefined();
    expect(readyHooks(undefined, input())).toBeUndefined();
    expect(sandboxHooks().flatMap((h) => h.onRemove?.(stateOf(plain), plain) ?? [])).toEqual([]);
    expect(loads).toBe(0);
    // Asked for work before they were readied: a loud failure, never a plan without it.
    expect(() => sandboxHooks().flatMap((h) => h.onRemove?.(stateOf(tagged), tagged) ?? [])).toThrow(/before they were loaded/);
    expect(() => sandboxHooks().flatMap((h) => h.onAdd?.(stateOf(), plain, input(['80'])) ?? [])).toThrow(/before they were loaded/);
    // An add request that needs them readies them; then they plan, and load no more.
    await readyHooks(undefined, input(['80']));
    expect(loads).toBe(1);
    expect(sandboxHooks().flatMap((h) => h.onRemove?.(stateOf(tagged), tagged) ?? [])).toEqual([{ kind: 'sysctl', key: 'removed.b', value: '1' }]);
    expect(readyHooks(stateOf(tagged))).toBeUndefined();
    await loadHooks();
    expect(loads).toBe(1);
  });

  it('a state with one sandbox that needs them among many readies them', async () => {
    let loads = 0;
    addLazySandboxHooks((sb) => sb?.name === 'needle', async () => (loads++, {}));
    const many = Array.from({ length: 1000 }, (_, i) => sandbox(`s${i}`, false));
    expect(readyHooks(stateOf(...many))).toBeUndefined();
    await readyHooks(stateOf(...many, sandbox('needle', false)));
    expect(loads).toBe(1);
  });
});
