// Bundle size as an app pays it: each case is bundled from the built package (`dist`, resolved
// through package.json `exports`) by esbuild, minified, React external, then gzipped.
// Fails when a case is over its budget. Run `npm run build` first.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

/**
 * Budgets in KB of 1,000 bytes, set just above today's figures so that growth is a decision: the 1.0
 * goals (driver 6.5 KB, provider + hooks 8 KB) are not reached yet (see the README's Sizes).
 * `forbidden`: modules the case must not pull in (the driver needs neither).
 */
const NOT_FOR_THE_DRIVER = ['dist/signaling/', 'urlpattern-polyfill'];
const cases = [
  { name: 'SseProvider + useTopic + usePublish', code: "export { SseProvider, useTopic, usePublish } from 'sse-kit/react';", budget: 24, forbidden: NOT_FOR_THE_DRIVER },
  { name: 'SseDriver', code: "export { SseDriver } from 'sse-kit';", budget: 20.5, forbidden: NOT_FOR_THE_DRIVER },
  { name: 'PeerSignaling + PeerConnection', code: "export { PeerSignaling, PeerConnection } from 'sse-kit';", budget: null, forbidden: [] },
  { name: 'sse-kit/ui (every component)', code: "export * from 'sse-kit/ui';", budget: 14, forbidden: ['urlpattern-polyfill'] },
];

/** Resolves `sse-kit` and `sse-kit/*` through the package's own `exports`, as a consumer's bundler does. */
const selfReference = {
  name: 'sse-kit-exports',
  setup(b) {
    b.onResolve({ filter: /^sse-kit(\/|$)/ }, ({ path }) => {
      const target = pkg.exports[`.${path.slice('sse-kit'.length)}`]?.import;
      if (target === undefined) return { errors: [{ text: `package.json exports no "${path}"` }] };
      return { path: resolve(root, target) };
    });
  },
};

async function measure(code) {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['react', 'react/*', 'react-dom', 'react-dom/*'],
    plugins: [selfReference],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ path: path.replace(/^.*node_modules\//, ''), bytes: bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  return { minified: file.contents.byteLength, gzip: gzipSync(file.contents, { level: 9 }).byteLength, inputs };
}

const kb = (bytes) => (bytes / 1000).toFixed(2);
let failures = 0;
for (const c of cases) {
  const { minified, gzip, inputs } = await measure(c.code);
  const over = c.budget !== null && gzip > c.budget * 1000;
  const strays = inputs.filter((input) => c.forbidden.some((part) => input.path.includes(part)));
  if (over || strays.length > 0) failures++;
  const budget = c.budget === null ? '' : ` / budget ${c.budget} KB${over ? '  OVER BUDGET' : ''}`;
  console.log(`${c.name}: ${kb(gzip)} KB min+gzip (${kb(minified)} KB min)${budget}`);
  for (const stray of strays) console.log(`    pulls in ${stray.path}, which it must not`);
  if (over || process.argv.includes('--verbose')) {
    for (const input of inputs.slice(0, 12)) console.log(`    ${kb(input.bytes).padStart(6)} KB min  ${input.path}`);
  }
}
if (failures > 0) {
  console.error(`${failures} of ${cases.length} cases over budget or pulling in what they must not.`);
  process.exit(1);
}
console.log(`${cases.length} cases within budget.`);
