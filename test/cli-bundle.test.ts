/**
 * The CLI's start-up depends on what its bundle loads before running a command: `query`,
 * `explain` and `targets` must not load the HTTP server, the write path or fastify, nor
 * Apache Arrow, the metric evaluator or the log pipeline's stages (loaded by the queries
 * that need them). They
 * sit behind `import()` in src/cli/main.ts (SUBCOMMANDS); a static import of one of them
 * would put it back on every command's start-up path. So would the full query parser
 * (Chevrotain): a plain selector is parsed by src/query/simple.ts. This builds the bundle's
 * module graph with scripts/build-cli.mjs's own options and checks what the entry chunk and
 * the chunks it imports statically contain, and that they are one file besides the entry.
 */
import { build, type Metafile } from 'esbuild';
import { cliBuildOptions } from '../scripts/build-cli.mjs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every input of the chunks loaded at start (the entry and its static imports, transitively). */
function startupInputs(meta: Metafile): string[] {
  const entry = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === 'src/cli/main.ts');
  if (!entry) throw new Error('no entry chunk for src/cli/main.ts');
  const seen = new Set<string>();
  const visit = (out: string): void => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const imp of meta.outputs[out]!.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(entry);
  return [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
}

describe('the CLI bundle', () => {
  it('loads neither the server, the write path, fastify, Arrow, the metric evaluator nor the pipeline stages to run a query', async () => {
    const result = await build({ ...cliBuildOptions, absWorkingDir: root, outdir: 'out', write: false, metafile: true, logLevel: 'silent', sourcemap: false });
    const inputs = startupInputs(result.metafile);
    expect(inputs).toContain('src/query/simple.ts'); // the check sees the query path
    // A plain selector is parsed by simple.ts; Chevrotain loads only for other queries.
    expect(inputs.filter((i) => /chevrotain|^src\/query\/(parser|grammar|lexer|visitor)\.ts$/.test(i))).toEqual([]);
    expect(inputs.filter((i) => /^src\/(server|write)\/|^src\/cli\/(serve|write-commands)\.ts$|fastify/.test(i))).toEqual([]);
    // Loaded by `import()` where a query needs them (src/api.ts, src/exec/execute.ts, src/plan/plan.ts, src/cli/main.ts).
    expect(inputs.filter((i) => /apache-arrow|flatbuffers|^src\/arrow\/|^src\/metrics\/(evaluator|arrow)\.ts$|^src\/pipeline\/index\.ts$|^src\/exec\/(metric-source|pipeline-rows)\.ts$/.test(i))).toEqual([]);
    const startChunks = new Set<string>();
    const entry = Object.keys(result.metafile.outputs).find((o) => result.metafile.outputs[o]!.entryPoint === 'src/cli/main.ts')!;
    for (const imp of result.metafile.outputs[entry]!.imports) if (imp.kind === 'import-statement' && !imp.external) startChunks.add(imp.path);
    expect(startChunks.size).toBe(1); // see oneStartChunk in scripts/build-cli.mjs
    const staticImports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect(staticImports.filter((p) => p.includes('fastify'))).not.toEqual([]); // only the serve chunk has them
  }, 60_000);
});
