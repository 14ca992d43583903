/**
 * `bun test/helpers/processes-in.ts NSFILE...` prints, as JSON, the PIDs
 * src/core/processes.ts finds in each of those network namespaces under Bun
 * (one scan), and whether it took the syscall loop (test/e2e/processes.test.ts
 * compares them with Node's readdir and readlink).
 */
import { processesInEach } from '../../src/core/processes.js';
import { syscalls } from '../../src/core/libc.js';

console.log(JSON.stringify({ syscalls: syscalls() !== undefined, pids: processesInEach(process.argv.slice(2)) }));
