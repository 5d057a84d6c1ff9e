import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Browser conformance tests: real Chromium, run by `npm run test:conformance`, never by `npm test`. */
export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    name: 'browser',
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
