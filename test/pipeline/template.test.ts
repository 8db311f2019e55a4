/**
 * Template functions: the documented examples of Loki's docs/sources/query/template_functions.md
 * (each row's expected output is the one the page states, or worked out from Go's and Sprig's
 * definitions where the page has none), and the function table's consistency.
 */
import { describe, expect, it } from 'vitest';
import { formatFloatG } from '../../src/go-format.js';
import { compileTemplate, TEMPLATE_IMPLEMENTATIONS, TemplateExecError } from '../../src/pipeline/template.js';
import { parseTemplate, templateFields, TEMPLATE_FUNCTIONS } from '../../src/query/template.js';

function render(t: string, labels: Record<string, string> = {}, line = 'the line'): string {
  const nodes = parseTemplate(t);
  return compileTemplate(nodes, templateFields(nodes)).render({ labels, line });
}

const rows: [template: string, expected: string, labels?: Record<string, string>][] = [
  ['{{ .path | replace " " "_" | trunc 5 | upper }}', 'A_B_C', { path: 'a b c d' }],
  ['{{ if and (contains "he" "hello") (contains "llo" "hello") }} yes {{end}}', ' yes '],
  // Sprig's contains(substr, s): the docs' example asks whether "ErrTimeout" contains .err.
  ['{{ if contains .err "ErrTimeout" }} timeout {{else if contains "he" "hello"}} yes {{else}} no {{end}}', ' timeout ', { err: 'Timeout' }],
  ['{{ if contains .err "ErrTimeout" }} timeout {{else if contains "he" "hello"}} yes {{else}} no {{end}}', ' yes ', { err: 'x' }],
  ['{{ .path }}', '/a', { path: '/a' }],
  ['{{ __line__ | lower }}', 'the line'],
  ['{{ .foo | duration }}', '90.5', { foo: '1m30.5s' }],
  ['{{ duration_seconds .foo }}', '0.25', { foo: '250ms' }],
  ['{{ alignLeft 5 "hello world"}}', 'hello'],
  ['{{ alignLeft 5 "hi"}}', 'hi   '],
  ['{{ alignRight 5 "hello world"}}', 'world'],
  ['{{ alignRight 5 "hi"}}', '   hi'],
  ['{{ .foo | b64enc }}', 'aGVsbG8g8J+YgA==', { foo: 'hello 😀' }],
  ['{{ b64dec .foo }}', 'hello 😀', { foo: 'aGVsbG8g8J+YgA==' }],
  ['{{ .foo | bytes }}', '1.5e+06', { foo: '1.5MB' }],
  ['{{ default "-" "" }}', '-'],
  ['{{ default "-" "foo" }}', 'foo'],
  ['{{.http_request_headers_x_forwarded_for | default "-"}}', '-'],
  ['{{ lower  "HELLO"}}', 'hello'],
  ['{{ indent 4 .query }}', '    a\n    b', { query: 'a\nb' }],
  ['{{ nindent 4 .query }}', '\n    a', { query: 'a' }],
  ['{{ repeat 3 "hello" }}', 'hellohellohello'],
  ['{{ printf "The IP address was %s" .remote_addr }}', 'The IP address was 129.168.1.1', { remote_addr: '129.168.1.1' }],
  ['{{ printf "%-10.3s|%5d|%05d|%.2f|%q|%x|%v|%t" "abcdef" 42 -7 1.005 "a\\"b" 255 2.5 true }}', 'abc       |   42|-0007|1.00|"a\\"b"|ff|2.5|true'],
  ['{{ printf "%d" "x" }}', '%!d(string=x)'],
  ['{{ printf "%s %s" "a" }}', 'a %!s(MISSING)'],
  ['{{ .cluster | replace "-cluster" "" }}', 'prod', { cluster: 'prod-cluster' }],
  ['{{ replace "hello" "world" "hello world" }}', 'world world'],
  ['{{ .path | substr 2 5 }}', 'cde', { path: 'abcdefg' }],
  ['{{ substr 0 5 "hello world"}}', 'hello'],
  ['{{ substr 6 11 "hello world"}}', 'world'],
  ['{{ title "hello world"}}', 'Hello World'],
  ['{{ trim "   hello    " }}', 'hello'],
  ['{{ trimAll "$" "$5.00" }}', '5.00'],
  ['{{ trimPrefix "-" "-hello" }}', 'hello'],
  ['{{ trimSuffix "-" "hello-" }}', 'hello'],
  ['{{ trunc 5 "hello world"}}', 'hello'],
  ['{{ trunc -5 "hello world"}}', 'world'],
  ['{{ upper  "hello"}}', 'HELLO'],
  ['{{ .request_url | urlencode }}', 'a+b%2Fc%3Fd%3De%C3%A9', { request_url: 'a b/c?d=eé' }],
  ['{{ urldecode .request_url }}', 'a b/c?d=eé', { request_url: 'a+b%2Fc%3Fd%3De%C3%A9' }],
  ['{{ if contains "he" "hello" }} yes {{end}}', ' yes '],
  ['{{ if eq "hello" "hello" }} yes {{end}}', ' yes '],
  ['{{ if hasSuffix .err "Timeout" }} timeout {{end}}', '', { err: 'x' }],
  ['{{ if hasPrefix "he" "hello" }} yes {{end}}', ' yes '],
  ['{{ add 3 2 5 }}', '10'],
  ['{{ addf 3.5 2 5 }}', '10.5'],
  ['{{ ceil 123.001 }}', '124'],
  ['{{ div 10 2}}', '5'],
  ['{{ divf 10 2 4}}', '1.25'],
  ['{{ "3.5" | float64 }}', '3.5'],
  ['{{ floor 123.9999 }}', '123'],
  ['{{ "3" | int }}', '3'],
  ['{{ max 1 2 3 }}', '3'],
  ['{{ maxf 1 2.5 3 }}', '3'],
  ['{{ min 1 2 3 }}', '1'],
  ['{{ minf 1 2.5 3 }}', '1'],
  ['{{ mul 5 2 3}}', '30'],
  ['{{ mulf 5.5 2 2.5 }}', '27.5'],
  ['{{ mod 10 3}}', '1'],
  ['{{ round 123.555555 3 }}', '123.556'],
  ['{{ round 123.88571428571 5 .2 }}', '123.88572'],
  ['{{ sub 5 2 }}', '3'],
  ['{{ subf  5.5 2 1.5 }}', '2'],
  ['{{ count "a|b" "abab" }}', '4'],
  ['{{ count "o" "foo" }}', '2'],
  ['{{ __line__ | count "XYZ"}}', '2', undefined],
  ['{{ regexReplaceAll "(a*)bc" .some_label "${1}a" }}', 'aaaxa', { some_label: 'aabcxbc' }],
  ['{{ regexReplaceAllLiteral "(ts=)" .timestamp "timestamp=" }}', 'timestamp=1', { timestamp: 'ts=1' }],
  ['{{ regexReplaceAll "a*" "baaac" "-" }}', '-b-c-'],
  // Loki's legacy Go-named functions.
  ['{{ ToUpper .a }} {{ ToLower "ABC" }} {{ Title "a b" }} {{ TrimSpace "  x " }}', 'X abc A B x', { a: 'x' }],
  ['{{ Trim "xxaxx" "x" }} {{ TrimLeft "xxa" "x" }} {{ TrimRight "axx" "x" }} {{ TrimPrefix "ab" "a" }} {{ TrimSuffix "ab" "b" }}', 'a a a b a'],
  ['{{ Replace "aaa" "a" "b" 2 }}', 'bba'],
  ['{{ len "é" }} {{ not "" }} {{ or "" "x" }} {{ and "a" "" }}|', '2 true x |'],
  ['{{ if lt 1 2 }}lt{{ end }}{{ if ne "a" "b" }}ne{{ end }}{{ if ge 2.5 2.5 }}ge{{ end }}', 'ltnege'],
  // Trim markers and comments.
  ['a  {{- .x -}}  b{{/* note */}}c', 'aXbc', { x: 'X' }],
  ['{{-3}}', '-3'],
  ['text only', 'text only'],
];

describe('template functions (template_functions.md)', () => {
  it.each(rows)('%s', (t, expected, labels) => {
    const line = t.includes('XYZ') ? 'aXYZbXYZ' : 'the line';
    expect(render(t, labels ?? {}, line)).toBe(expected);
  });

  it('has an implementation for every documented signature, and no other', () => {
    expect(Object.keys(TEMPLATE_IMPLEMENTATIONS).sort()).toEqual(Object.keys(TEMPLATE_FUNCTIONS).sort());
  });

  it.each([
    ['{{ div 1 0 }}', 'error calling div: runtime error: integer divide by zero'],
    ['{{ upper 5 }}', 'error calling upper: wrong type for value; expected string; got int'],
    ['{{ repeat "3" "a" }}', 'error calling repeat: wrong type for value; expected int; got string'],
    ['{{ if eq .a 200 }}x{{end}}', 'error calling eq: incompatible types for comparison'],
    ['{{ regexReplaceAll "(" "a" "b" }}', 'error calling regexReplaceAll: missing closing ): `(`'],
    ['{{ duration "fast" }}', 'error calling duration: time: invalid duration "fast"'],
    ['{{ urldecode "%zz" }}', 'error calling urldecode: invalid URL escape "%zz"'],
  ])('%s fails at run time with %s', (t, message) => {
    expect(() => render(t, { a: '200' })).toThrow(TemplateExecError);
    expect(() => render(t, { a: '200' })).toThrow(message);
  });

  it('lists the fields a template reads', () => {
    expect(templateFields(parseTemplate('{{ .a }}{{ if .b }}{{ upper (lower .c) }}{{ else }}{{ .d | default .e }}{{ end }}{{ .a }}'))).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it.each([
    [1, '1'],
    [0.1, '0.1'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e21, '-2.5e+21'],
    [Infinity, '+Inf'],
    [NaN, 'NaN'],
  ])('formats float64 %d as Go %%v: %s', (v, s) => {
    expect(formatFloatG(v, -1)).toBe(s);
  });
});
