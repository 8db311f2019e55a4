// Types of scripts/build-cli.mjs, for test/cli-bundle.test.ts.
import type { BuildOptions } from 'esbuild';

/** The esbuild options of the CLI bundle. */
export declare const cliBuildOptions: BuildOptions;
