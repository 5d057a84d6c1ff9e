// Imports every built entry point by its package name, as a consumer would, and checks that the
// published typings name no type a consumer cannot import (an internal type leaking through a public one).
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const entries = ['sse-kit', 'sse-kit/react', 'sse-kit/ui', 'sse-kit/mock', 'sse-kit/hub'];
for (const entry of entries) {
  const module = await import(entry);
  if (Object.keys(module).length === 0) throw new Error(`${entry} exports nothing`);
  console.log(`${entry}: ${Object.keys(module).length} exports`);
}
const cli = readFileSync(new URL('../dist/hub/cli.js', import.meta.url), 'utf8');
if (!cli.startsWith('#!/usr/bin/env node')) throw new Error('dist/hub/cli.js lacks its shebang');

const leaks = internalTypesInTypings();
if (leaks.length > 0) {
  throw new Error(`The typings name types no entry point exports (export them by name, or keep them out of the public types):\n${leaks.join('\n')}`);
}
console.log('typings: every type they name is exported by an entry point');
console.log(`${entries.length} passed, 0 failed`);

/**
 * Every named type (interface, type alias, class, enum) declared in `dist/types` that a type
 * exported from an entry point refers to, directly or through other types, but that no entry point
 * exports: `Name (file) <- the exported type that reaches it`.
 */
function internalTypesInTypings() {
  const types = fileURLToPath(new URL('../dist/types/', import.meta.url));
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const files = Object.values(pkg.exports)
    .map((target) => (typeof target === 'object' ? target.types : undefined))
    .filter((file) => file !== undefined)
    .map((file) => fileURLToPath(new URL(`../${file}`, import.meta.url)));
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const target = (symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const ours = (symbol) => symbol.declarations?.some((d) => d.getSourceFile().fileName.startsWith(types)) === true;
  const exported = new Set();
  for (const file of files) {
    for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)))) exported.add(target(symbol));
  }
  const leaks = new Map();
  const visited = new Set();
  const visit = (symbol, via) => {
    if (visited.has(symbol)) return;
    visited.add(symbol);
    const walk = (node) => {
      let named;
      if (ts.isTypeReferenceNode(node)) named = checker.getSymbolAtLocation(node.typeName);
      else if (ts.isExpressionWithTypeArguments(node)) named = checker.getSymbolAtLocation(node.expression);
      else if (ts.isTypeQueryNode(node)) named = checker.getSymbolAtLocation(node.exprName);
      else if (ts.isImportTypeNode(node)) {
        const type = checker.getTypeFromTypeNode(node);
        named = type.aliasSymbol ?? type.symbol;
      }
      if (named !== undefined) {
        named = target(named);
        if (ours(named) && !named.declarations.some((d) => ts.isTypeParameterDeclaration(d))) {
          if (!exported.has(named)) {
            const key = `${named.name} (${relative(types, named.declarations[0].getSourceFile().fileName)})`;
            leaks.set(key, (leaks.get(key) ?? new Set()).add(via));
          }
          visit(named, exported.has(named) ? named.name : via);
        }
      }
      ts.forEachChild(node, walk);
    };
    for (const declaration of symbol.declarations ?? []) walk(declaration);
  };
  for (const symbol of exported) visit(symbol, symbol.name);
  return [...leaks].map(([name, via]) => `  ${name} <- ${[...via].join(', ')}`);
}
