/**
 * Viewer links of rules and alerts: which query a link opens and over which window.
 *
 * ## What it owns
 * The viewer's share link (`#q=…&from=…&to=…`, the hash `viewer/src/range.ts` decodes), the
 * query a rule's link opens (its one log query, else its expression as written), and where a
 * rule's log window ends for an evaluation (the range's `@`, else the query instant minus the
 * range's `offset`). The ruler builds alerts' `generatorURL` and `/api/v1/rules` its rules'
 * `viewerURL` from these, and the sample lines read the same window, so a link shows the lines
 * the rule counted.
 *
 * Plain data in, strings out; no `node:` module (the viewer may import it).
 */
import { printQuery } from '../query/index.js';
import { NS_PER_MS } from '../time.js';
import type { Rule } from './rule-file.js';

/** The viewer's share link for `query` over `[startNs, endNs]` (the hash `viewer/src/range.ts` decodes). */
export function viewerLink(base: string, query: string, startNs: bigint, endNs: bigint): string {
  const utc = (ns: bigint): string => {
    const ms = Number(ns / NS_PER_MS);
    const iso = new Date(ms).toISOString();
    return ms % 1000 !== 0 ? iso : iso.slice(0, 19) + 'Z';
  };
  const p = new URLSearchParams();
  p.set('q', query);
  p.set('from', utc(startNs));
  p.set('to', utc(endNs));
  return `${base.replace(/\/*$/, '/')}#${p.toString()}`;
}

/** The query a rule's link opens: its log query (without `@`/`offset`, which {@link logWindowEndNs} applies), else `expr`. */
export function linkQuery(rule: Pick<Rule, 'logQuery' | 'expr'>): string {
  return rule.logQuery ? printQuery({ ...rule.logQuery, offset: null, at: null }) : rule.expr;
}

/** Where a rule's log window ends when it queries at `queryTimeNs`: its range's `@`, else `queryTimeNs` minus its `offset`. */
export function logWindowEndNs(rule: Pick<Rule, 'logAtNs' | 'logOffsetNs'>, queryTimeNs: bigint): bigint {
  return rule.logAtNs ?? queryTimeNs - rule.logOffsetNs;
}
