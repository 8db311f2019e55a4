/**
 * Drain off the page's thread: the Patterns tab's lines arrive as one UTF-8 buffer with
 * offsets (copied from the result's Arrow column, transferred, never a million strings
 * cloned) and each line's time bucket; the templates go back as Drain reports them. One
 * worker per request: the page terminates it when a newer result or tab change makes the
 * answer stale, so a long run never delays the next one.
 */
import { Drain, type DrainPattern } from '../../src/patterns/drain.js';

/** A request: line i is `bytes[offsets[i] .. offsets[i+1])`, in bucket `buckets[i]`. */
export interface PatternsRequest {
  bytes: Uint8Array;
  offsets: Int32Array;
  buckets: Int32Array;
}

export interface PatternsAnswer {
  patterns: DrainPattern[];
}

const scope = self as unknown as { postMessage(message: PatternsAnswer): void; onmessage: ((e: MessageEvent<PatternsRequest>) => void) | null };

scope.onmessage = (e) => {
  const { bytes, offsets, buckets } = e.data;
  const decoder = new TextDecoder();
  const drain = new Drain();
  for (let i = 0; i < buckets.length; i++) drain.add(decoder.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!)), buckets[i]!);
  scope.postMessage({ patterns: drain.patterns() });
};
