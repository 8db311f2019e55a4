/**
 * Notices the CLI prints on stderr about lines a query could not return, so that they are
 * not visible only with `--stats`: a line longer than the scan's line limit (64 MiB) is
 * skipped whole (`line-too-long`), which a user reading the output would otherwise take for
 * an absent line. Other bad lines (no timestamp, no brackets) are store damage that Lethe
 * skips silently too; they stay in `--stats`.
 */
import type { QueryStats } from '../exec/stats.js';
import { DEFAULT_MAX_LINE_BYTES } from '../scan/kernel.js';

/** The stderr line for skipped over-long lines, or null when there were none. */
export function skippedLinesNotice(stats: QueryStats | null | undefined): string | null {
  if (!stats) return null;
  const tooLong = stats.badLineSamples.filter((s) => s.reason === 'line-too-long');
  if (tooLong.length === 0) return null;
  // Samples are capped: when some bad lines were not sampled, the count is a lower bound.
  const count = stats.badLineSamples.length < stats.badLines ? `at least ${tooLong.length}` : String(tooLong.length);
  const first = tooLong[0]!;
  const mib = DEFAULT_MAX_LINE_BYTES / 2 ** 20;
  return `letheql: skipped ${count} line${tooLong.length === 1 ? '' : 's'} longer than ${mib} MiB (line-too-long), the first at ${first.path}:${first.line}; --stats lists bad lines\n`;
}
