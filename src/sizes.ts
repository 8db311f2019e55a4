/**
 * Size limits (`500m`, `1GiB`, `1000GB`, `1048576`), parsed one way for every face: the CLI's
 * size flags, the server's `limits`, and retention's `--max-size` (Lethe's `100m` syntax).
 * Platform-neutral: the CLI's query path loads it without the write path.
 */
import { LetheQLError } from './errors.js';

const SIZE = /^(\d+)\s*(?:([kKmMgGtT])(?:i?[bB])?|([bB]))?$/;
const SIZE_UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * Parses a size limit. Lethe's config accepts `100k`, `100m`, `100g` (powers of 1024); we
 * accept those, upper case, `t`, an optional `B`/`iB` suffix (`1000GB`, `1000GiB`), and
 * plain bytes (`1048576`, `512B`). Every unit is binary: `1000GB` is 1000 × 2^30 bytes, as
 * Lethe reads `1000g`. `0` means no limit (returns null), as in Lethe.
 */
export function parseSize(text: string, what = 'size'): number | null {
  const m = SIZE.exec(text.trim());
  if (!m) throw new LetheQLError('INVALID_OPTION', `invalid ${what} ${JSON.stringify(text)}: expected a size such as 500m, 100g, 1000GB or 1048576 (bytes)`);
  const unit = m[2] === undefined ? 1 : SIZE_UNITS[m[2].toLowerCase()]!;
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new LetheQLError('INVALID_OPTION', `invalid ${what} ${JSON.stringify(text)}: too large`);
  return bytes === 0 ? null : bytes;
}
