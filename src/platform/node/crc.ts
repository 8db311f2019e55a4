/**
 * Node's native CRC-32 for the sidecar and summary checks (Node only): imported for its effect
 * by the Node modules that read or write a store's indexes (`fs-source.ts`, `s3.ts`), so every
 * Node path (library, CLI, server, workers) checks heads with `zlib.crc32` instead of the
 * portable JavaScript loop (`store/sidecar.ts`, `useNativeCrc32`). `zlib.crc32` exists from
 * Node 20.15 and 22.2; without it the portable loop stays.
 */
import * as zlib from 'node:zlib';
import { useNativeCrc32 } from '../../store/sidecar.js';

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
if (typeof native === 'function') useNativeCrc32((data, value) => native(data, value));
