/**
 * The scan stage's public pieces: the WASM kernel wrapper, the program encoder, and the
 * match-batch types. Everything here runs in Node and in browsers (no `node:` imports).
 */
export { Kernel, kernelModule, BAD_LINE_REASON_CODES, KERNEL_ABI_VERSION, DEFAULT_BLOCK_SIZE, DEFAULT_MAX_LINE_BYTES } from './kernel.js';
export { DEFAULT_MAX_BAD_LINE_SAMPLES } from './types.js';
export type { KernelExports } from './kernel.js';
export { encodeProgram, programAreaBytes, PROGRAM_MAGIC, PROGRAM_HEADER_BYTES, MATCH_OP_EQ, MATCH_OP_NEQ, FILTER_OP_CONTAINS, FILTER_OP_NOT_CONTAINS } from './program-codec.js';
export * from './types.js';
