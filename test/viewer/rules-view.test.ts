/**
 * The Rules view's plain parts (viewer/src/rules.ts) and its place in the share link
 * (viewer/src/range.ts), without a browser: the state and name filters, the state counts,
 * how times and durations read. viewer-rules.test.ts drives the page itself.
 */
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../viewer/src/range.js';
import { describeSeconds, describeTime, filterGroups, parseApiTime, stateCounts, type RuleGroupInfo, type RuleInfo } from '../../viewer/src/rules.js';

const rule = (name: string, type: RuleInfo['type'], state?: RuleInfo['state']): RuleInfo => ({ name, type, query: 'q', health: 'ok', evaluationTime: 0, lastEvaluation: '0001-01-01T00:00:00Z', ...(state ? { state } : {}) });
const GROUPS: RuleGroupInfo[] = [
  { name: 'shop', file: 'a.yaml', interval: 60, evaluationTime: 0, lastEvaluation: '0001-01-01T00:00:00Z', rules: [rule('Errors', 'alerting', 'firing'), rule('Slow', 'alerting', 'pending'), rule('shop:lines', 'recording')] },
  { name: 'infra', file: 'b.yaml', interval: 15, evaluationTime: 0, lastEvaluation: '0001-01-01T00:00:00Z', rules: [rule('NodeDown', 'alerting', 'inactive')] },
];
const names = (gs: RuleGroupInfo[]) => gs.map((g) => `${g.name}: ${g.rules.map((r) => r.name).join(',')}`);

describe('rules view', () => {
  it('filters by state (alerting rules only) and by rule or group name, dropping empty groups', () => {
    expect(names(filterGroups(GROUPS, { states: [], text: '' }))).toEqual(['shop: Errors,Slow,shop:lines', 'infra: NodeDown']);
    expect(names(filterGroups(GROUPS, { states: ['firing'], text: '' }))).toEqual(['shop: Errors']);
    expect(names(filterGroups(GROUPS, { states: ['pending', 'inactive'], text: '' }))).toEqual(['shop: Slow', 'infra: NodeDown']);
    expect(names(filterGroups(GROUPS, { states: [], text: 'LINES' }))).toEqual(['shop: shop:lines']);
    expect(names(filterGroups(GROUPS, { states: [], text: 'infra' }))).toEqual(['infra: NodeDown']);
    expect(names(filterGroups(GROUPS, { states: ['firing'], text: 'infra' }))).toEqual([]);
    expect(stateCounts(GROUPS)).toEqual({ firing: 1, pending: 1, inactive: 1 });
  });

  it('reads API times (any fraction; the zero time is never) and durations', () => {
    expect(parseApiTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(parseApiTime('2024-09-24T16:00:00.123456789Z')).toBe(Date.parse('2024-09-24T16:00:00.123Z'));
    expect(describeTime('0001-01-01T00:00:00Z', 0)).toBe('never');
    expect(describeTime('2024-09-24T16:00:00Z', Date.parse('2024-09-24T16:00:12Z'))).toBe('2024-09-24 16:00:00Z (12 s ago)');
    expect(describeTime('2024-09-24T16:00:00Z', Date.parse('2024-09-24T17:00:00Z'))).toBe('2024-09-24 16:00:00Z (60 min ago)');
    expect([0, 15, 60, 90, 3600, 5400].map(describeSeconds)).toEqual(['0s', '15s', '1m', '1m30s', '1h', '1h30m']);
  });

  it('keeps the tab and its filters in the share link', () => {
    const hash = encodeState({ query: 'pod{}', range: { kind: 'relative', span: '1h' }, refresh: 'off', server: '', view: 'rules', ruleStates: ['firing', 'pending'], ruleText: 'shop' });
    expect(hash).toContain('view=rules&rstates=firing%2Cpending&rfilter=shop');
    expect(decodeState(hash)).toMatchObject({ view: 'rules', ruleStates: ['firing', 'pending'], ruleText: 'shop' });
    // The query view and no filters: nothing added.
    expect(encodeState({ query: 'pod{}', range: { kind: 'relative', span: '1h' }, refresh: 'off', server: '', view: 'query', ruleStates: [], ruleText: '' })).toBe('#q=pod%7B%7D&since=1h');
  });
});
