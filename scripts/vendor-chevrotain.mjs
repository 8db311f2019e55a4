#!/usr/bin/env node
// Runs after `tsc` (npm run build:ts): bundles the parts of Chevrotain that the compiled
// modules import into one file, dist/vendor/chevrotain.js, and points those imports at it.
//
// Why: Chevrotain's package is ~150 ES modules (lodash-es among them); resolving, reading
// and compiling them was about half of `import('letheql')` (~270 ms of CPU of ~500). One
// tree-shaken file of the same code loads in a few milliseconds. The library's other modules
// stay as tsc emits them, so `letheql` and `letheql/browser` still share every class
// (errors, LogStore), and the declaration files still name the `chevrotain` package (it
// stays a dependency: its types describe the grammar's).
//
// The CLI and the browser and worker bundles are built from the sources by esbuild, which
// bundles Chevrotain itself; this concerns the library's module tree only.
import { build } from 'esbuild';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const vendored = join(dist, 'vendor', 'chevrotain.js');
const IMPORT = /^import \{([^}]*)\} from 'chevrotain';$/gm;

/** Every compiled module (not the bundles esbuild and vite write into dist/). */
async function compiledModules(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!['vendor', 'bin', 'viewer'].includes(e.name)) out.push(...(await compiledModules(p)));
    } else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

const importers = new Map(); // file → its text
const names = new Set();
for (const file of await compiledModules(dist)) {
  const text = await readFile(file, 'utf8');
  let found = false;
  for (const m of text.matchAll(IMPORT)) {
    found = true;
    for (const n of m[1].split(',')) if (n.trim()) names.add(n.trim());
  }
  if (found) importers.set(file, text);
  else if (/from 'chevrotain'|import\('chevrotain'\)/.test(text)) throw new Error(`${file}: an import of chevrotain this script does not rewrite`);
}
if (names.size === 0) {
  // Run twice after one tsc: the imports already point at the vendored file.
  const done = (await Promise.all((await compiledModules(dist)).map((f) => readFile(f, 'utf8')))).some((t) => t.includes("/vendor/chevrotain.js'"));
  if (done) process.exit(0);
  throw new Error('no compiled module imports chevrotain: is this script still needed?');
}

await build({
  stdin: { contents: `export { ${[...names].sort().join(', ')} } from 'chevrotain';`, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'js' },
  outfile: vendored,
  bundle: true,
  format: 'esm',
  platform: 'neutral', // dist/browser.js uses it too
  mainFields: ['module', 'main'],
  target: 'es2022',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

for (const [file, text] of importers) {
  let spec = relative(dirname(file), vendored).split('\\').join('/');
  if (!spec.startsWith('.')) spec = './' + spec;
  await writeFile(file, text.replace(IMPORT, (_, list) => `import {${list}} from '${spec}';`));
}
