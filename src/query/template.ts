/**
 * The syntax of `line_format` / `label_format` templates: LetheQL's subset of Go's
 * `text/template`, parsed at query parse time so that a bad template is a query error with
 * a span, never a per-line failure. Evaluation is `src/pipeline/template.ts`.
 *
 * ## The subset (anything else is rejected with a message naming it)
 * - Text, and actions `{{ pipeline }}`, with Go's trim markers `{{- ` and ` -}}` and
 *   comments `{{/* … *\/}}`.
 * - `{{if p}} … {{else if p}} … {{else}} … {{end}}` (truthiness as in Go: empty string,
 *   0, false are false).
 * - Pipelines `a | f x | g`: each command's result is the last argument of the next.
 * - Operands: `.label` (a label's value; a missing label is `""`, as Loki's
 *   `missingkey=zero`), string literals `"…"` (Go escapes) and `` `…` ``, integer and
 *   float literals, `true`/`false`, parenthesised pipelines `(f x)`, and a function name
 *   (called with no arguments, e.g. `__line__`).
 * - Functions: the table {@link TEMPLATE_FUNCTIONS} (Loki's names and argument orders;
 *   the arity is checked here, argument types when the template runs).
 * - Not supported: variables (`$x`), `range`, `with`, `define`/`template`/`block`,
 *   `break`/`continue`, `.` alone, chained fields (`.a.b`), methods, and the functions
 *   that need a clock or a time value (`__timestamp__`, `now`, `date`, `toDate`,
 *   `toDateInZone`, `unixEpoch*`, `unixToTime`) and `fromJson`.
 *
 * ## The alert dialect (`parseTemplate(text, 'alert')`)
 * Alerting rules' labels and annotations (`src/rules/`) are Prometheus templates. The same
 * parser reads them with three more operands — `$labels.NAME` / `.Labels.NAME` (the alert's
 * labels), `$externalLabels.NAME` / `.ExternalLabels.NAME`, and `$value` / `.Value` (the
 * sample value, a float64) — and Prometheus's functions beside Loki's
 * ({@link ALERT_TEMPLATE_FUNCTIONS}: `humanize`, `humanizeDuration`, `reReplaceAll`,
 * `toUpper`, …). A bare `.name` is an error there, as in Prometheus (`.` is not a label map).
 */
import { MAX_QUERY_NESTING } from './depth.js';

/** A parsed template. */
export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'output'; pipe: TemplatePipe }
  | { kind: 'if'; branches: { cond: TemplatePipe; body: TemplateNode[] }[]; otherwise: TemplateNode[] };

/** `cmd | cmd | …`. */
export type TemplatePipe = TemplateCommand[];

/** A function call (`fn` set) or a single operand (`fn` null, one argument). */
export interface TemplateCommand {
  fn: string | null;
  args: TemplateArg[];
}

export type TemplateArg =
  | { kind: 'field'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'pipe'; pipe: TemplatePipe }
  | { kind: 'call'; fn: string }
  /** Alert dialect: `$labels.NAME` (`map: 'labels'`) or `$externalLabels.NAME`. */
  | { kind: 'alertLabel'; map: 'labels' | 'externalLabels'; name: string }
  /** Alert dialect: `$value`. */
  | { kind: 'alertValue' };

/** Which operands and functions a template may use: `line_format`'s, or an alerting rule's (see the note at the top). */
export type TemplateDialect = 'log' | 'alert';

/** A template syntax error; `offset` is into the template text (UTF-16 units). */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly end: number,
    /** `QUERY_TOO_DEEP` for nesting past the limit; otherwise the query error is `INVALID_EXPRESSION`. */
    readonly code: 'INVALID_EXPRESSION' | 'QUERY_TOO_DEEP' = 'INVALID_EXPRESSION',
  ) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** Parameter kinds: a string, a Go int, any number-like value (sprig's cast), or anything. */
export type TemplateParam = 'string' | 'int' | 'number' | 'any';

/** A template function's signature: fixed parameters, then optionally a repeated one. */
export interface TemplateFunctionSignature {
  params: readonly TemplateParam[];
  variadic?: TemplateParam;
  /** Minimum number of arguments when `variadic` is set (default: params.length). */
  min?: number;
}

const s = 'string' as const;
const i = 'int' as const;
const n = 'number' as const;
const a = 'any' as const;

/**
 * Every function a template may call. Names and argument orders are Loki's (its legacy Go
 * `strings` names, Sprig's, and Go's template builtins), so a piped value is the last argument:
 * `{{ .path | replace "/" "_" }}` is `replace "/" "_" .path`.
 */
export const TEMPLATE_FUNCTIONS: Readonly<Record<string, TemplateFunctionSignature>> = {
  // Loki's legacy Go `strings` functions (the source string first, as in Go).
  ToLower: { params: [s] },
  ToUpper: { params: [s] },
  Title: { params: [s] },
  TrimSpace: { params: [s] },
  Trim: { params: [s, s] },
  TrimLeft: { params: [s, s] },
  TrimRight: { params: [s, s] },
  TrimPrefix: { params: [s, s] },
  TrimSuffix: { params: [s, s] },
  Replace: { params: [s, s, s, i] },
  // Sprig string functions (the source string last).
  lower: { params: [s] },
  upper: { params: [s] },
  title: { params: [s] },
  trim: { params: [s] },
  trimAll: { params: [s, s] },
  trimPrefix: { params: [s, s] },
  trimSuffix: { params: [s, s] },
  replace: { params: [s, s, s] },
  repeat: { params: [i, s] },
  substr: { params: [i, i, s] },
  trunc: { params: [i, s] },
  contains: { params: [s, s] },
  hasPrefix: { params: [s, s] },
  hasSuffix: { params: [s, s] },
  indent: { params: [i, s] },
  nindent: { params: [i, s] },
  alignLeft: { params: [i, s] },
  alignRight: { params: [i, s] },
  default: { params: [a, a] },
  b64enc: { params: [s] },
  b64dec: { params: [s] },
  urlencode: { params: [s] },
  urldecode: { params: [s] },
  // Regular expressions (RE2 semantics).
  regexReplaceAll: { params: [s, s, s] },
  regexReplaceAllLiteral: { params: [s, s, s] },
  count: { params: [s, s] },
  // Sprig math: integer forms truncate; `f` forms are float64.
  add: { params: [], variadic: n, min: 0 },
  sub: { params: [n, n] },
  mul: { params: [n], variadic: n, min: 1 },
  div: { params: [n, n] },
  mod: { params: [n, n] },
  max: { params: [n], variadic: n, min: 1 },
  min: { params: [n], variadic: n, min: 1 },
  addf: { params: [], variadic: n, min: 0 },
  subf: { params: [n], variadic: n, min: 1 },
  mulf: { params: [n], variadic: n, min: 1 },
  divf: { params: [n], variadic: n, min: 1 },
  maxf: { params: [n], variadic: n, min: 1 },
  minf: { params: [n], variadic: n, min: 1 },
  ceil: { params: [n] },
  floor: { params: [n] },
  round: { params: [n, i], variadic: n, min: 2 },
  int: { params: [a] },
  float64: { params: [a] },
  // Loki's unit conversions (go-humanize bytes; Go durations, in seconds).
  bytes: { params: [s] },
  duration: { params: [s] },
  duration_seconds: { params: [s] },
  // Go template builtins.
  printf: { params: [s], variadic: a, min: 1 },
  len: { params: [a] },
  eq: { params: [a], variadic: a, min: 2 },
  ne: { params: [a, a] },
  lt: { params: [a, a] },
  le: { params: [a, a] },
  gt: { params: [a, a] },
  ge: { params: [a, a] },
  and: { params: [a], variadic: a, min: 1 },
  or: { params: [a], variadic: a, min: 1 },
  not: { params: [a] },
  // The current line, before this stage.
  __line__: { params: [] },
  // The line's level as Loki detects it (`pipeline/detected.ts`): how `detected_level` is derived.
  __detected_level__: { params: [] },
};

/**
 * Prometheus's template functions that alert templates add to {@link TEMPLATE_FUNCTIONS}
 * (names and argument orders as in Prometheus: `reReplaceAll PATTERN REPLACEMENT TEXT`).
 */
export const ALERT_TEMPLATE_FUNCTIONS: Readonly<Record<string, TemplateFunctionSignature>> = {
  humanize: { params: [n] },
  humanize1024: { params: [n] },
  humanizeDuration: { params: [n] },
  humanizePercentage: { params: [n] },
  humanizeTimestamp: { params: [n] },
  reReplaceAll: { params: [s, s, s] },
  toUpper: { params: [s] },
  toLower: { params: [s] },
  match: { params: [s, s] },
  stripPort: { params: [s] },
  stripDomain: { params: [s] },
};

/** The signature of `fn` in `dialect`, or undefined. */
function signatureOf(fn: string, dialect: TemplateDialect): TemplateFunctionSignature | undefined {
  if (Object.hasOwn(TEMPLATE_FUNCTIONS, fn)) return TEMPLATE_FUNCTIONS[fn];
  if (dialect === 'alert' && Object.hasOwn(ALERT_TEMPLATE_FUNCTIONS, fn)) return ALERT_TEMPLATE_FUNCTIONS[fn];
  return undefined;
}

const UNSUPPORTED_FUNCTIONS = new Set(['__timestamp__', 'now', 'date', 'toDate', 'toDateInZone', 'unixEpoch', 'unixEpochMillis', 'unixEpochNanos', 'unixToTime', 'fromJson', 'html', 'js', 'print', 'println', 'call', 'index', 'slice', 'urlquery']);
const UNSUPPORTED_KEYWORDS = new Set(['range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** Parses a template; throws {@link TemplateSyntaxError}. `dialect` `'alert'`: an alerting rule's template (see the note at the top). */
export function parseTemplate(text: string, dialect: TemplateDialect = 'log'): TemplateNode[] {
  return new TemplateParser(text, dialect).parse();
}

/** The label names a template reads (`.name` fields), in order of first use. */
export function templateFields(nodes: readonly TemplateNode[]): string[] {
  const out = new Set<string>();
  const pipe = (p: TemplatePipe): void => {
    for (const c of p) for (const arg of c.args) argument(arg);
  };
  const argument = (arg: TemplateArg): void => {
    if (arg.kind === 'field') out.add(arg.name);
    else if (arg.kind === 'pipe') pipe(arg.pipe);
  };
  const walk = (list: readonly TemplateNode[]): void => {
    for (const node of list) {
      if (node.kind === 'output') pipe(node.pipe);
      else if (node.kind === 'if') {
        for (const b of node.branches) {
          pipe(b.cond);
          walk(b.body);
        }
        walk(node.otherwise);
      }
    }
  };
  walk(nodes);
  return [...out];
}

type Token =
  | { t: 'field'; name: string; at: number; end: number }
  | { t: 'ident'; name: string; at: number; end: number }
  | { t: 'alert'; arg: TemplateArg; at: number; end: number }
  | { t: 'string'; value: string; at: number; end: number }
  | { t: 'number'; text: string; at: number; end: number }
  | { t: 'pipe' | 'lparen' | 'rparen'; at: number; end: number }
  | { t: 'end'; at: number; end: number };

/** One action's contents, tokenised. */
interface Action {
  tokens: Token[];
  at: number;
  end: number;
}

type Piece = { kind: 'text'; text: string } | { kind: 'action'; action: Action };

class TemplateParser {
  private pieces: Piece[] = [];
  private pos = 0;
  /** Open `{{if}}`s and parentheses: parsing and evaluation recurse once per level, so it is bounded (see `depth.ts`). */
  private depth = 0;

  private enter(where: { at: number; end: number }): void {
    if (++this.depth > MAX_QUERY_NESTING) {
      throw new TemplateSyntaxError(`template nested too deeply: more than ${MAX_QUERY_NESTING} levels of {{if}} and parentheses (limit ${MAX_QUERY_NESTING})`, where.at, where.end, 'QUERY_TOO_DEEP');
    }
  }

  constructor(
    private readonly text: string,
    private readonly dialect: TemplateDialect = 'log',
  ) {}

  parse(): TemplateNode[] {
    this.pieces = this.split();
    this.pos = 0;
    const { nodes, stop } = this.list();
    if (stop) throw this.error(`unexpected {{${stop.word}}}`, stop.action);
    return nodes;
  }

  private error(message: string, where: { at: number; end: number }): TemplateSyntaxError {
    return new TemplateSyntaxError(message, where.at, where.end);
  }

  /** Splits text and actions, applying trim markers and dropping comments. */
  private split(): Piece[] {
    const text = this.text;
    const out: Piece[] = [];
    let i = 0;
    let pendingText = '';
    let trimNext = false;
    while (i < text.length) {
      const open = text.indexOf('{{', i);
      let chunk = open < 0 ? text.slice(i) : text.slice(i, open);
      if (trimNext) chunk = chunk.replace(/^[ \t\r\n]+/, '');
      trimNext = false;
      if (open < 0) {
        pendingText += chunk;
        break;
      }
      let inner = open + 2;
      // `{{- ` trims the text before; `{{-3}}` is the number -3, as in Go.
      if (text[inner] === '-' && /[ \t\r\n]/.test(text[inner + 1] ?? '')) {
        chunk = chunk.replace(/[ \t\r\n]+$/, '');
        inner += 2;
      }
      pendingText += chunk;
      if (text.startsWith('/*', skipSpace(text, inner))) {
        const commentStart = skipSpace(text, inner);
        const close = text.indexOf('*/', commentStart + 2);
        if (close < 0) throw new TemplateSyntaxError('unclosed comment', open, text.length);
        let after = skipSpace(text, close + 2);
        if (text.startsWith('-}}', after) && /[ \t\r\n]/.test(text[after - 1] ?? '')) {
          trimNext = true;
          after += 1;
        }
        if (!text.startsWith('}}', after)) throw new TemplateSyntaxError('comment ends before closing delimiter', open, close + 2);
        i = after + 2;
        continue;
      }
      const { tokens, end, trim } = this.lexAction(inner, open);
      if (pendingText) out.push({ kind: 'text', text: pendingText });
      pendingText = '';
      out.push({ kind: 'action', action: { tokens, at: open, end } });
      trimNext = trim;
      i = end;
    }
    if (pendingText) out.push({ kind: 'text', text: pendingText });
    return out;
  }

  /** Tokenises one action from `start` to its `}}`; `open` is the offset of its `{{`. */
  private lexAction(start: number, open: number): { tokens: Token[]; end: number; trim: boolean } {
    const text = this.text;
    const tokens: Token[] = [];
    let i = start;
    for (;;) {
      i = skipSpace(text, i);
      if (i >= text.length) throw new TemplateSyntaxError('unclosed action', open, text.length);
      if (text.startsWith('}}', i)) return { tokens, end: i + 2, trim: false };
      if (text.startsWith('-}}', i) && i > start && /[ \t\r\n]/.test(text[i - 1]!)) return { tokens, end: i + 3, trim: true };
      const c = text[i]!;
      const at = i;
      if (c === '|') {
        tokens.push({ t: 'pipe', at, end: ++i });
      } else if (c === '(') {
        tokens.push({ t: 'lparen', at, end: ++i });
      } else if (c === ')') {
        tokens.push({ t: 'rparen', at, end: ++i });
      } else if (c === '"' || c === '`') {
        const close = c === '`' ? text.indexOf('`', i + 1) : findQuoteEnd(text, i + 1);
        if (close < 0) throw new TemplateSyntaxError('unterminated quoted string', at, text.length);
        const raw = text.slice(i, close + 1);
        let value: string;
        try {
          value = c === '`' ? raw.slice(1, -1) : (JSON.parse(raw.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\'/g, "'")) as string);
        } catch {
          throw new TemplateSyntaxError(`invalid string literal ${raw}`, at, close + 1);
        }
        tokens.push({ t: 'string', value, at, end: (i = close + 1) });
      } else if (this.dialect === 'alert' && (c === '$' || (c === '.' && !/[0-9]/.test(text[i + 1] ?? '')))) {
        const tok = alertOperand(text, i);
        tokens.push(tok);
        i = tok.end;
      } else if (c === '.' && !/[0-9]/.test(text[i + 1] ?? '')) {
        const m = /^\.([a-zA-Z_][a-zA-Z0-9_]*)?/.exec(text.slice(i))!;
        if (!m[1]) throw new TemplateSyntaxError('"." (the whole label map) is not supported: use .label_name', at, i + 1);
        i += m[0].length;
        if (text[i] === '.' && /[a-zA-Z_]/.test(text[i + 1] ?? '')) throw new TemplateSyntaxError(`chained fields (.${m[1]}.…) are not supported: labels are strings`, at, i + 1);
        tokens.push({ t: 'field', name: m[1], at, end: i });
      } else if (c === '$') {
        throw new TemplateSyntaxError('template variables ($…) are not supported', at, at + 1);
      } else if (/[0-9+\-.]/.test(c)) {
        const m = /^[+-]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
        if (!m) throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(text.slice(i, i + 8))}`, at, at + 1);
        tokens.push({ t: 'number', text: m[0], at, end: (i += m[0].length) });
      } else if (/[a-zA-Z_]/.test(c)) {
        const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))!;
        tokens.push({ t: 'ident', name: m[0], at, end: (i += m[0].length) });
      } else {
        throw new TemplateSyntaxError(`unexpected ${JSON.stringify(c)} in action`, at, at + 1);
      }
    }
  }

  /** Nodes until the end or an `else`/`end` action, which is returned unconsumed-as-node. */
  private list(): { nodes: TemplateNode[]; stop: { word: 'else' | 'end'; action: Action; elseIf: boolean } | null } {
    const nodes: TemplateNode[] = [];
    while (this.pos < this.pieces.length) {
      const piece = this.pieces[this.pos++]!;
      if (piece.kind === 'text') {
        nodes.push({ kind: 'text', text: piece.text });
        continue;
      }
      const { tokens } = piece.action;
      const first = tokens[0];
      if (!first) throw this.error('missing value for command', piece.action);
      if (first.t === 'ident' && (first.name === 'end' || first.name === 'else')) {
        if (first.name === 'end' && tokens.length > 1) throw this.error('unexpected input after end', tokens[1]!);
        const elseIf = first.name === 'else' && tokens[1]?.t === 'ident' && tokens[1].name === 'if';
        if (first.name === 'else' && tokens.length > 1 && !elseIf) throw this.error('unexpected input after else', tokens[1]!);
        return { nodes, stop: { word: first.name, action: piece.action, elseIf } };
      }
      if (first.t === 'ident' && first.name === 'if') {
        nodes.push(this.ifNode(piece.action, 1));
        continue;
      }
      if (first.t === 'ident' && UNSUPPORTED_KEYWORDS.has(first.name)) {
        throw this.error(`{{${first.name}}} is not supported in LetheQL templates (supported: output actions and if/else)`, first);
      }
      nodes.push({ kind: 'output', pipe: this.pipeline(tokens, piece.action) });
    }
    return { nodes, stop: null };
  }

  /** `{{if cond}}` whose condition starts at `tokens[from]`, through its `{{end}}`. */
  private ifNode(action: Action, from: number): TemplateNode {
    this.enter(action);
    try {
      return this.ifNodeInner(action, from);
    } finally {
      this.depth--;
    }
  }

  private ifNodeInner(action: Action, from: number): TemplateNode {
    const branches: { cond: TemplatePipe; body: TemplateNode[] }[] = [];
    let condTokens = action.tokens.slice(from);
    let where: Action = action;
    for (;;) {
      if (condTokens.length === 0) throw this.error('missing value for if', where);
      const cond = this.pipeline(condTokens, where);
      const { nodes, stop } = this.list();
      branches.push({ cond, body: nodes });
      if (!stop) throw this.error('unexpected EOF: {{if}} without {{end}}', action);
      if (stop.word === 'end') return { kind: 'if', branches, otherwise: [] };
      if (stop.elseIf) {
        condTokens = stop.action.tokens.slice(2);
        where = stop.action;
        continue;
      }
      const rest = this.list();
      if (!rest.stop || rest.stop.word !== 'end') throw this.error('unexpected EOF: {{else}} without {{end}}', stop.action);
      return { kind: 'if', branches, otherwise: rest.nodes };
    }
  }

  /** Parses a whole token list as one pipeline. */
  private pipeline(tokens: Token[], where: { at: number; end: number }): TemplatePipe {
    const cursor = { i: 0 };
    const pipe = this.pipe(tokens, cursor, where);
    const extra = tokens[cursor.i];
    if (extra) throw this.error(`unexpected ${describe(extra)} in operand`, extra);
    return pipe;
  }

  private pipe(tokens: Token[], cursor: { i: number }, where: { at: number; end: number }): TemplatePipe {
    const commands: TemplateCommand[] = [];
    for (;;) {
      commands.push(this.command(tokens, cursor, where, commands.length > 0));
      if (tokens[cursor.i]?.t !== 'pipe') return commands;
      cursor.i++;
    }
  }

  private command(tokens: Token[], cursor: { i: number }, where: { at: number; end: number }, piped: boolean): TemplateCommand {
    const head = tokens[cursor.i];
    if (!head || head.t === 'pipe' || head.t === 'rparen') throw this.error('missing value for command', head ?? where);
    if (head.t === 'ident' && !isLiteralWord(head.name)) {
      cursor.i++;
      const fn = this.functionName(head);
      const args: TemplateArg[] = [];
      while (cursor.i < tokens.length && tokens[cursor.i]!.t !== 'pipe' && tokens[cursor.i]!.t !== 'rparen') {
        args.push(this.operand(tokens, cursor, where));
      }
      checkArity(fn, args.length + (piped ? 1 : 0), head, this.dialect);
      return { fn, args };
    }
    const arg = this.operand(tokens, cursor, where);
    const next = tokens[cursor.i];
    if (next && next.t !== 'pipe' && next.t !== 'rparen') throw this.error(`can't give argument to non-function ${describeArg(arg)}`, next);
    if (piped) throw this.error(`can't give argument to non-function ${describeArg(arg)}`, head);
    return { fn: null, args: [arg] };
  }

  private functionName(tok: Token & { t: 'ident' }): string {
    if (UNSUPPORTED_KEYWORDS.has(tok.name) || tok.name === 'if' || tok.name === 'else' || tok.name === 'end') {
      throw this.error(`unexpected keyword "${tok.name}"`, tok);
    }
    if (UNSUPPORTED_FUNCTIONS.has(tok.name)) throw this.error(`function "${tok.name}" is not supported in LetheQL templates`, tok);
    if (!signatureOf(tok.name, this.dialect)) throw this.error(`function "${tok.name}" not defined`, tok);
    return tok.name;
  }

  private operand(tokens: Token[], cursor: { i: number }, where: { at: number; end: number }): TemplateArg {
    const tok = tokens[cursor.i++]!;
    switch (tok.t) {
      case 'field':
        return { kind: 'field', name: tok.name };
      case 'alert':
        return tok.arg;
      case 'string':
        return { kind: 'string', value: tok.value };
      case 'number': {
        const isInt = /^[+-]?(?:0[xX][0-9a-fA-F]+|\d+)$/.test(tok.text);
        const value = isInt ? parseIntLiteral(tok.text) : Number(tok.text);
        return isInt ? { kind: 'int', value } : { kind: 'float', value };
      }
      case 'ident':
        if (tok.name === 'true' || tok.name === 'false') return { kind: 'bool', value: tok.name === 'true' };
        if (tok.name === 'nil') throw this.error('nil is not a command', tok);
        {
          const fn = this.functionName(tok);
          checkArity(fn, 0, tok, this.dialect);
          return { kind: 'call', fn };
        }
      case 'lparen': {
        this.enter(tok);
        const pipe = this.pipe(tokens, cursor, where);
        if (tokens[cursor.i]?.t !== 'rparen') throw this.error('unclosed left paren', tok);
        cursor.i++;
        this.depth--;
        return { kind: 'pipe', pipe };
      }
      default:
        throw this.error(`unexpected ${describe(tok)} in operand`, tok);
    }
  }
}

function isLiteralWord(name: string): boolean {
  return name === 'true' || name === 'false' || name === 'nil';
}

function parseIntLiteral(text: string): number {
  const negative = text.startsWith('-');
  const body = text.replace(/^[+-]/, '');
  const value = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : Number(body);
  return negative ? -value : value;
}

function checkArity(fn: string, count: number, tok: { at: number; end: number }, dialect: TemplateDialect): void {
  const sig = signatureOf(fn, dialect)!;
  const min = sig.variadic ? (sig.min ?? sig.params.length) : sig.params.length;
  const max = sig.variadic ? Infinity : sig.params.length;
  if (count < min || count > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new TemplateSyntaxError(`wrong number of args for ${fn}: want ${want} got ${count}`, tok.at, tok.end);
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'pipe':
      return '"|"';
    case 'lparen':
      return '"("';
    case 'rparen':
      return '")"';
    case 'field':
      return `field .${tok.name}`;
    case 'alert':
      return `variable ${describeArg(tok.arg)}`;
    case 'ident':
      return `identifier "${tok.name}"`;
    case 'string':
      return 'string';
    case 'number':
      return `number ${tok.text}`;
    default:
      return 'end';
  }
}

function describeArg(arg: TemplateArg): string {
  switch (arg.kind) {
    case 'field':
      return `.${arg.name}`;
    case 'string':
      return JSON.stringify(arg.value);
    case 'int':
    case 'float':
      return String(arg.value);
    case 'bool':
      return String(arg.value);
    case 'alertLabel':
      return `$${arg.map}.${arg.name}`;
    case 'alertValue':
      return '$value';
    default:
      return 'value';
  }
}

/**
 * An alert template's variable at `i` (a `$` or a `.`): `$labels.NAME`, `$externalLabels.NAME`,
 * `$value`, or their dot forms `.Labels.NAME`, `.ExternalLabels.NAME`, `.Value`.
 */
function alertOperand(text: string, i: number): Token & { t: 'alert' } {
  const m = /^(\$|\.)([a-zA-Z_][a-zA-Z0-9_]*)?(?:\.([a-zA-Z_][a-zA-Z0-9_]*))?/.exec(text.slice(i))!;
  const end = i + m[0].length;
  const dollar = m[1] === '$';
  const head = m[2] ?? '';
  const valueName = dollar ? 'value' : 'Value';
  const maps: Record<string, 'labels' | 'externalLabels'> = dollar ? { labels: 'labels', externalLabels: 'externalLabels' } : { Labels: 'labels', ExternalLabels: 'externalLabels' };
  if (head === valueName && m[3] === undefined) return { t: 'alert', arg: { kind: 'alertValue' }, at: i, end };
  if (Object.hasOwn(maps, head) && m[3] !== undefined) return { t: 'alert', arg: { kind: 'alertLabel', map: maps[head]!, name: m[3] }, at: i, end };
  const known = dollar ? '$labels.NAME, $externalLabels.NAME or $value' : '.Labels.NAME, .ExternalLabels.NAME or .Value';
  throw new TemplateSyntaxError(`undefined ${dollar ? 'variable' : 'field'} ${JSON.stringify(m[0])}: an alert template reads ${known}`, i, Math.max(end, i + 1));
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n')) i++;
  return i;
}

/** The index of the closing `"` of a Go string starting after `from`'s opening quote, or -1. */
function findQuoteEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
    else if (c === '\n') return -1;
  }
  return -1;
}
