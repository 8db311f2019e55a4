/**
 * Child process of the crash test: appends numbered lines to a store under `fsync: 'batch'`
 * and prints `ack <first> <last>` after each append resolves (stdout is a pipe: synchronous
 * on Linux, so a printed ack has left the process before any later kill). Killed with
 * SIGKILL by the parent at a random moment.
 *
 * A SIGKILL rarely lands inside one `write` call (a power loss does), so some runs (seeded)
 * also simulate the torn write itself: after a few batches the child appends a random
 * prefix of its next batch's bytes straight to the file, as a write cut short would leave
 * it, prints nothing more and waits to be killed.
 *
 * argv: <store> <first number> <seed>
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupByFile, openStoreWriter } from '../../../src/write/store-writer.js';
import type { LogRecord } from '../../../src/write/record.js';

const [store, firstText, seedText] = process.argv.slice(2) as [string, string, string];
let seed = Number(seedText) >>> 0;
/** mulberry32: small, seeded, good enough to vary batch shapes. */
function random(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const writer = await openStoreWriter(store, { fsync: 'batch' });
process.stdout.write(`ready ${writer.repairs.length} ${writer.repairs.reduce((n, r) => n + r.cutBytes, 0)}\n`);
let next = Number(firstText);
const tearAfter = random() < 0.5 ? 1 + Math.floor(random() * 4) : -1;
let batches = 0;
const HOUR0 = 1727190000000000000n; // 2024-09-24T15:00:00Z
for (;;) {
  const size = 1 + Math.floor(random() * 200);
  // Now and then one line of 256 KiB: a write that long is where SIGKILL can tear a line.
  const big = random() < 0.2 ? Math.floor(random() * size) : -1;
  const batch: LogRecord[] = [];
  for (let i = 0; i < size; i++) {
    const n = next + i;
    // Spread over three hours and two namespaces so a batch touches several files.
    const time = HOUR0 + BigInt(n % 3) * 3_600_000_000_000n + BigInt(n % 1000) * 1_000_000n;
    batch.push({ kind: 'pod', time, namespace: n % 2 === 0 ? 'even' : 'odd', pod: 'crash', container: 'test', message: `n=${n} ${'x'.repeat(i === big ? 1 << 18 : Math.floor(random() * 100))}` });
  }
  if (batches++ === tearAfter) {
    const [file] = groupByFile(writer.format(batch));
    appendFileSync(join(store, file!.path), file!.bytes.subarray(0, 1 + Math.floor(random() * (file!.bytes.length - 1))));
    setInterval(() => undefined, 1 << 30); // keep the process alive until the kill
    await new Promise(() => undefined);
  }
  await writer.append(batch);
  process.stdout.write(`ack ${next} ${next + size - 1}\n`);
  next += size;
}
