/**
 * Byte helpers of the kernel: SIMD byte search, equality, and the byte-rarity ranking the
 * literal search uses to pick its two candidate bytes.
 *
 * Invariant relied on by the SIMD loads: every range passed here lies in the input or
 * program region, and at least 16 readable bytes follow its end (`INPUT_PAD` after the
 * input region; the program area is followed by the output columns). Bits for positions at
 * or past the end are masked off, so bytes past the end never change a result.
 */

/** First index of `byte` in `[p, end)`, or a value `>= end` when absent. */
// @ts-ignore: decorator
@inline export function findByte(p: usize, end: usize, byte: u8): usize {
  const v = i8x16.splat(byte);
  while (p < end) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(p), v));
    if (m != 0) {
      const at = p + <usize>ctz(m);
      return at < end ? at : end;
    }
    p += 16;
  }
  return end;
}

/**
 * First index of `\n` in `[p, end)`, or `end` when absent: 64 bytes a step (one `any_true`
 * over four compares) while none is there, for the line-by-line framing loop, whose lines
 * are typically a few 64-byte steps long.
 */
export function findNewline(p: usize, end: usize): usize {
  const v = i8x16.splat(0x0a);
  while (p + 64 <= end) {
    const e0 = i8x16.eq(v128.load(p), v);
    const e1 = i8x16.eq(v128.load(p, 16), v);
    const e2 = i8x16.eq(v128.load(p, 32), v);
    const e3 = i8x16.eq(v128.load(p, 48), v);
    if (v128.any_true(v128.or(v128.or(e0, e1), v128.or(e2, e3)))) {
      const m: u64 = <u64><u32>i8x16.bitmask(e0) | (<u64><u32>i8x16.bitmask(e1) << 16) | (<u64><u32>i8x16.bitmask(e2) << 32) | (<u64><u32>i8x16.bitmask(e3) << 48);
      return p + <usize>ctz(m);
    }
    p += 64;
  }
  return findByte(p, end, 0x0a);
}

/** True when the `n` bytes at `a` and `b` are equal. */
// @ts-ignore: decorator
@inline export function memEq(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

/**
 * How common a byte is in log text (higher = more common). A rough ranking in the spirit
 * of the byte-frequency table of Rust's `memchr`: spaces and lower-case letters (by
 * English frequency) first, then digits and common punctuation, then upper case, then the
 * rest. It only steers performance, never results.
 */
export function byteRank(c: u8): i32 {
  if (c == 0x20) return 255;
  if (c >= 0x61 && c <= 0x7a) {
    // e t a o i n s r h l d c u m f p g w y b v k x j q z
    switch (c) {
      case 0x65: return 250; case 0x74: return 245; case 0x61: return 240; case 0x6f: return 235;
      case 0x69: return 230; case 0x6e: return 225; case 0x73: return 220; case 0x72: return 215;
      case 0x68: return 200; case 0x6c: return 195; case 0x64: return 190; case 0x63: return 185;
      case 0x75: return 180; case 0x6d: return 175; case 0x66: return 165; case 0x70: return 165;
      case 0x67: return 160; case 0x77: return 150; case 0x79: return 150; case 0x62: return 145;
      case 0x76: return 120; case 0x6b: return 115; case 0x78: return 90; case 0x6a: return 85;
      case 0x71: return 80; default: return 80;
    }
  }
  if (c >= 0x30 && c <= 0x39) return c == 0x30 || c == 0x31 || c == 0x32 ? 205 : 170;
  switch (c) {
    case 0x2e: case 0x3a: case 0x2d: case 0x2f: case 0x22: case 0x3d: case 0x2c: case 0x5f:
      return 168;
    case 0x5b: case 0x5d: case 0x7c: case 0x28: case 0x29: case 0x27: case 0x09:
      return 130;
  }
  if (c >= 0x41 && c <= 0x5a) return c == 0x45 || c == 0x49 || c == 0x4f || c == 0x54 || c == 0x53 || c == 0x41 ? 140 : 110;
  if (c >= 0x80) return 60;
  return 40;
}
