import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

// DESIGN.md, layers: `src/ui` only uses the public React API. Its code imports React, its own files
// and `sse-kit/react`'s public entry; types may come from the public entries too.
const UI = resolve(import.meta.dirname, '../../src/ui');
const RUNTIME = new Set(['react', 'react/jsx-runtime', '../react/index.js']);
const TYPES = new Set([...RUNTIME, '../index.js']);

it('src/ui imports nothing but React, its own files and the public entries', () => {
  const outside: string[] = [];
  let imports = 0;
  for (const file of readdirSync(UI).filter((f) => /\.tsx?$/.test(f))) {
    const source = readFileSync(resolve(UI, file), 'utf8');
    for (const [, typeOnly, from] of source.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'";]*?\sfrom\s+'([^']+)'/gm)) {
      imports++;
      if (from === undefined || from.startsWith('./')) continue;
      if (!(typeOnly ? TYPES : RUNTIME).has(from)) outside.push(`${file}: ${typeOnly ? 'type ' : ''}${from}`);
    }
  }
  expect(imports).toBeGreaterThan(20); // the scan sees the imports
  expect(outside).toEqual([]);
});
