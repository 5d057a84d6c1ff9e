// Imports every built entry point by its package name, as a consumer would.
const entries = ['sse-kit', 'sse-kit/react', 'sse-kit/ui', 'sse-kit/mock', 'sse-kit/hub'];
for (const entry of entries) {
  const module = await import(entry);
  if (Object.keys(module).length === 0) throw new Error(`${entry} exports nothing`);
  console.log(`${entry}: ${Object.keys(module).length} exports`);
}
const { readFileSync } = await import('node:fs');
const cli = readFileSync(new URL('../dist/hub/cli.js', import.meta.url), 'utf8');
if (!cli.startsWith('#!/usr/bin/env node')) throw new Error('dist/hub/cli.js lacks its shebang');
console.log(`${entries.length} passed, 0 failed`);
