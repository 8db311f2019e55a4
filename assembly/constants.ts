/**
 * Constants shared by the kernel (AssemblyScript) and its TypeScript wrapper.
 *
 * Every value here has a twin in `src/scan/kernel.ts` / `src/scan/program-codec.ts` /
 * `src/scan/types.ts`; `test/scan/abi.test.ts` reads them back through the getter exports
 * of `index.ts` and checks that both sides agree. Change both sides together.
 */

/** Version of the export set, memory map and program format. */
export const ABI_VERSION: i32 = 1;

// Bad-line reason codes (0 means "not bad").
export const REASON_NONE: i32 = 0;
export const REASON_BAD_TIMESTAMP: i32 = 1;
export const REASON_TIMESTAMP_OUT_OF_RANGE: i32 = 2;
export const REASON_MISSING_BRACKET: i32 = 3;
export const REASON_WRONG_FIELD_COUNT: i32 = 4;
export const REASON_LINE_TOO_LONG: i32 = 5;

// Program byte format (see README.md).
/** "LQK1" read as a little-endian u32. */
export const PROGRAM_MAGIC: u32 = 0x314b514c;
export const PROGRAM_HEADER_BYTES: i32 = 32;
export const MATCH_OP_EQ: u32 = 0;
export const MATCH_OP_NEQ: u32 = 1;
export const FILTER_OP_CONTAINS: u32 = 0;
export const FILTER_OP_NOT_CONTAINS: u32 = 1;
/** Bytes per compiled matcher/filter descriptor that `setProgram` writes after the program bytes. */
export const DESC_BYTES: i32 = 32;

// setProgram error codes (negative).
export const PROGRAM_ERR_MAGIC: i32 = -1;
export const PROGRAM_ERR_TRUNCATED: i32 = -2;
export const PROGRAM_ERR_FIELD_COUNT: i32 = -3;
export const PROGRAM_ERR_FIELD_INDEX: i32 = -4;
export const PROGRAM_ERR_OP: i32 = -5;
export const PROGRAM_ERR_NO_ROOM: i32 = -6;

// Match record offsets (int32 per match), mirrored from src/scan/types.ts.
export const OFF_LINE_START: i32 = 0;
export const OFF_TIME_END: i32 = 1;
export const OFF_FIELD0_START: i32 = 2;
export const OFF_MSG_START: i32 = 8;
export const OFF_MSG_END: i32 = 9;
export const OFFSET_STRIDE: i32 = 10;

/** Bytes of slack after the input region, so 16-byte SIMD loads near its end stay in memory. */
export const INPUT_PAD: i32 = 64;
