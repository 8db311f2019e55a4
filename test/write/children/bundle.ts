/**
 * Bundles a child-process entry (TypeScript, importing src/) into one ESM file with esbuild,
 * so tests can spawn it with plain `node` without a build of the package.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function bundleChild(name: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    // Bundled CommonJS (the NATS client) calls require() for Node's modules: give it one.
    banner: { js: "import { createRequire as __childRequire } from 'node:module'; const require = __childRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}
