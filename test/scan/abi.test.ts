/** The constants shared by the AssemblyScript kernel and the TS wrapper must agree. */
import { describe, expect, test } from 'vitest';
import { BAD_LINE_REASON_CODES, KERNEL_ABI_VERSION, KERNEL_INPUT_PAD, Kernel, SEARCH_MIN_MAX_LINE } from '../../src/scan/kernel.js';
import * as A from '../../src/regex/automaton.js';
import { UTF8_DECODE } from '../../src/regex/compile.js';
import * as C from '../../src/scan/program-codec.js';
import { DESC_BYTES, FILTER_OP_CONTAINS, FILTER_OP_NOT_CONTAINS, MATCH_OP_EQ, MATCH_OP_NEQ, PROGRAM_ERRORS, PROGRAM_HEADER_BYTES, PROGRAM_MAGIC } from '../../src/scan/program-codec.js';
import { OFF_FIELD0_START, OFF_LINE_START, OFF_MSG_END, OFF_MSG_START, OFF_TIME_END, OFFSET_STRIDE } from '../../src/scan/types.js';
import { KERNEL_WASM_BASE64 } from '../../src/scan/kernel-wasm.generated.js';

describe('kernel ABI constants', async () => {
  const k = await Kernel.load();
  const x = k.exports as unknown as Record<string, () => number>;
  test.each([
    ['abiVersion', KERNEL_ABI_VERSION],
    ['reasonBadTimestamp', BAD_LINE_REASON_CODES['bad-timestamp']],
    ['reasonTimestampOutOfRange', BAD_LINE_REASON_CODES['timestamp-out-of-range']],
    ['reasonMissingBracket', BAD_LINE_REASON_CODES['missing-bracket']],
    ['reasonWrongFieldCount', BAD_LINE_REASON_CODES['wrong-field-count']],
    ['reasonLineTooLong', BAD_LINE_REASON_CODES['line-too-long']],
    ['programMagic', PROGRAM_MAGIC],
    ['programHeaderBytes', PROGRAM_HEADER_BYTES],
    ['descBytes', DESC_BYTES],
    ['inputPad', KERNEL_INPUT_PAD],
    ['searchMinMaxLine', SEARCH_MIN_MAX_LINE],
    ['offsetStride', OFFSET_STRIDE],
    ['offLineStart', OFF_LINE_START],
    ['offTimeEnd', OFF_TIME_END],
    ['offField0Start', OFF_FIELD0_START],
    ['offMsgStart', OFF_MSG_START],
    ['offMsgEnd', OFF_MSG_END],
    ['matchOpEq', MATCH_OP_EQ],
    ['matchOpNeq', MATCH_OP_NEQ],
    ['filterOpContains', FILTER_OP_CONTAINS],
    ['filterOpNotContains', FILTER_OP_NOT_CONTAINS],
    ['matchOpRegex', C.MATCH_OP_REGEX],
    ['matchOpNotRegex', C.MATCH_OP_NOT_REGEX],
    ['filterOpContainsFold', C.FILTER_OP_CONTAINS_FOLD],
    ['filterOpNotContainsFold', C.FILTER_OP_NOT_CONTAINS_FOLD],
    ['filterOpRegex', C.FILTER_OP_REGEX],
    ['filterOpNotRegex', C.FILTER_OP_NOT_REGEX],
    ['automatonHeaderBytes', C.AUTOMATON_HEADER_BYTES],
    ['automatonDfa', C.AUTOMATON_DFA],
    ['automatonPike', C.AUTOMATON_PIKE],
    ['pikeFlagAnchorStart', C.PIKE_FLAG_ANCHOR_START],
    ['pikeFlagAnchorEnd', C.PIKE_FLAG_ANCHOR_END],
    ['pikeScratchBytesPerInst', C.PIKE_SCRATCH_BYTES_PER_INST],
    // The automaton format is defined in src/regex/automaton.ts; the kernel mirrors it.
    ['dfaDead', A.DFA_DEAD],
    ['dfaMatchState', A.DFA_MATCH],
    ['opByte', A.OP_BYTE],
    ['opSplit', A.OP_SPLIT],
    ['opSave', A.OP_SAVE],
    ['opAssert', A.OP_ASSERT],
    ['opMatch', A.OP_MATCH],
    ['opFail', A.OP_FAIL],
    ['opNop', A.OP_NOP],
    ['assertBeginLine', A.ASSERT_BEGIN_LINE],
    ['assertEndLine', A.ASSERT_END_LINE],
    ['assertBeginText', A.ASSERT_BEGIN_TEXT],
    ['assertEndText', A.ASSERT_END_TEXT],
    ['assertWordBoundary', A.ASSERT_WORD_BOUNDARY],
    ['assertNotWordBoundary', A.ASSERT_NOT_WORD_BOUNDARY],
    ['programErrMagic', PROGRAM_ERRORS.magic],
    ['programErrTruncated', PROGRAM_ERRORS.truncated],
    ['programErrFieldCount', PROGRAM_ERRORS.fieldCount],
    ['programErrFieldIndex', PROGRAM_ERRORS.fieldIndex],
    ['programErrOp', PROGRAM_ERRORS.op],
    ['programErrNoRoom', PROGRAM_ERRORS.noRoom],
    ['programErrAutomatonKind', PROGRAM_ERRORS.automatonKind],
    ['programErrAutomatonSize', PROGRAM_ERRORS.automatonSize],
    ['programErrDfaClass', PROGRAM_ERRORS.dfaClass],
    ['programErrDfaState', PROGRAM_ERRORS.dfaState],
    ['programErrPikeInst', PROGRAM_ERRORS.pikeInst],
    ['programErrPikeTarget', PROGRAM_ERRORS.pikeTarget],
  ])('%s', (name, value) => {
    expect(typeof x[name]).toBe('function');
    expect(x[name]!()).toBe(value);
  });

  test('program error codes are distinct and negative', () => {
    const codes = Object.values(PROGRAM_ERRORS);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((c) => c < 0)).toBe(true);
  });

  test("the kernel's UTF-8 decoder table (rune boundaries) equals src/regex/compile.ts's", () => {
    const utf8Decode = x['utf8Decode'] as unknown as (s: number, b: number) => number;
    const kernel = Int8Array.from({ length: 8 * 256 }, (_, i) => utf8Decode(i >> 8, i & 255));
    expect(kernel).toEqual(UTF8_DECODE);
  });

  test('reason codes are distinct and non-zero', () => {
    const codes = Object.values(BAD_LINE_REASON_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).not.toContain(0);
  });

  test('the module has no imports and integer-only function exports', async () => {
    const bytes = Uint8Array.from(atob(KERNEL_WASM_BASE64), (c) => c.charCodeAt(0));
    const mod = await WebAssembly.compile(bytes);
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    const kinds = WebAssembly.Module.exports(mod).map((e) => e.kind);
    expect(kinds.filter((kd) => kd === 'memory')).toHaveLength(1);
    expect(kinds.every((kd) => kd === 'function' || kd === 'memory')).toBe(true);
  });

  test('each Kernel has its own memory', async () => {
    const k2 = await Kernel.load();
    expect(k2.exports.memory).not.toBe(k.exports.memory);
  });
});
