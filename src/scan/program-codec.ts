/**
 * The kernel program's byte format: the only place a {@link KernelProgram} becomes bytes.
 *
 * All integers are little-endian; every item starts 4-byte aligned (padding bytes are 0).
 *
 * ```
 * offset  size  field
 *      0     4  magic 0x314B514C ("LQK1")
 *      4     4  fieldCount (2 = node, 3 = pod)
 *      8     8  startNs (i64, inclusive; clamped to int64)
 *     16     8  endNs   (i64, inclusive; clamped to int64)
 *     24     4  nMatchers
 *     28     4  nFilters
 *     32        nMatchers × { u32 field, u32 op (0 eq, 1 neq), u32 len, len bytes UTF-8, pad to 4 }
 *               nFilters  × { u32 op (0 contains, 1 notContains), u32 len, len bytes UTF-8, pad to 4 }
 * ```
 *
 * The kernel (`assembly/index.ts`, `setProgram`) checks the magic, the field count, every
 * field index and op, and that the lengths add up to exactly the byte count it was given.
 * It compiles the program into 32-byte descriptors placed after the program bytes, so the
 * program area must hold {@link programAreaBytes} bytes.
 */
import type { KernelProgram } from '../plan/program.js';

export const PROGRAM_MAGIC = 0x314b514c;
export const PROGRAM_HEADER_BYTES = 32;
export const MATCH_OP_EQ = 0;
export const MATCH_OP_NEQ = 1;
export const FILTER_OP_CONTAINS = 0;
export const FILTER_OP_NOT_CONTAINS = 1;
/** Bytes per compiled descriptor the kernel writes after the program bytes. */
export const DESC_BYTES = 32;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * A window bound as int64. Bounds beyond int64 are clamped: every line time the kernel
 * accepts is an int64, so clamping cannot change which lines are in the window.
 */
function parseNs(name: string, s: string): bigint {
  if (!/^-?\d+$/.test(s)) throw new RangeError(`kernel program: ${name} must be a decimal integer string, got ${JSON.stringify(s)}`);
  const v = BigInt(s);
  return v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v;
}

/** Encodes a kernel program to the byte format above. Throws `RangeError` on an invalid program. */
export function encodeProgram(p: KernelProgram): Uint8Array {
  if (p.version !== 1) throw new RangeError(`kernel program: unsupported version ${String(p.version)}`);
  if (p.fieldCount !== 2 && p.fieldCount !== 3) throw new RangeError(`kernel program: fieldCount must be 2 or 3, got ${String(p.fieldCount)}`);
  const startNs = parseNs('startNs', p.startNs);
  const endNs = parseNs('endNs', p.endNs);
  const enc = new TextEncoder();
  const matchers = p.labelMatchers.map((m) => {
    if (!Number.isInteger(m.field) || m.field < 0 || m.field >= p.fieldCount) {
      throw new RangeError(`kernel program: label matcher field ${m.field} is not below fieldCount ${p.fieldCount}`);
    }
    if (m.op !== 'eq' && m.op !== 'neq') throw new RangeError(`kernel program: unknown label matcher op ${String(m.op)}`);
    return { field: m.field, op: m.op === 'eq' ? MATCH_OP_EQ : MATCH_OP_NEQ, bytes: enc.encode(m.value) };
  });
  const filters = p.lineFilters.map((f) => {
    if (f.op !== 'contains' && f.op !== 'notContains') throw new RangeError(`kernel program: unknown line filter op ${String(f.op)}`);
    return { op: f.op === 'contains' ? FILTER_OP_CONTAINS : FILTER_OP_NOT_CONTAINS, bytes: enc.encode(f.needle) };
  });
  if (matchers.length > 0xffff || filters.length > 0xffff) throw new RangeError('kernel program: too many matchers or filters');
  let size = PROGRAM_HEADER_BYTES;
  for (const m of matchers) size += 12 + pad4(m.bytes.length);
  for (const f of filters) size += 8 + pad4(f.bytes.length);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PROGRAM_MAGIC, true);
  dv.setUint32(4, p.fieldCount, true);
  dv.setBigInt64(8, startNs, true);
  dv.setBigInt64(16, endNs, true);
  dv.setUint32(24, matchers.length, true);
  dv.setUint32(28, filters.length, true);
  let o = PROGRAM_HEADER_BYTES;
  for (const m of matchers) {
    dv.setUint32(o, m.field, true);
    dv.setUint32(o + 4, m.op, true);
    dv.setUint32(o + 8, m.bytes.length, true);
    out.set(m.bytes, o + 12);
    o += 12 + pad4(m.bytes.length);
  }
  for (const f of filters) {
    dv.setUint32(o, f.op, true);
    dv.setUint32(o + 4, f.bytes.length, true);
    out.set(f.bytes, o + 8);
    o += 8 + pad4(f.bytes.length);
  }
  return out;
}

/** Bytes the kernel's program area needs for `encoded` (program bytes, then compiled descriptors). */
export function programAreaBytes(encoded: Uint8Array): number {
  const dv = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const items = dv.getUint32(24, true) + dv.getUint32(28, true);
  return ((encoded.length + 7) & ~7) + items * DESC_BYTES + 64;
}
