#!/usr/bin/env bash
# Packs letheql as npm would publish it, installs the tarball into an empty project, and uses
# it the way a user does: the library's Node entry, the browser entry's exports, and the CLI
# against the bundled fixture store.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball="$(cd "$root" && npm pack --silent --pack-destination "$tmp" | tail -n 1)"
cd "$tmp"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "./$tarball"
node --input-type=module -e "
  import { openStore, getStats, parseQuery, printQuery } from 'letheql';
  import * as browser from 'letheql/browser';
  const store = openStore('node_modules/letheql/fixtures/store');
  const t = await store.query('pod{namespace=\"shop\"} |= \"error\"', { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' });
  if (t.numRows !== 38) throw new Error('expected 38 rows, got ' + t.numRows);
  if (typeof browser.openMemoryStore !== 'function') throw new Error('browser entry lacks openMemoryStore');
  console.log('library ok:', t.numRows, 'rows,', getStats(t).bytesScanned, 'bytes;', printQuery(parseQuery('pod{namespace=\"a\"}|=\"b\"')));
"
count="$(npx --no-install letheql query --now 2024-09-24T16:00:00Z --since 3h --count 'pod{namespace="shop"} |= "error"')"
[ "$count" = "38" ] || { echo "CLI count: expected 38, got $count"; exit 1; }
echo "cli ok: $count"
