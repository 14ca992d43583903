/**
 * Writes completions/ and man/ from the command definitions:
 *   npx bun scripts/gen-docs.ts        (npm run docs)
 * Rerun after adding or changing a command; test/unit/docs.test.ts fails until you do.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildCli } from '../src/cli.js';
import { renderDocs } from '../src/docs/generate.js';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
for (const [path, content] of renderDocs(buildCli())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
