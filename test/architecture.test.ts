/**
 * The house rules for imports, checked with madge (an import-graph tool) over src/:
 * no module imports itself back through a cycle (type-only imports included: a cycle of types
 * is still two modules that cannot be understood apart), and the core — everything but the faces (cli, server, write) and
 * the Node/browser wings — never imports a face. (That the core imports no `node:` module is
 * checked by the compiler: tsconfig.core.json.)
 */
import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const CONFIG = {
  fileExtensions: ['ts'],
  tsConfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
  detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
};

const FACES = ['cli/', 'server/', 'write/', 'rules/'];
const WINGS = ['node.ts', 'node-store.ts', 'browser.ts', 'store/fs-source.ts', 'store/node-', 'exec/node-', 'exec/workers/node-', 'exec/workers/web-'];
const isFace = (m: string) => FACES.some((f) => m.startsWith(f));
const isWing = (m: string) => WINGS.some((w) => m.startsWith(w));

describe('import graph', async () => {
  const graph = await madge(SRC, CONFIG);
  const deps = graph.obj();

  it('sees the whole of src/ (the check can fail)', () => {
    expect(Object.keys(deps).length).toBeGreaterThan(100);
    expect(deps['api.ts']).toContain('plan/plan.ts');
  });

  it('has no circular imports', () => {
    expect(graph.circular()).toEqual([]);
  });

  it('the core imports no face and no platform wing', () => {
    const bad = Object.entries(deps).flatMap(([mod, imports]) =>
      isFace(mod) || isWing(mod) ? [] : imports.filter((i) => isFace(i) || isWing(i)).map((i) => `${mod} -> ${i}`),
    );
    expect(bad).toEqual([]);
  });
});
