/**
 * What every CLI subcommand shares with the entry point (`main.ts`): the streams and
 * environment it runs with, and where the bundled fixture store is. Its own module so that
 * subcommands import it without importing `main.ts`, which loads them (no import cycle).
 */
import { fileURLToPath } from 'node:url';

/** The process's streams and environment, injected so tests run the CLI in-process. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/**
 * The fixture store shipped in the package (the default `--store`). The same relative path
 * from `src/cli/`, `dist/cli/` and the bundle's flat `dist/bin/`.
 */
export const BUNDLED_STORE = fileURLToPath(new URL('../../fixtures/store', import.meta.url));
