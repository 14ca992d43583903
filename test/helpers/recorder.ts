/**
 * A fake kernel for unit tests: installs a runner that records every process
 * cnm would start and answers from a script (exit 0, no output, by default).
 * Restore the real one with `setRunner(systemRunner)` in afterEach.
 */
import { type RunResult, type Runner, setRunner } from '../../src/core/runner.js';

export interface Call {
  cmd: string;
  args: string[];
  input?: string;
}

export function recorder(answer: (c: Call) => RunResult = () => ({ code: 0, stdout: '', stderr: '' })): Call[] {
  const calls: Call[] = [];
  const r: Runner = {
    run(cmd, args, opts) {
      const c: Call = { cmd, args: [...args], ...(opts?.input ? { input: opts.input } : {}) };
      calls.push(c);
      return answer(c);
    },
  };
  setRunner(r);
  return calls;
}
