/**
 * Constants shared by the kernel (AssemblyScript) and its TypeScript wrapper.
 *
 * Every value here has a twin in `src/scan/kernel.ts` / `src/scan/program-codec.ts` /
 * `src/scan/types.ts`; `test/scan/abi.test.ts` reads them back through the getter exports
 * of `index.ts` and checks that both sides agree. Change both sides together.
 */

/** Version of the export set, memory map and program format. */
export const ABI_VERSION: i32 = 3;

// Bad-line reason codes (0 means "not bad").
export const REASON_NONE: i32 = 0;
export const REASON_BAD_TIMESTAMP: i32 = 1;
export const REASON_TIMESTAMP_OUT_OF_RANGE: i32 = 2;
export const REASON_MISSING_BRACKET: i32 = 3;
export const REASON_WRONG_FIELD_COUNT: i32 = 4;
export const REASON_LINE_TOO_LONG: i32 = 5;

// Program byte format (see README.md).
/** "LQK2" read as a little-endian u32. */
export const PROGRAM_MAGIC: u32 = 0x324b514c;
export const PROGRAM_HEADER_BYTES: i32 = 32;
// Label matcher ops. Payload: bytes (eq/neq) or an automaton (regex/notRegex, full match).
export const MATCH_OP_EQ: u32 = 0;
export const MATCH_OP_NEQ: u32 = 1;
export const MATCH_OP_REGEX: u32 = 2;
export const MATCH_OP_NOT_REGEX: u32 = 3;
// Line filter ops. Payload: bytes (the four literal ops) or an automaton (regex/notRegex, search).
export const FILTER_OP_CONTAINS: u32 = 0;
export const FILTER_OP_NOT_CONTAINS: u32 = 1;
export const FILTER_OP_CONTAINS_FOLD: u32 = 2;
export const FILTER_OP_NOT_CONTAINS_FOLD: u32 = 3;
export const FILTER_OP_REGEX: u32 = 4;
export const FILTER_OP_NOT_REGEX: u32 = 5;

// Automaton payloads (see README.md): a 16-byte header, then the body.
export const AUTOMATON_HEADER_BYTES: i32 = 16;
/** `{u32 kind = 0, u32 classCount, u32 stateCount, u32 start, u8 classes[256], i32 table[stateCount × (classCount + 1)]}` */
export const AUTOMATON_DFA: u32 = 0;
/** `{u32 kind = 1, u32 nInsts, u32 start, u32 flags, i32 insts[nInsts × 4]}` */
export const AUTOMATON_PIKE: u32 = 1;
/** Pike flag: threads start at position 0 only (anchored start, or a full match). */
export const PIKE_FLAG_ANCHOR_START: u32 = 1;
/** Pike flag: a match counts only at the end of the text (full match). */
export const PIKE_FLAG_ANCHOR_END: u32 = 2;
/** DFA state ids with a fixed meaning; both rows must map to themselves. */
export const DFA_DEAD: u32 = 0;
export const DFA_MATCH: u32 = 1;
/** Pike VM instruction opcodes (`[op, a, b, c]`, mirrored from `src/regex/automaton.ts`). */
export const OP_BYTE: u32 = 0;
export const OP_SPLIT: u32 = 1;
export const OP_SAVE: u32 = 2;
export const OP_ASSERT: u32 = 3;
export const OP_MATCH: u32 = 4;
export const OP_FAIL: u32 = 5;
export const OP_NOP: u32 = 6;
export const ASSERT_BEGIN_LINE: u32 = 1;
export const ASSERT_END_LINE: u32 = 2;
export const ASSERT_BEGIN_TEXT: u32 = 4;
export const ASSERT_END_TEXT: u32 = 8;
export const ASSERT_WORD_BOUNDARY: u32 = 16;
export const ASSERT_NOT_WORD_BOUNDARY: u32 = 32;
/** Bytes of Pike VM scratch per instruction of the largest Pike program: two sparse sets (dense + sparse) and the closure stack. */
export const PIKE_SCRATCH_BYTES_PER_INST: i32 = 20;
/** Bytes per compiled matcher/filter descriptor that `setProgram` writes after the program bytes. */
export const DESC_BYTES: i32 = 32;

// setProgram error codes (negative).
export const PROGRAM_ERR_MAGIC: i32 = -1;
export const PROGRAM_ERR_TRUNCATED: i32 = -2;
export const PROGRAM_ERR_FIELD_COUNT: i32 = -3;
export const PROGRAM_ERR_FIELD_INDEX: i32 = -4;
export const PROGRAM_ERR_OP: i32 = -5;
export const PROGRAM_ERR_NO_ROOM: i32 = -6;
/** An automaton payload of unknown kind. */
export const PROGRAM_ERR_AUTOMATON_KIND: i32 = -7;
/** An automaton whose header counts are out of range or whose payload length is not the size they imply. */
export const PROGRAM_ERR_AUTOMATON_SIZE: i32 = -8;
/** A DFA byte class id `>= classCount`. */
export const PROGRAM_ERR_DFA_CLASS: i32 = -9;
/** A DFA start or table entry `>= stateCount`, or a dead/match row that does not map to itself. */
export const PROGRAM_ERR_DFA_STATE: i32 = -10;
/** A Pike instruction with an unknown opcode, a byte bound above 255, unknown assertion bits, or unknown Pike flags. */
export const PROGRAM_ERR_PIKE_INST: i32 = -11;
/** A Pike start or instruction target `>= nInsts`. */
export const PROGRAM_ERR_PIKE_TARGET: i32 = -12;

// Match record offsets (int32 per match), mirrored from src/scan/types.ts.
export const OFF_LINE_START: i32 = 0;
export const OFF_TIME_END: i32 = 1;
export const OFF_FIELD0_START: i32 = 2;
export const OFF_MSG_START: i32 = 8;
export const OFF_MSG_END: i32 = 9;
export const OFFSET_STRIDE: i32 = 10;

/** Bytes of slack after the input region, so 16-byte SIMD loads near its end stay in memory. */
export const INPUT_PAD: i32 = 64;
