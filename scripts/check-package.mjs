// Checks the package as npm would publish it: packs it (`npm pack`, offline), then runs publint and
// Are the Types Wrong (ESM-only profile: the package ships no CommonJS) on the tarball, and checks
// that the LICENSE and every file the README links to or shows are inside. Run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = mkdtempSync(join(tmpdir(), 'sse-kit-pack-'));
const failures = [];
try {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: root, encoding: 'utf8' }),
  );
  const tarball = join(out, packed.filename);
  const files = new Set(packed.files.map((file) => file.path));
  console.log(`${packed.filename}: ${packed.files.length} files, ${(packed.size / 1000).toFixed(0)} KB packed, ${(packed.unpackedSize / 1000).toFixed(0)} KB unpacked`);

  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!files.has(required)) failures.push(`${required} is not in the tarball`);
  }
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const [, target] of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s#]+)[^)]*\)/g)) {
    const path = target.replace(/^\.\//, '');
    if (!files.has(path)) failures.push(`README links to ${target}, which is not in the tarball (package.json "files")`);
  }

  // publint reads the unpacked tarball: exactly the files a user installs.
  execFileSync('tar', ['-xzf', tarball, '-C', out]);
  const { messages } = await publint({ pkgDir: join(out, 'package'), pack: false, level: 'suggestion', strict: true });
  for (const message of messages) failures.push(`publint ${message.type}: ${formatMessage(message, pkg)}`);
  console.log(`publint: ${messages.length} messages`);

  try {
    const attw = join(root, 'node_modules', '.bin', 'attw');
    // The stylesheet export is no module: TypeScript resolves no types for it, by design.
    const args = [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--exclude-entrypoints', './ui/styles.css'];
    console.log(execFileSync(attw, [...args, '--format', 'table', '--no-emoji', '--no-color'], { encoding: 'utf8' }));
  } catch (error) {
    failures.push(`attw found problems:\n${error.stdout ?? error.message}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (failures.length > 0) {
  for (const failure of failures) console.error(failure);
  process.exit(1);
}
console.log('package: publint and attw clean; LICENSE and every README link are in the tarball.');
