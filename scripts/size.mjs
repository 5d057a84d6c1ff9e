// Bundle size as an app pays it: each case is bundled from the built package (`dist`, resolved
// through package.json `exports`) by esbuild with code splitting, minified, React external, then
// each output file gzipped. A case's figure is everything a browser downloads with the default
// options: the initial files plus the chunks the package loads by `import()` (the cross-tab
// election, loaded at start where tabs share a stream), each listed apart.
// Fails when a case is over its budget. Run `npm run build` first.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

/**
 * Budgets in KB of 1,000 bytes on what a browser downloads with the default options (initial files
 * plus chunks loaded later), set just above today's figures so that growth is a decision: the 1.0
 * goals (driver 6.5 KB, provider + hooks 8 KB) are not reached (see the README's Sizes).
 * `forbidden`: modules the case must not pull in at all (what an app that uses only the driver does
 * not use: signaling, presence, other servers' adapters, the URLPattern polyfill).
 * `later`: modules that must not be in the initial files (loaded by `import()` when first needed).
 * `devOnly`: text of development-only code (warnings) that a production build must drop.
 * Every case must also load its initial code as one file: a chunk loaded by `import()` that imports a
 * module the initial code uses makes the bundler move the modules they share into files of their own,
 * each compressed apart (the election chunk once cost the default configuration 0.6 KB so).
 */
const NOT_FOR_THE_DRIVER = ['dist/signaling/', 'urlpattern-polyfill', 'dist/core/protocols/presence', 'dist/core/protocols/channels', 'dist/core/protocols/fixedStream'];
const LATER = ['dist/core/tabs/TabGroup', 'dist/core/tabs/election'];
const DEV_ONLY = ['changed after the provider mounted'];
const cases = [
  { name: 'SseProvider + useTopic + usePublish', code: "export { SseProvider, useTopic, usePublish } from 'sse-kit/react';", budget: 27.05, forbidden: NOT_FOR_THE_DRIVER, later: LATER, devOnly: DEV_ONLY },
  { name: 'SseDriver', code: "export { SseDriver } from 'sse-kit';", budget: 22.05, forbidden: NOT_FOR_THE_DRIVER, later: LATER },
  { name: 'PeerSignaling + PeerConnection', code: "export { PeerSignaling, PeerConnection } from 'sse-kit';", budget: null, forbidden: [], later: [] },
  { name: 'sse-kit/ui (every component)', code: "export * from 'sse-kit/ui';", budget: 15.75, forbidden: ['urlpattern-polyfill'], later: [] },
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

/** Bundles one case with code splitting: the entry and its static imports load at once, `import()` chunks later. */
async function measure(code) {
  const result = await build({
    entryPoints: ['size-case'],
    bundle: true,
    splitting: true,
    outdir: resolve(root, 'size-out'),
    minify: true,
    // What a production build does (esbuild also does it by itself when minifying for browsers).
    define: { 'process.env.NODE_ENV': '"production"' },
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['react', 'react/*', 'react-dom', 'react-dom/*'],
    plugins: [
      {
        name: 'size-case',
        setup(b) {
          b.onResolve({ filter: /^size-case$/ }, () => ({ path: 'size-case', namespace: 'size-case' }));
          b.onLoad({ filter: /.*/, namespace: 'size-case' }, () => ({ contents: code, resolveDir: root, loader: 'js' }));
        },
      },
      selfReference,
    ],
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const files = new Map(result.outputFiles.map((file) => [file.path, file.contents]));
  const outputs = result.metafile.outputs;
  const sizeOf = (path) => {
    const contents = files.get(resolve(root, path));
    return { minified: contents.byteLength, gzip: gzipSync(contents, { level: 9 }).byteLength };
  };
  const inputsOf = (paths) =>
    paths
      .flatMap((path) => Object.entries(outputs[path].inputs))
      .map(([path, { bytesInOutput }]) => ({ path: path.replace(/^.*node_modules\//, ''), bytes: bytesInOutput }))
      .filter((input) => input.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes);
  /** The output files loaded with `from`: itself and what it imports statically, transitively. */
  const closure = (from) => {
    const seen = new Set();
    const visit = (path) => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const imported of outputs[path].imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    };
    visit(from);
    return seen;
  };
  const sum = (paths) => [...paths].map(sizeOf).reduce((a, b) => ({ minified: a.minified + b.minified, gzip: a.gzip + b.gzip }), { minified: 0, gzip: 0 });
  const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint !== undefined);
  const initial = closure(entry);
  // Each `import()` target with what it loads beyond the initial files.
  const lazy = [];
  const lazyFiles = new Set();
  const queue = [...initial];
  while (queue.length > 0) {
    const path = queue.shift();
    for (const imported of outputs[path].imports) {
      if (imported.kind !== 'dynamic-import' || imported.external || lazyFiles.has(imported.path)) continue;
      const extra = [...closure(imported.path)].filter((p) => !initial.has(p) && !lazyFiles.has(p));
      for (const p of extra) lazyFiles.add(p);
      lazy.push({ ...sum(extra), inputs: inputsOf(extra) });
      queue.push(...extra);
    }
  }
  return { initial: { ...sum(initial), inputs: inputsOf([...initial]), files: initial.size }, lazy, text: result.outputFiles.map((file) => file.text).join('\n') };
}

const kb = (bytes) => (bytes / 1000).toFixed(2);
const verbose = process.argv.includes('--verbose');
let failures = 0;
for (const c of cases) {
  const { initial, lazy, text } = await measure(c.code);
  const total = lazy.reduce((sum, chunk) => sum + chunk.gzip, initial.gzip);
  const over = c.budget !== null && total > c.budget * 1000;
  const inputs = [initial, ...lazy].flatMap((part) => part.inputs);
  const strays = inputs.filter((input) => c.forbidden.some((part) => input.path.includes(part)));
  const early = initial.inputs.filter((input) => c.later.some((part) => input.path.includes(part)));
  const devCode = (c.devOnly ?? []).filter((fragment) => text.includes(fragment));
  const split = initial.files > 1;
  if (over || strays.length > 0 || early.length > 0 || devCode.length > 0 || split) failures++;
  const budget = c.budget === null ? '' : ` / budget ${c.budget} KB${over ? '  OVER BUDGET' : ''}`;
  const parts = lazy.length === 0 ? '' : ` = ${kb(initial.gzip)} KB initial (${kb(initial.minified)} KB min) + ${lazy.map((chunk) => `${kb(chunk.gzip)} KB`).join(' + ')} loaded later`;
  console.log(`${c.name}: ${kb(total)} KB min+gzip${parts}${lazy.length === 0 ? ` (${kb(initial.minified)} KB min)` : ''}${budget}`);
  for (const stray of strays) console.log(`    pulls in ${stray.path}, which it must not`);
  for (const input of early) console.log(`    loads ${input.path} at once, which must load only when first used`);
  if (split) console.log(`    loads its initial code as ${initial.files} files: a chunk loaded by import() imports modules the initial code uses (pass them in instead)`);
  for (const fragment of devCode) console.log(`    keeps development-only code ("${fragment}…") in a production build`);
  if (over || verbose) {
    for (const input of initial.inputs.slice(0, verbose ? undefined : 12)) console.log(`    ${kb(input.bytes).padStart(6)} KB min  ${input.path}`);
    for (const chunk of lazy) {
      console.log(`  chunk loaded by import(): ${kb(chunk.gzip)} KB min+gzip (${kb(chunk.minified)} KB min)`);
      for (const input of chunk.inputs) console.log(`    ${kb(input.bytes).padStart(6)} KB min  ${input.path}`);
    }
  }
}
if (failures > 0) {
  console.error(`${failures} of ${cases.length} cases over budget or failing a bundle check (listed above).`);
  process.exit(1);
}
console.log(`${cases.length} cases within budget.`);
