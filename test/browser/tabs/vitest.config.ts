import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Cross-tab sharing in real Chromium tabs over the Node hub: `npm run test:tabs`, never part of `npm test`. */
export default defineConfig({
  root: resolve(import.meta.dirname, '../../..'),
  test: {
    name: 'tabs',
    environment: 'node',
    include: ['test/browser/tabs/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
