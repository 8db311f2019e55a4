/**
 * The path language of `| json label="path"`: LogQL's subset of JMESPath.
 *
 * Owns: parsing `a.b`, `a[0]`, `a["key with.dots"]`, and any nesting of those
 * (`my.list[0]["field"]`), into plain segments. Field names run up to the next `.`, `[`
 * or the end (so `a-b` and `ü` are one field); bracketed keys are double-quoted strings
 * with JSON escapes; indices are non-negative integers. A path may start with an index
 * (`[0]`, for a line that is a JSON array). Parsed at query parse time so a bad path is a
 * query error with a span; the pipeline uses the segments.
 */

/** One step: an object key or an array index. */
export type JsonPathSegment = string | number;

/** A path error; `offset` is into the path text. */
export class JsonPathError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonPathError';
  }
}

/** Parses a path; throws {@link JsonPathError}. */
export function parseJsonPath(path: string): JsonPathSegment[] {
  const out: JsonPathSegment[] = [];
  let i = 0;
  const field = (): void => {
    const start = i;
    while (i < path.length && path[i] !== '.' && path[i] !== '[') {
      if (path[i] === ']' || path[i] === '"') throw new JsonPathError(`unexpected ${JSON.stringify(path[i])} in json path`, i);
      i++;
    }
    if (i === start) throw new JsonPathError(i >= path.length ? 'json path ends where a field name was expected' : `expected a field name at ${JSON.stringify(path[i])}`, start);
    out.push(path.slice(start, i));
  };
  if (path === '') throw new JsonPathError('empty json path', 0);
  if (path[0] !== '[') field();
  while (i < path.length) {
    if (path[i] === '.') {
      i++;
      field();
      continue;
    }
    // `[`
    const open = i++;
    if (path[i] === '"') {
      let j = i + 1;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      if (j >= path.length) throw new JsonPathError('unterminated string in json path', i);
      let key: string;
      try {
        key = JSON.parse(path.slice(i, j + 1)) as string;
      } catch {
        throw new JsonPathError('invalid escape in json path string', i);
      }
      out.push(key);
      i = j + 1;
    } else {
      const m = /^\d+/.exec(path.slice(i));
      if (!m) throw new JsonPathError('expected an array index or a quoted key after "["', i);
      out.push(Number(m[0]));
      i += m[0].length;
    }
    if (path[i] !== ']') throw new JsonPathError('missing "]" in json path', open);
    i++;
  }
  return out;
}
