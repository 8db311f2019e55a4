/**
 * Log pipelines on the kernel's matches: the bridge between a scan's {@link RowBatch}es and
 * a compiled {@link Pipeline} (`src/pipeline/`).
 *
 * The kernel has already applied the window, the label matchers and the line filters that
 * precede the first stage; what it hands over is offsets into a block. For each match this
 * module decodes the stream's labels (`namespace`/`pod`/`container` or `node`/`process`,
 * plus `cluster` over a store set) and the message, runs the pipeline, and says what comes
 * out: the row's labels and line after the stages, or nothing when a stage drops it.
 *
 * Stream labels are handed to the pipeline as one record per stream, reused while
 * consecutive matches belong to the same stream (`stream-labels.ts`), so a line of a known
 * stream costs no allocation before the pipeline runs.
 *
 * It runs in the calling thread and in scan workers alike (`scan-job.ts`), which then send
 * back {@link MatchPipeline.apply}'s output.
 */
import { CLUSTER_LABEL, type LogType } from '../model.js';
import { compilePipeline, type Pipeline, type PipelineResult } from '../pipeline/index.js';
import type { PipelineStage } from '../query/ast.js';
import type { PipedRow, RowBatch, RowTransform } from './rows.js';
import { messageOf, StreamLabels } from './stream-labels.js';

export { messageOf, StreamLabels } from './stream-labels.js';

/**
 * Result columns a parsed label must not shadow: `| json` over `{"time": …}` extracts a
 * `time` label, whose column is `time_extracted` (Loki's suffix for a clash with a stream label).
 */
const RESULT_COLUMNS: ReadonlySet<string> = new Set(['time', 'line', 'time_raw']);

/** What {@link MatchPipeline.process} answers for a line a no-op pipeline keeps. */
const KEPT: PipelineResult = Object.freeze({ line: '', labels: Object.freeze({}), value: Number.NaN }) as PipelineResult;

/**
 * Runs a planned pipeline on matches: a {@link RowTransform} for the row sinks, and a
 * predicate for counts. One instance per scan (it holds the pipeline's per-line state).
 */
export class MatchPipeline implements RowTransform {
  private readonly pipeline: Pipeline;
  private readonly stream: StreamLabels;

  constructor(stages: readonly PipelineStage[], logType: LogType, outputLabels: readonly string[] | 'all' = 'all', maxTemplateBytes?: number) {
    this.pipeline = compilePipeline(stages, { outputLabels, maxTemplateBytes });
    this.stream = new StreamLabels(logType);
  }

  /**
   * The pipeline's result for match `i` (reused by the next call), or null when a stage
   * drops it. Counts read only whether it is null: when the pipeline keeps every line
   * (`keepsEveryLine`) the line is not even decoded, and the result is an empty stand-in.
   */
  process(batch: RowBatch, i: number, cluster: string | undefined): PipelineResult | null {
    // Fast path: nothing in the pipeline can drop this line.
    if (this.pipeline.keepsEveryLine) return KEPT;
    return this.pipeline.process(messageOf(batch, i), this.stream.of(batch, i, cluster));
  }

  apply(batch: RowBatch, i: number, cluster: string | undefined): PipedRow | null {
    const input = this.stream.of(batch, i, cluster);
    const out = this.pipeline.process(messageOf(batch, i), input);
    if (out === null) return null;
    const names = this.stream.names;
    const labels = out.labels;
    const row: PipedRow = { labels: names.map((n) => labels[n] ?? ''), line: out.line };
    if (cluster !== undefined) row.cluster = labels[CLUSTER_LABEL] ?? '';
    if (labels !== input) {
      // A stage changed the labels: what is neither a stream label nor the cluster becomes a parsed column.
      let parsed: Record<string, string> | undefined;
      for (const name in labels) {
        if (name === CLUSTER_LABEL || names.includes(name)) continue;
        (parsed ??= {})[RESULT_COLUMNS.has(name) ? `${name}_extracted` : name] = labels[name]!;
      }
      if (parsed) row.parsed = parsed;
    }
    return row;
  }
}
