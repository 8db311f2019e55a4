/** Runs one query's pipeline on lines, for table tests. */
import { compilePipeline, type Pipeline, type PipelineOptions } from '../../src/pipeline/index.js';
import { parseQuery, type Expr, type PipelineStage } from '../../src/query/index.js';

/** The pipeline of the (only) log selector in `query`. */
export function stagesOf(query: string): PipelineStage[] {
  let e: Expr = parseQuery(query);
  for (;;) {
    if (e.kind === 'VectorSelector') return e.pipeline;
    if (e.kind === 'MatrixSelector') e = e.selector;
    else if (e.kind === 'Call') e = e.args[e.args.length - 1]!;
    else if (e.kind === 'AggregateExpr') e = e.expr;
    else throw new Error(`no log selector in ${query}`);
  }
}

export function pipelineOf(query: string, opts?: PipelineOptions): Pipeline {
  return compilePipeline(stagesOf(query), opts);
}

/** The stream labels the tables use unless a row says otherwise. */
export const STREAM = { namespace: 'shop', pod: 'api-1', container: 'api' } as const;

export interface Out {
  line: string;
  labels: Record<string, string>;
  value?: number;
}

/** `process` once, copied out of the reused result; `value` only when unwrapping. */
export function run(query: string, line: string, labels: Record<string, string> = { ...STREAM }, opts?: PipelineOptions): Out | null {
  const p = pipelineOf(query, opts);
  const r = p.process(line, labels);
  if (!r) return null;
  const out: Out = { line: r.line, labels: { ...r.labels } };
  if (p.unwrap) out.value = r.value;
  return out;
}
