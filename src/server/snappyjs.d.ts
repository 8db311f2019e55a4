// snappyjs 0.7 ships no types. Only the two functions we call (block format, as Loki's push uses).
declare module 'snappyjs' {
  /** Decompresses a snappy block; throws when the stream is invalid or would exceed `maxLength` bytes. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  /** Compresses into one snappy block. */
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
