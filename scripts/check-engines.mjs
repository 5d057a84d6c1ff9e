// Keeps package.json `engines.node` true: every runtime dependency (direct or transitive) must
// support every Node version we declare, and the Node running this check (CI's) must be one of them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import semver from 'semver';

const root = resolve(import.meta.dirname, '..');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const pkg = readJson(join(root, 'package.json'));
const ours = pkg.engines?.node;
if (typeof ours !== 'string' || semver.validRange(ours) === null) throw new Error('package.json lacks a valid engines.node range');

/** The directory of `name` as Node resolves it from `from`: the nearest node_modules upwards. */
function packageDir(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) throw new Error(`${name} is not installed; run npm ci`);
  }
}

const problems = [];
const seen = new Set();
const queue = Object.keys(pkg.dependencies ?? {}).map((name) => ({ name, from: root }));
while (queue.length > 0) {
  const { name, from } = queue.shift();
  const dir = packageDir(name, from);
  if (seen.has(dir)) continue;
  seen.add(dir);
  const dep = readJson(join(dir, 'package.json'));
  const theirs = dep.engines?.node;
  if (theirs !== undefined && !semver.subset(ours, theirs)) problems.push(`${name}@${dep.version} needs Node ${theirs}, which does not cover ours (${ours})`);
  console.log(`${name}@${dep.version}: Node ${theirs ?? '(any)'}`);
  for (const next of Object.keys(dep.dependencies ?? {})) queue.push({ name: next, from: dir });
}
if (!semver.satisfies(process.version, ours)) problems.push(`this Node (${process.version}) is outside the declared range ${ours}`);
if (problems.length > 0) {
  for (const problem of problems) console.error(`engines: ${problem}`);
  process.exit(1);
}
console.log(`engines.node ${ours} holds for every runtime dependency and for this Node (${process.version}).`);
