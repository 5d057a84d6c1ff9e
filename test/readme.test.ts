import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

interface Snippet {
  /** README line of the opening fence. */
  readonly line: number;
  readonly file: string;
  readonly code: string;
}

/** Every ```ts and ```tsx block of the README, each compiled as its own module. */
function readmeSnippets(): Snippet[] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lang = /^```(ts|tsx)\s*$/.exec(lines[i] ?? '')?.[1];
    if (lang === undefined) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i] !== '```') body.push(lines[i] ?? '');
    // `export {}` keeps each snippet a module: its declarations do not meet the other snippets'.
    snippets.push({ line: start + 1, file: join(root, `README.md.line-${start + 1}.${lang}`), code: `${body.join('\n')}\nexport {};\n` });
  }
  return snippets;
}

/** The project's compiler options, with each `sse-kit` entry point mapped to its source (the app imports it by name). */
function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const exports = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).exports as Record<string, { types?: string } | string>;
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(exports)) {
    const built = typeof target === 'string' ? target : target.types;
    const source = built?.replace(/^\.\/dist\/(types\/)?/, './src/').replace(/\.d\.ts$/, '.ts');
    if (source !== undefined) paths[`sse-kit${subpath.slice(1)}`] = [source];
  }
  // `vite/client` as in a Vite app: it declares stylesheet imports (`import 'sse-kit/ui/styles.css'`).
  return { ...options, noEmit: true, paths, types: [...(options.types ?? []), 'vite/client'] };
}

/** The diagnostics of every snippet, by snippet, with README line numbers. */
function compile(snippets: readonly Snippet[]): Map<Snippet, string[]> {
  const byFile = new Map(snippets.map((s) => [s.file, s]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => byFile.has(path) || fileExists.call(host, path);
  host.readFile = (path) => byFile.get(path)?.code ?? readFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const snippet = byFile.get(path);
    return snippet !== undefined ? ts.createSourceFile(path, snippet.code, language, true) : getSourceFile.call(host, path, language, ...rest);
  };
  const program = ts.createProgram([...byFile.keys()], options, host);
  const setup = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (setup.length > 0) throw new Error(ts.formatDiagnostics(setup, host));
  const result = new Map<Snippet, string[]>();
  for (const snippet of snippets) {
    const file = program.getSourceFile(snippet.file);
    if (file === undefined) throw new Error(`${snippet.file} is not in the program`);
    // Only the snippets are checked (the sources are `npm run typecheck`'s job), which keeps this fast.
    const found = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    result.set(
      snippet,
      found.map((diagnostic) => {
        const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `README.md:${snippet.line + 1 + line}: TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      }),
    );
  }
  return result;
}

const snippets = readmeSnippets();
let diagnostics: Map<Snippet, string[]>;

beforeAll(() => {
  diagnostics = compile(snippets);
}, 120_000);

describe('README code snippets type-check under the project settings', () => {
  it('finds the snippets', () => {
    expect(snippets.length).toBeGreaterThan(10);
  });

  it.each(snippets.map((s) => [s.line, s] as const))('the snippet at README.md:%i', (_line, snippet) => {
    expect(diagnostics.get(snippet)).toEqual([]);
  });
});
