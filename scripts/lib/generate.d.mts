/** Types for `bench/generate.mjs` (a plain-JS script, so benches run without a build). */

/** Parses `256MB` (decimal), `256MiB`/`256M` (binary), `1GiB`, `1048576`. Throws on anything else. */
export function parseSize(text: string): number;

export const GENERATOR: string;
/** Name of the marker file written at the root of a generated store. */
export const MARKER: string;
/** The rare token, `trace_id=RARE-7f3a`, carried by about one line in 100,000 (about 40 lines in 1 GiB). */
export const RARE_TOKEN: string;

export interface GenerateOptions {
  /** Store root to create. Must be absent, empty, or a store this generator wrote. */
  out: string;
  /** Exact total size of the files, in bytes. */
  sizeBytes: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
}

export interface GeneratedStore {
  generator: string;
  sizeBytes: number;
  seed: number;
  complete: true;
  /** Absolute root. */
  out: string;
  /** Bytes written (equals `sizeBytes` for sizes ≥ 1 KiB). */
  bytes: number;
  files: number;
  lines: number;
  /** Lines carrying {@link RARE_TOKEN}. */
  rareLines: number;
  rareToken: string;
  /** Long lines (8–64 KiB: dumps, SQL, Korean text, runs of `a`/`x`), only in files big enough to hold four of them. */
  longLines: number;
  hours: number;
  namespaces: string[];
  nodes: string[];
  /** Inclusive window covering every line, RFC 3339: the first hour's start … the last hour's last ns. */
  start: string;
  end: string;
  elapsedMs: number;
  /** True when a marker with the same parameters was found and nothing was written. */
  skipped: boolean;
}

/** Generates (or finds already generated) a seeded store; see the header of generate.mjs. */
export function generateStore(options: GenerateOptions): Promise<GeneratedStore>;
