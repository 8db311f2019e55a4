#!/usr/bin/env node
// Licence check of production dependencies: every package that `npm ls --omit=dev` installs
// must carry a permissive licence. letheql is Apache-2.0 and its users avoid (A)GPL on purpose.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ALLOWED = new Set(['Apache-2.0', 'MIT', 'MIT-0', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0', 'CC0-1.0', 'Unlicense', 'Python-2.0']);
const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], { encoding: 'utf8', maxBuffer: 64 << 20 }));

const seen = new Map();
(function walk(node) {
  for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
    if (!dep.path || seen.has(dep.path)) continue;
    const pkg = JSON.parse(readFileSync(join(dep.path, 'package.json'), 'utf8'));
    const lic = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? (pkg.licenses ?? []).map((l) => l.type).join(' OR '));
    seen.set(dep.path, { name, version: pkg.version, license: lic || 'UNKNOWN' });
    walk(dep);
  }
})(tree);

// A SPDX expression passes when every alternative of an OR, or every part of an AND, is allowed as needed.
function permitted(expr) {
  const e = expr.replace(/[()]/g, ' ').trim();
  if (/\bOR\b/.test(e)) return e.split(/\s+OR\s+/).some(permitted);
  if (/\bAND\b/.test(e)) return e.split(/\s+AND\s+/).every(permitted);
  return ALLOWED.has(e);
}

const bad = [...seen.values()].filter((p) => !permitted(p.license));
for (const p of [...seen.values()].sort((a, b) => a.name.localeCompare(b.name))) console.log(`${p.license.padEnd(14)} ${p.name}@${p.version}`);
if (bad.length) {
  console.error(`\nnot permitted: ${bad.map((p) => `${p.name}@${p.version} (${p.license})`).join(', ')}`);
  process.exit(1);
}
console.log(`\n${seen.size} production packages, all permissively licensed`);
