/**
 * Log templates by Drain (He, Zhu, Zheng, Lyu: "Drain: An Online Log Parsing Approach with
 * Fixed Depth Tree", ICWS 2017), implemented from the paper, for `/loki/api/v1/patterns`
 * and `letheql patterns`. Platform-neutral (no `node:` imports).
 *
 * ## The algorithm (paper §III)
 * 1. **Preprocess**: split the message into tokens at whitespace (RE2's `\s`, `[\t\n\f\r ]`,
 *    so a template's regex, {@link patternRegex}, splits lines exactly as here); tokens that are plainly
 *    variables (numbers, hex ids of 8+ characters with a digit, UUIDs, IPv4 addresses with
 *    an optional port) become the wildcard `<_>` at once (the paper's domain regexes).
 * 2. **Length layer**: the root's child for the token count.
 * 3. **Token layers**: the next `depth - 2` nodes are the first tokens; a token holding a
 *    digit goes to the `<_>` child (paper: "tokens with digits are likely variables"), and
 *    so does any token once a node has `maxChildren` children.
 * 4. **Leaf**: the leaf's clusters (log groups); the line joins the most similar one,
 *    similarity being the share of positions where the template's token equals the line's
 *    (`<_>` positions do not count), if it reaches `similarity` (the paper's *st*); a tie
 *    goes to the cluster created first.
 * 5. **Update**: positions where the template and the line differ become `<_>`.
 *
 * ## Bounds
 * Memory is bounded whatever the input: at most `maxTokens` tokens of a line are clustered
 * (the rest become one trailing `<_>`), at most `maxClusters` clusters exist, and a node has
 * at most `maxChildren` children. Once `maxClusters` is reached, a line that would start a
 * new cluster joins the most similar cluster of its leaf whatever the similarity, or, in an
 * empty leaf, the overflow template `<_>`: every line added is counted in exactly one
 * template, so counts always add up to the lines added.
 *
 * ## Output
 * A template prints its tokens joined by single spaces, with runs of `<_>` written once
 * (Loki's pattern style). Templates that print the same are reported as one (counts added).
 * Each template keeps its count per time bucket (`bucket(ns)`), for `samples`.
 *
 * ## Clusters and line filters
 * {@link Drain.add} returns the id of the cluster a line joined (stable: a cluster's id never
 * changes, its template may still generalise as lines arrive), {@link Drain.templateOf} its
 * template now. {@link patternRegex} turns a template into an RE2 line filter: literal
 * tokens as they are, each `<_>` run as one or more tokens, whitespace as Drain splits it.
 * Every line Drain counted under a template matches it (a template only ever generalises, so
 * a line still fits the final template of its cluster). A line that fits a template but that
 * Drain put in another cluster matches it too: that happens when one template is a
 * generalisation of another (`a <_> c` and `a b c`), or when lines were cut at `maxTokens`.
 */
import { LetheQLError } from '../errors.js';

/** The wildcard token (Loki's pattern placeholder). */
export const WILDCARD = '<_>';

/** Drain's parameters (see the module note). */
export interface DrainOptions {
  /** Tree depth including the root and the length layer (paper: 4). */
  depth?: number;
  /** Similarity threshold *st* (paper: 0.4–0.7 by data set; default 0.4). */
  similarity?: number;
  /** Children per internal node. */
  maxChildren?: number;
  /** Clusters at most. */
  maxClusters?: number;
  /** Tokens of a line clustered at most. */
  maxTokens?: number;
}

export const DRAIN_DEFAULTS: Required<DrainOptions> = { depth: 4, similarity: 0.4, maxChildren: 100, maxClusters: 1000, maxTokens: 64 };

interface Cluster {
  id: number;
  tokens: string[];
  count: number;
  /** Bucket key → lines. */
  buckets: Map<number, number>;
}

interface Node {
  children: Map<string, Node>;
  clusters: Cluster[];
}

const NUMBER = /^[+-]?\d+(?:[.,:]\d+)*%?$/;
const HEX = /^(?:0x)?[0-9a-fA-F]{8,}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?$/;
const DIGIT = /\d/;
/** RE2's `\s` (Go's `[\t\n\f\r ]`; not JavaScript's, which adds `\v` and Unicode spaces). */
const SPACE_RUN = /[\t\n\f\r ]+/;

/** The id {@link Drain.add} returns for lines counted under the overflow template `<_>`. */
export const OVERFLOW_ID = -1;

/** Whether a token is plainly a variable (preprocessing, step 1). */
export function isVariableToken(t: string): boolean {
  return NUMBER.test(t) || (HEX.test(t) && DIGIT.test(t)) || UUID.test(t) || IPV4.test(t);
}

/** One template found, with its lines. */
export interface DrainPattern {
  pattern: string;
  count: number;
  /** Bucket key → lines, keys ascending. */
  buckets: [number, number][];
}

/** A Drain parse tree and its clusters. Add lines with {@link Drain.add}; read {@link Drain.patterns}. */
export class Drain {
  private readonly opts: Required<DrainOptions>;
  private readonly root: Node = { children: new Map(), clusters: [] };
  private readonly clusters: Cluster[] = [];
  private readonly overflow: Cluster = { id: OVERFLOW_ID, tokens: [WILDCARD], count: 0, buckets: new Map() };
  /** Lines added. */
  lines = 0;

  constructor(options: DrainOptions = {}) {
    this.opts = { ...DRAIN_DEFAULTS, ...options };
    if (!(this.opts.depth >= 3)) throw new LetheQLError('INVALID_OPTION', 'Drain depth must be at least 3');
    if (!(this.opts.similarity >= 0 && this.opts.similarity <= 1)) throw new LetheQLError('INVALID_OPTION', 'Drain similarity must be in [0, 1]');
  }

  /** Clusters one line (`bucket`: its time bucket key); returns the id of its cluster. */
  add(line: string, bucket = 0): number {
    this.lines++;
    const tokens = this.tokenize(line);
    const leaf = this.leafFor(tokens);
    let best: Cluster | null = null;
    let bestSim = -1;
    for (const c of leaf.clusters) {
      const s = similarity(c.tokens, tokens);
      if (s > bestSim) {
        best = c;
        bestSim = s;
      }
    }
    let target: Cluster;
    if (best !== null && (bestSim >= this.opts.similarity || this.clusters.length >= this.opts.maxClusters)) {
      target = best;
      for (let i = 0; i < tokens.length; i++) if (target.tokens[i] !== tokens[i]) target.tokens[i] = WILDCARD;
    } else if (this.clusters.length >= this.opts.maxClusters) {
      target = this.overflow;
    } else {
      target = { id: this.clusters.length, tokens: [...tokens], count: 0, buckets: new Map() };
      this.clusters.push(target);
      leaf.clusters.push(target);
    }
    target.count++;
    target.buckets.set(bucket, (target.buckets.get(bucket) ?? 0) + 1);
    return target.id;
  }

  /** The template of cluster `id` (an id {@link Drain.add} returned), as {@link Drain.patterns} prints it. */
  templateOf(id: number): string {
    const c = id === OVERFLOW_ID ? this.overflow : this.clusters[id];
    if (c === undefined) throw new LetheQLError('INVALID_OPTION', `no Drain cluster ${id}`);
    return render(c.tokens);
  }

  /** The templates, most lines first (ties by template text). */
  patterns(): DrainPattern[] {
    const byText = new Map<string, { count: number; buckets: Map<number, number> }>();
    for (const c of [...this.clusters, this.overflow]) {
      if (c.count === 0) continue;
      const text = render(c.tokens);
      const cur = byText.get(text);
      if (cur === undefined) byText.set(text, { count: c.count, buckets: new Map(c.buckets) });
      else {
        cur.count += c.count;
        for (const [k, v] of c.buckets) cur.buckets.set(k, (cur.buckets.get(k) ?? 0) + v);
      }
    }
    return [...byText.entries()]
      .map(([pattern, v]) => ({ pattern, count: v.count, buckets: [...v.buckets.entries()].sort((a, b) => a[0] - b[0]) }))
      .sort((a, b) => b.count - a.count || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  }

  private tokenize(line: string): string[] {
    const raw = line.split(SPACE_RUN).filter((t) => t !== '');
    const max = this.opts.maxTokens;
    const tokens = raw.slice(0, max).map((t) => (isVariableToken(t) ? WILDCARD : t));
    if (raw.length > max) tokens.push(WILDCARD);
    return tokens;
  }

  private leafFor(tokens: string[]): Node {
    let node = child(this.root, String(tokens.length));
    const layers = Math.min(this.opts.depth - 2, tokens.length);
    for (let i = 0; i < layers; i++) {
      const t = tokens[i]!;
      const key = DIGIT.test(t) ? WILDCARD : t;
      node = node.children.has(key) ? node.children.get(key)! : node.children.size + 1 >= this.opts.maxChildren ? child(node, WILDCARD) : child(node, key);
    }
    return node;
  }
}

function child(node: Node, key: string): Node {
  let c = node.children.get(key);
  if (c === undefined) {
    c = { children: new Map(), clusters: [] };
    node.children.set(key, c);
  }
  return c;
}

/** The paper's simSeq: equal, non-wildcard positions over the length. */
function similarity(template: readonly string[], tokens: readonly string[]): number {
  if (template.length !== tokens.length) return -1;
  if (tokens.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < tokens.length; i++) if (template[i] !== WILDCARD && template[i] === tokens[i]) same++;
  return same / tokens.length;
}

function render(tokens: readonly string[]): string {
  const out: string[] = [];
  for (const t of tokens) if (!(t === WILDCARD && out[out.length - 1] === WILDCARD)) out.push(t);
  return out.join(' ');
}

/** RE2 syntax for a literal token. */
function literal(t: string): string {
  return t.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * The RE2 regex (for `|~`) that a template's lines match, anchored at both ends: its literal
 * tokens escaped, each `<_>` (a run of wildcards, printed once) as one or more tokens, tokens
 * separated by whitespace as Drain splits lines (RE2's `\s`), whitespace allowed at both ends.
 * The empty template (empty or blank lines) matches blank lines; the overflow template `<_>`
 * any line with a token. See the module note for which lines match.
 */
export function patternRegex(template: string): string {
  const tokens = template === '' ? [] : template.split(' ');
  const parts = tokens.map((t) => (t === WILDCARD ? '\\S+(?:\\s+\\S+)*' : literal(t)));
  return `^\\s*${parts.join('\\s+')}\\s*$`;
}
