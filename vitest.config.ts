import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    clearMocks: true,
    // Hermetic: no colour, UTC unless a test says otherwise.
    env: { NO_COLOR: '1', TZ: 'UTC' },
    maxWorkers: 2,
  },
});
