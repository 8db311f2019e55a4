/** The constants shared by the AssemblyScript kernel and the TS wrapper must agree. */
import { describe, expect, test } from 'vitest';
import { BAD_LINE_REASON_CODES, KERNEL_ABI_VERSION, KERNEL_INPUT_PAD, Kernel } from '../../src/scan/kernel.js';
import { DESC_BYTES, FILTER_OP_CONTAINS, FILTER_OP_NOT_CONTAINS, MATCH_OP_EQ, MATCH_OP_NEQ, PROGRAM_HEADER_BYTES, PROGRAM_MAGIC } from '../../src/scan/program-codec.js';
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
  ])('%s', (name, value) => {
    expect(typeof x[name]).toBe('function');
    expect(x[name]!()).toBe(value);
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
