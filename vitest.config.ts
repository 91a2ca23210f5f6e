import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file gets its own module graph (one wasm instance per file).
    isolate: true,
    reporters: ['default'],
  },
});
