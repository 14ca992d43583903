import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // End-to-end files build real kernel objects in throwaway hosts; two at a time fits 2 cores.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // clipanion's ESM build imports a directory, which Node refuses; let vite resolve it (docs tests load the CLI).
    server: { deps: { inline: ['clipanion'] } },
  },
});
