/**
 * Where a command's output goes, without touching `process.stdout`: the hot path
 * (./hot.ts) and `cnm --version` (../main.ts) write to fds 1 and 2 directly.
 */
import { writeSync } from '../core/files.js';
import { utf8 } from '../core/utf8.js';

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * stdout and stderr written straight to fds 1 and 2. Touching `process.stdout` or
 * `process.stderr` at all costs Bun about 15 ms of start-up (it builds its node:stream
 * emulation), more than the hot commands' kernel work. As for the clipanion path
 * (../main.ts): a reader that went away (EPIPE) drops what is still written, and the
 * command runs to its end with its own exit code; any other failure to write stdout is
 * one line on stderr and exit 1 (`failed()`).
 */
export function fdStreams(): Streams & { failed(): boolean } {
  let stdoutFailed = false;
  const writer = (fd: 1 | 2) => ({
    write(text: string): boolean {
      const bytes = utf8(text);
      for (let off = 0; off < bytes.length; ) {
        try {
          off += writeSync(fd, bytes, off);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: try again
          if (fd === 1 && code !== 'EPIPE' && !stdoutFailed) {
            stdoutFailed = true;
            writer(2).write(`cnm: cannot write to stdout: ${(e as Error).message.replace(/^[A-Z]+: /, '')}\n`);
          }
          return false;
        }
      }
      return true;
    },
  });
  return { stdout: writer(1), stderr: writer(2), failed: () => stdoutFailed };
}
