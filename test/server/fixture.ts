/** A small store written inline, for the Loki-dialect, limits and auth tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRfc3339 } from '../../src/time.js';

export const NOW = '2024-09-24T16:00:00Z';
export const ns = (rfc3339: string): string => String(parseRfc3339(rfc3339)!);

export const FILES: Record<string, string> = {
  'pod/shop/2024-09-24_15.log': [
    '2024-09-24T15:00:01.000000Z[shop|api-1|app] GET /cart 200',
    '2024-09-24T15:00:02.000000Z[shop|api-1|app] POST /cart 500 error',
    '2024-09-24T15:00:03.000000Z[shop|web-1|nginx] GET / 200',
    '2024-09-24T15:30:00.000000Z[shop|api-1|istio] healthz',
    '',
  ].join('\n'),
  'pod/default/2024-09-24_15.log': '2024-09-24T15:10:00.000000Z[default|db-0|postgres] checkpoint error\n',
  'node/node-a/2024-09-24_15.log': '2024-09-24T15:05:00.000000Z[node-a|kubelet] OOM killed\n2024-09-24T15:06:00.000000Z[node-a|containerd] started\n',
};

/** Writes {@link FILES} under `dir`. */
export function writeFixture(dir: string, files: Record<string, string> = FILES): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}
