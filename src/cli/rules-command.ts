/**
 * `letheql rules …`: the ruler's command-line face (`src/rules/` holds the ruler).
 *
 * - `rules check FILE…`: parse and check every rule; prints what each rule evaluates, or the
 *   positioned problems and exits 2.
 *
 * Loaded lazily (see `SUBCOMMANDS` in main.ts): the YAML library and the ruler load only here.
 */
import { readFile } from 'node:fs/promises';
import type { CliIO } from './main.js';
import { UsageError } from './stores.js';
import { describeRule, formatRuleIssue, parseRuleFile, RuleFileError, type RuleGroup } from '../rules/rule-file.js';
import { LetheQLError } from '../errors.js';

export const RULES_USAGE = `usage: letheql rules check FILE…
  check FILE…          parse and check rule files (Prometheus/Loki groups or Venti's
                       kind: AlertRuleFile); exit 2 with file:line:column errors`;

function write(stream: NodeJS.WritableStream, data: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Reads and parses rule files; throws {@link RuleFileError} (all files' issues) or a LetheQLError for an unreadable file. */
export async function loadRuleFiles(paths: readonly string[]): Promise<RuleGroup[]> {
  const groups: RuleGroup[] = [];
  const issues: RuleFileError['issues'][number][] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new LetheQLError('STORE_NOT_FOUND', `cannot read rule file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      groups.push(...parseRuleFile(text, path));
    } catch (e) {
      if (!(e instanceof RuleFileError)) throw e;
      issues.push(...e.issues);
    }
  }
  if (issues.length) throw new RuleFileError(issues);
  return groups;
}

async function check(files: string[], io: CliIO): Promise<number> {
  if (files.length === 0) throw new UsageError('rules check: missing FILE');
  const groups = await loadRuleFiles(files);
  let out = '';
  for (const file of files) {
    const mine = groups.filter((g) => g.file === file);
    out += `${file}: ${mine.length} group${mine.length === 1 ? '' : 's'}, ${mine.reduce((n, g) => n + g.rules.length, 0)} rules\n`;
    for (const g of mine) {
      for (const r of g.rules) out += `  ${g.name}/${r.name} (${r.kind}): ${describeRule(r)}\n`;
    }
  }
  await write(io.stdout, out);
  return 0;
}

/** Runs `letheql rules SUBCOMMAND …`. */
export async function runRulesCommand(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === undefined || sub === '-h' || sub === '--help') {
      await write(sub === undefined ? io.stderr : io.stdout, RULES_USAGE + '\n');
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'check') return await check(rest, io);
    throw new UsageError(`unknown rules command ${JSON.stringify(sub)} (expected check)`);
  } catch (e) {
    if (e instanceof RuleFileError) {
      await write(io.stderr, e.issues.map((i) => `letheql: ${formatRuleIssue(i)}\n`).join(''));
      return 2;
    }
    if (e instanceof UsageError) {
      await write(io.stderr, `letheql: ${e.message}\nrun \`letheql rules --help\` for usage\n`);
      return 2;
    }
    if (e instanceof LetheQLError) {
      await write(io.stderr, `letheql: ${e.message}\n`);
      return e.code === 'IO_ERROR' ? 1 : 2;
    }
    throw e;
  }
}
