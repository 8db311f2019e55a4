/**
 * The house rules for imports, checked with madge (an import-graph tool) over src/:
 * no module imports itself back through a cycle (type-only imports included: a cycle of types
 * is still two modules that cannot be understood apart); the core — everything but the faces (cli, server, write, rules)
 * and the platform wings (`platform/`, the entries `node.ts` and `browser.ts`) — never imports a face or a wing; and only
 * the Node wing (`platform/node/`) and the faces import `node:` modules (the compiler checks the core too: tsconfig.core.json).
 */
import { readdirSync, readFileSync } from 'node:fs';
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
const WINGS = ['node.ts', 'browser.ts', 'platform/'];
/** Where `node:` modules may be imported: the Node wing and the faces. */
const NODE_ALLOWED = ['platform/node/', ...FACES];
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

  it('only the Node wing and the faces import node: modules', () => {
    const files = (readdirSync(SRC, { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/')).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('platform/node/fs-source.ts');
    const bad = files
      .filter((f) => !NODE_ALLOWED.some((a) => f.startsWith(a)))
      .flatMap((f) => [...readFileSync(SRC + f, 'utf8').matchAll(/(?:from|import\(?|require\()\s*['"](node:[^'"]+)['"]/g)].map((m) => `${f} -> ${m[1]}`));
    expect(bad).toEqual([]);
  });
});
