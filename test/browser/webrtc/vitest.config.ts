import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** WebRTC between two real Chromium pages over the Node hub: `npm run test:webrtc`, never part of `npm test`. */
export default defineConfig({
  root: resolve(import.meta.dirname, '../../..'),
  test: {
    name: 'webrtc',
    environment: 'node',
    include: ['test/browser/webrtc/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
