/**
 * Docker `json-file` log lines: `{"log":"GET /\n","stream":"stdout","time":"2024-09-24T15:00:01.123456789Z"}`.
 *
 * This is what dockershim-era kubelets kept under `/var/log/containers/`. Docker splits a
 * line longer than 16 KiB into several entries; every entry but the last has a `log` without
 * the trailing `\n`, so {@link parseDockerLine} reports `partial` and the decoder joins them.
 * Docker trims trailing zeros of the fraction (`…04.66649744Z`); RFC 3339 with 0–9 digits is
 * accepted. Pure: no `node:` imports.
 */
import { parseRfc3339 } from '../time.js';

/** One json-file entry. `message` is `log` without its trailing `\n`. */
export interface DockerEntry {
  timeNs: bigint;
  stream: string;
  message: string;
  /** True when `log` did not end with `\n`: the message continues in the next entry. */
  partial: boolean;
}

/** A parsed entry, or why the line is not one. */
export type DockerParse = { ok: true; entry: DockerEntry } | { ok: false; reason: string };

/** Parses one json-file line (without its line break). */
export function parseDockerLine(line: string): DockerParse {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not a JSON object (docker json-file line expected)' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not a JSON object (docker json-file line expected)' };
  const { log, time, stream } = value as Record<string, unknown>;
  if (typeof log !== 'string') return { ok: false, reason: 'missing string field "log"' };
  if (typeof time !== 'string') return { ok: false, reason: 'missing string field "time"' };
  const timeNs = parseRfc3339(time);
  if (timeNs === null) return { ok: false, reason: `invalid time ${JSON.stringify(time)}` };
  const partial = !log.endsWith('\n');
  return { ok: true, entry: { timeNs, stream: typeof stream === 'string' ? stream : '', message: partial ? log : log.slice(0, -1), partial } };
}
