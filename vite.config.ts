import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const entry = (path: string) => resolve(import.meta.dirname, path);

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    sourcemap: true,
    minify: false,
    emptyOutDir: true,
    lib: {
      formats: ['es'],
      entry: {
        index: entry('src/index.ts'),
        'react/index': entry('src/react/index.ts'),
        'ui/index': entry('src/ui/index.ts'),
        'mock/index': entry('src/mock/index.ts'),
        'hub/index': entry('src/hub/index.ts'),
        'hub/cli': entry('src/hub/cli.ts'),
      },
    },
    rolldownOptions: {
      external: [/^node:/, /^react($|\/)/, /^react-dom($|\/)/, 'eventsource-parser', 'jose', /^urlpattern-polyfill/, 'redis'],
      // One file per source module: an app's bundler keeps only the modules it imports, so the
      // driver alone never drags in the signaling code.
      output: { preserveModules: true, preserveModulesRoot: 'src' },
    },
  },
  test: {
    restoreMocks: true,
    testTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.{ts,tsx}'],
          exclude: ['test/react/**', 'test/ui/**', 'test/browser/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'jsdom',
          environment: 'jsdom',
          include: ['test/react/**/*.test.{ts,tsx}', 'test/ui/**/*.test.{ts,tsx}'],
        },
      },
    ],
  },
});
