// Platform-neutral globals for the core (tsconfig.core.json): the part of the web platform
// that browsers (ES2022-era) and Node >= 20 both provide, declared as narrowly as the core
// uses it. No DOM, no Node: a global that is not here is not available to parse/plan/scan/
// exec/pipeline/metrics. Add a member only when both platforms have it.
export {};

declare global {
  interface TextEncoder {
    encode(input?: string): Uint8Array;
    encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
  }
  var TextEncoder: { new (): TextEncoder };
  interface TextDecoder {
    decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
  }
  var TextDecoder: { new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder };

  var performance: { now(): number };
  function atob(data: string): string;
  function btoa(data: string): string;
  function setTimeout(handler: (...args: unknown[]) => void, timeout?: number): unknown;
  function clearTimeout(id: unknown): void;
  function queueMicrotask(callback: () => void): void;
  var console: { log(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };

  interface Event {
    readonly type: string;
  }
  interface AbortSignal {
    readonly aborted: boolean;
    readonly reason: unknown;
    throwIfAborted(): void;
    addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
    removeEventListener(type: 'abort', listener: () => void): void;
  }
  var AbortSignal: { prototype: AbortSignal; timeout(ms: number): AbortSignal; abort(reason?: unknown): AbortSignal; any(signals: AbortSignal[]): AbortSignal };
  interface AbortController {
    readonly signal: AbortSignal;
    abort(reason?: unknown): void;
  }
  var AbortController: { new (): AbortController };
  interface DOMException extends Error {
    readonly name: string;
  }
  var DOMException: { new (message?: string, name?: string): DOMException; prototype: DOMException };

  type ReadableStreamReadResult<T> = { done: false; value: T } | { done: true; value?: undefined };
  interface ReadableStreamDefaultReader<R> {
    read(): Promise<ReadableStreamReadResult<R>>;
    cancel(reason?: unknown): Promise<void>;
    releaseLock(): void;
  }
  interface ReadableStream<R> {
    getReader(): ReadableStreamDefaultReader<R>;
  }
  interface Blob {
    readonly size: number;
    readonly type: string;
    slice(start?: number, end?: number, contentType?: string): Blob;
    stream(): ReadableStream<Uint8Array>;
    arrayBuffer(): Promise<ArrayBuffer>;
    text(): Promise<string>;
  }
  var Blob: { prototype: Blob; new (parts?: (ArrayBuffer | ArrayBufferView | Blob | string)[], options?: { type?: string }): Blob };
  interface File extends Blob {
    readonly name: string;
    readonly lastModified: number;
    /** Browsers only (folder pickers); `undefined` in Node. */
    readonly webkitRelativePath: string;
  }
  var File: { prototype: File; new (parts: (ArrayBuffer | ArrayBufferView | Blob | string)[], name: string, options?: { type?: string; lastModified?: number }): File };

  namespace WebAssembly {
    interface Module {}
    var Module: { prototype: Module; new (bytes: ArrayBufferView | ArrayBuffer): Module };
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: { prototype: Memory; new (descriptor: { initial: number; maximum?: number; shared?: boolean }): Memory };
    interface Instance {
      readonly exports: Record<string, unknown>;
    }
    var Instance: { prototype: Instance; new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
    function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
    function instantiate(module: Module, imports?: Record<string, Record<string, unknown>>): Promise<Instance>;
  }
}
