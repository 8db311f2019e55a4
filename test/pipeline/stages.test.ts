/**
 * Pipeline stages, table-driven: query, input line (stream labels {@link STREAM} unless
 * given), expected line and labels (or null: filtered out). Expectations are worked out by
 * hand from LogQL's documentation; rows from the docs cite the page (Loki repository,
 * docs/sources/query/…).
 */
import { describe, expect, it } from 'vitest';
import { pipelineOf, run, STREAM, type Out } from './helpers.js';

type Row = [name: string, query: string, line: string, expected: Out | null, stream?: Record<string, string>];

const S = STREAM;
const Q = 'pod{namespace="shop"}';

// log_queries/_index.md, "JSON": the document and the labels `| json` extracts from it.
const DOC_JSON =
  '{"protocol": "HTTP/2.0", "servers": ["129.0.1.1","10.2.1.3"], "request": {"time": "6.032", "method": "GET", "host": "foo.grafana.net", "size": "55", "headers": {"Accept": "*/*", "User-Agent": "curl/7.68.0"}}, "response": {"status": 401, "size": "228", "latency_seconds": "6.031"}}';
const DOC_JSON_LABELS = {
  protocol: 'HTTP/2.0',
  request_time: '6.032',
  request_method: 'GET',
  request_host: 'foo.grafana.net',
  request_size: '55',
  request_headers_Accept: '*/*',
  request_headers_User_Agent: 'curl/7.68.0',
  response_status: '401',
  response_size: '228',
  response_latency_seconds: '6.031',
};
// log_queries/_index.md, "logfmt".
const DOC_LOGFMT = 'at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200';
// log_queries/_index.md, "Drop Labels expression" / "Keep Labels expression".
const DROP_LINE = '{"level": "info", "method": "GET", "path": "/", "host": "grafana.net", "status": "200"}';
const DROP_LINE_POST = '{"level": "info", "method": "POST", "path": "/", "host": "grafana.net", "status": "200"}';
const APP_LINE_1 = '{"app": "some-api-service", "level": "info", "method": "GET", "path": "/", "host": "grafana.net", "status": "200"}';
const APP_LINE_2 = '{"app": "other-service", "level": "info", "method": "GET", "path": "/", "host": "grafana.net", "status": "200"}';
const VARLOGS = { job: 'varlogs' };

const rows: Row[] = [
  // ---- json ----
  ['json: the documented example (arrays skipped, nested keys joined, sanitised)', `${Q} | json`, DOC_JSON, { line: DOC_JSON, labels: { ...S, ...DOC_JSON_LABELS } }],
  [
    'json with parameters (docs: first_server, ua)',
    `${Q} | json first_server="servers[0]", ua="request.headers[\\"User-Agent\\"]"`,
    DOC_JSON,
    { line: DOC_JSON, labels: { ...S, first_server: '129.0.1.1', ua: 'curl/7.68.0' } },
  ],
  [
    'json parameters returning an array and an object keep their raw JSON (docs)',
    `${Q} | json server_list="servers", headers="request.headers"`,
    DOC_JSON,
    { line: DOC_JSON, labels: { ...S, server_list: '["129.0.1.1","10.2.1.3"]', headers: '{"Accept": "*/*", "User-Agent": "curl/7.68.0"}' } },
  ],
  ['json shorthand parameter `| json servers` (docs)', `${Q} | json servers`, DOC_JSON, { line: DOC_JSON, labels: { ...S, servers: '["129.0.1.1","10.2.1.3"]' } }],
  ['json: key mapping `{ "a.b": {c: "d"}, e: "f" }` → a_b_c, e (docs, Parser expression)', `${Q} | json`, '{"a.b": {"c": "d"}, "e": "f"}', { line: '{"a.b": {"c": "d"}, "e": "f"}', labels: { ...S, a_b_c: 'd', e: 'f' } }],
  ['json: a stream label gets _extracted', `${Q} | json`, '{"pod":"x","namespace":{"a":1}}', { line: '{"pod":"x","namespace":{"a":1}}', labels: { ...S, pod_extracted: 'x', namespace_a: '1' } }],
  ['json: numbers as written, booleans, null skipped', `${Q} | json`, '{"a":1.50,"b":-2e3,"c":true,"d":false,"e":null,"f":12345678901234567890}', { line: '{"a":1.50,"b":-2e3,"c":true,"d":false,"e":null,"f":12345678901234567890}', labels: { ...S, a: '1.50', b: '-2e3', c: 'true', d: 'false', f: '12345678901234567890' } }],
  ['json: escapes decoded, bad escape gives ""', `${Q} | json`, '{"a":"x\\"y\\u00e9\\n","b":"bad\\q"}', { line: '{"a":"x\\"y\\u00e9\\n","b":"bad\\q"}', labels: { ...S, a: 'x"yé\n', b: '' } }],
  ['json: first of duplicate keys wins', `${Q} | json`, '{"a":"1","a":"2","b_c":"3","b":{"c":"4"}}', { line: '{"a":"1","a":"2","b_c":"3","b":{"c":"4"}}', labels: { ...S, a: '1', b_c: '3' } }],
  ['json: key sanitising (digit start, spaces, punctuation, non-ASCII)', `${Q} | json`, '{"1st":"a"," sp ace ":"b","x-y.z":"c","ü":"d","o":{"2nd":"e"}}', { line: '{"1st":"a"," sp ace ":"b","x-y.z":"c","ü":"d","o":{"2nd":"e"}}', labels: { ...S, _1st: 'a', sp_ace: 'b', x_y_z: 'c', _: 'd', o_2nd: 'e' } }],
  ['json: not JSON → JSONParserErr, line kept', `${Q} | json`, 'INFO GET / loki.net 200', { line: 'INFO GET / loki.net 200', labels: { ...S, __error__: 'JSONParserErr', __error_details__: 'expected a JSON object at offset 0' } }],
  ['json: truncated object → error, labels found so far stay', `${Q} | json`, '{"a":"1","b":', { line: '{"a":"1","b":', labels: { ...S, a: '1', __error__: 'JSONParserErr', __error_details__: 'unexpected end of input at offset 13' } }],
  ['json: a top-level array is not an object', `${Q} | json`, '[1,2]', { line: '[1,2]', labels: { ...S, __error__: 'JSONParserErr', __error_details__: 'expected a JSON object at offset 0' } }],
  ['json | __error__="" drops unreadable lines', `${Q} | json | __error__=""`, 'not json', null],
  ['json | __error__="" keeps good lines', `${Q} | json | __error__=""`, '{"a":"b"}', { line: '{"a":"b"}', labels: { ...S, a: 'b' } }],
  ['json | drop __error__, __error_details__ (docs)', `{job="varlogs"} | json | drop __error__, __error_details__`, 'INFO GET / loki.net 200', { line: 'INFO GET / loki.net 200', labels: { ...VARLOGS } }, VARLOGS],
  ['json parameter path missing → ""', `${Q} | json a="x.y", b="z[3]"`, '{"x":{"q":1},"z":[1]}', { line: '{"x":{"q":1},"z":[1]}', labels: { ...S, a: '', b: '' } }],
  ['json parameter on a stream label name gets _extracted', `${Q} | json pod="p"`, '{"p":"v"}', { line: '{"p":"v"}', labels: { ...S, pod_extracted: 'v' } }],
  // Loki checks only the first character, and then sets no labels at all.
  ['json parameter on a non-JSON line → error', `${Q} | json a="x"`, 'plain', { line: 'plain', labels: { ...S, __error__: 'JSONParserErr', __error_details__: 'expected a JSON value at offset 0' } }],
  // ---- logfmt ----
  [
    'logfmt: the documented example',
    `${Q} | logfmt`,
    DOC_LOGFMT,
    { line: DOC_LOGFMT, labels: { ...S, at: 'info', method: 'GET', path: '/', host: 'grafana.net', fwd: '124.133.124.161', service: '8ms', status: '200' } },
  ],
  ['logfmt with parameters (docs: host, fwd_ip="fwd")', `${Q} | logfmt host, fwd_ip="fwd"`, DOC_LOGFMT, { line: DOC_LOGFMT, labels: { ...S, host: 'grafana.net', fwd_ip: '124.133.124.161' } }],
  ['logfmt: empty values and bare keys dropped', `${Q} | logfmt`, 'a= b c=1', { line: 'a= b c=1', labels: { ...S, c: '1' } }],
  ['logfmt --keep-empty keeps them as ""', `${Q} | logfmt --keep-empty`, 'a= b c=1', { line: 'a= b c=1', labels: { ...S, a: '', b: '', c: '1' } }],
  ['logfmt: quoted values with escapes', `${Q} | logfmt`, 'msg="say \\"hi\\"\\n" x="plain"', { line: 'msg="say \\"hi\\"\\n" x="plain"', labels: { ...S, msg: 'say "hi"\n', x: 'plain' } }],
  ['logfmt: malformed pairs skipped, no error (non-strict)', `${Q} | logfmt`, '=v a=1 b=2=3 c="x d=4', { line: '=v a=1 b=2=3 c="x d=4', labels: { ...S, a: '1' } }],
  ['logfmt --strict: stops with LogfmtParserErr (docs: foo=bar=buzz)', `${Q} | logfmt --strict`, 'a=1 foo=bar=buzz c=3', { line: 'a=1 foo=bar=buzz c=3', labels: { ...S, a: '1', __error__: 'LogfmtParserErr', __error_details__: "logfmt syntax error at pos 12 : unexpected '='" } }],
  ['logfmt --strict: unterminated quote', `${Q} | logfmt --strict`, 'a="x', { line: 'a="x', labels: { ...S, __error__: 'LogfmtParserErr', __error_details__: 'logfmt syntax error at pos 5 : unterminated quoted value' } }],
  ['logfmt: first duplicate wins, stream labels get _extracted', `${Q} | logfmt`, 'pod=a pod=b k=1 k=2', { line: 'pod=a pod=b k=1 k=2', labels: { ...S, pod_extracted: 'a', k: '1' } }],
  ['logfmt: key sanitised', `${Q} | logfmt`, 'a.b=1 2x=2', { line: 'a.b=1 2x=2', labels: { ...S, a_b: '1', _2x: '2' } }],
  ['logfmt parameter absent → ""', `${Q} | logfmt host, nope`, 'host=h', { line: 'host=h', labels: { ...S, host: 'h', nope: '' } }],
  // ---- regexp ----
  [
    'regexp: the documented example',
    `${Q} | regexp "(?P<method>\\\\w+) (?P<path>[\\\\w|/]+) \\\\((?P<status>\\\\d+?)\\\\) (?P<duration>.*)"`,
    'POST /api/prom/api/v1/query_range (200) 1.5s',
    { line: 'POST /api/prom/api/v1/query_range (200) 1.5s', labels: { ...S, method: 'POST', path: '/api/prom/api/v1/query_range', status: '200', duration: '1.5s' } },
  ],
  ['regexp: no match sets nothing', `${Q} | regexp "(?P<n>\\\\d+)"`, 'no digits', { line: 'no digits', labels: { ...S } }],
  ['regexp: non-participating group is ""; unnamed groups ignored', `${Q} | regexp "(a)|(?P<b>b)(?P<c>c)?"`, 'xb', { line: 'xb', labels: { ...S, b: 'b', c: '' } }],
  ['regexp: UTF-8 input sliced on characters', `${Q} | regexp "결제 (?P<what>\\\\S+)"`, '결제 승인 완료', { line: '결제 승인 완료', labels: { ...S, what: '승인' } }],
  ['regexp: RE2 leftmost-first, named group on a stream label', `${Q} | regexp "(?P<pod>a|ab)"`, 'ab', { line: 'ab', labels: { ...S, pod_extracted: 'a' } }],
  // ---- pattern ----
  [
    'pattern: the documented NGINX example',
    `${Q} | pattern \`<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>\``,
    '0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" ""',
    {
      line: '0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" ""',
      labels: { ...S, ip: '0.191.12.2', method: 'GET', uri: '/api/plugins/versioncheck', status: '200', size: '2', agent: 'Go-http-client/2.0' },
    },
  ],
  [
    'pattern: unanchored with a leading <_> (docs)',
    `${Q} | pattern \`<_> msg="<method> <path> (<status>) <latency>"\``,
    'level=debug ts=2021-06-10T09:24:13.472094048Z caller=logging.go:66 traceID=0568b66ad2d9294c msg="POST /loki/api/v1/push (204) 16.652862ms"',
    {
      line: 'level=debug ts=2021-06-10T09:24:13.472094048Z caller=logging.go:66 traceID=0568b66ad2d9294c msg="POST /loki/api/v1/push (204) 16.652862ms"',
      labels: { ...S, method: 'POST', path: '/loki/api/v1/push', status: '204', latency: '16.652862ms' },
    },
  ],
  ['pattern: a leading literal anchors the match', `${Q} | pattern "GET <path>"`, 'POST /x', { line: 'POST /x', labels: { ...S } }],
  ['pattern: a missing literal ends matching; the capture takes the rest', `${Q} | pattern "<a> <b>|<c>"`, 'x y z', { line: 'x y z', labels: { ...S, a: 'x', b: 'y z' } }],
  ['pattern: empty line sets nothing', `${Q} | pattern "<a> <b>"`, '', { line: '', labels: { ...S } }],
  // ---- unpack ----
  [
    'unpack: the documented example (_entry replaces the line)',
    `{job="a"} | unpack`,
    '{"container":"myapp","pod":"pod-3223f","_entry":"original log message"}',
    { line: 'original log message', labels: { job: 'a', container: 'myapp', pod: 'pod-3223f' } },
    { job: 'a' },
  ],
  ['unpack: without _entry nothing changes', `${Q} | unpack`, '{"a":"b"}', { line: '{"a":"b"}', labels: { ...S } }],
  ['unpack: non-string members skipped; stream labels _extracted', `${Q} | unpack`, '{"n":1,"pod":"p","_entry":"m"}', { line: 'm', labels: { ...S, pod_extracted: 'p' } }],
  ['unpack | json on the unpacked line', `${Q} | unpack | json`, '{"k":"v","_entry":"{\\"a\\":1}"}', { line: '{"a":1}', labels: { ...S, k: 'v', a: '1' } }],
  ['unpack: not an object → JSONParserErr', `${Q} | unpack`, 'text', { line: 'text', labels: { ...S, __error__: 'JSONParserErr', __error_details__: 'expecting json object, but it is not at offset 0' } }],
  // ---- decolorize ----
  ['decolorize strips ANSI colour codes', `${Q} | decolorize`, '\x1b[31mERROR\x1b[0m failed \x1b[1;32mok\x1b[m', { line: 'ERROR failed ok', labels: { ...S } }],
  ['decolorize leaves plain lines alone', `${Q} | decolorize`, 'plain [31m', { line: 'plain [31m', labels: { ...S } }],
  // ---- label filters ----
  ['number >= keeps', `${Q} | logfmt | status >= 500`, 'status=503', { line: 'status=503', labels: { ...S, status: '503' } }],
  ['number >= drops', `${Q} | logfmt | status >= 500`, 'status=200', null],
  ['number filter on a missing label drops', `${Q} | logfmt | status >= 500`, 'other=1', null],
  ['number == with = (LogQL reads = as ==)', `${Q} | logfmt | status = 200`, 'status=200.0', { line: 'status=200.0', labels: { ...S, status: '200.0' } }],
  ['number conversion error keeps the line with LabelFilterErr', `${Q} | logfmt | status > 1`, 'status=abc', { line: 'status=abc', labels: { ...S, status: 'abc', __error__: 'LabelFilterErr', __error_details__: 'strconv.ParseFloat: parsing "abc": invalid syntax' } }],
  ['conversion error then __error__="" drops', `${Q} | logfmt | status > 1 | __error__=""`, 'status=abc', null],
  ['duration > 250ms', `${Q} | logfmt | duration > 250ms`, 'duration=0.3s', { line: 'duration=0.3s', labels: { ...S, duration: '0.3s' } }],
  ['duration > 250ms drops 250ms exactly', `${Q} | logfmt | duration > 250ms`, 'duration=250000us', null],
  ['duration conversion error', `${Q} | logfmt | duration > 1s`, 'duration=5', { line: 'duration=5', labels: { ...S, duration: '5', __error__: 'LabelFilterErr', __error_details__: 'time: missing unit in duration "5"' } }],
  ['bytes >= 1MB with humanize units', `${Q} | logfmt | size >= 1MB`, 'size=1.5MiB', { line: 'size=1.5MiB', labels: { ...S, size: '1.5MiB' } }],
  ['bytes: 999kB < 1MB', `${Q} | logfmt | size >= 1MB`, 'size=999kB', null],
  ['bytes conversion error', `${Q} | logfmt | size >= 1MB`, 'size=big', { line: 'size=big', labels: { ...S, size: 'big', __error__: 'LabelFilterErr', __error_details__: 'strconv.ParseFloat: parsing "": invalid syntax' } }],
  ['string =~ is fully anchored', `${Q} | logfmt | level =~ "warn|error"`, 'level=warning', null],
  ['string =~ matches', `${Q} | logfmt | level =~ "warn|error"`, 'level=error', { line: 'level=error', labels: { ...S, level: 'error' } }],
  ['string !~', `${Q} | logfmt | level !~ "debug.*"`, 'level=info', { line: 'level=info', labels: { ...S, level: 'info' } }],
  ['string = "" matches a missing label', `${Q} | logfmt | missing = ""`, 'a=1', { line: 'a=1', labels: { ...S, a: '1' } }],
  ['or short-circuits', `${Q} | logfmt | a="1" or b > 5`, 'a=1 b=x', { line: 'a=1 b=x', labels: { ...S, a: '1', b: 'x' } }],
  ['and / or precedence (docs: duration >= 20ms or method="GET" and size <= 20KB)', `${Q} | logfmt | duration >= 20ms or method="GET" and size <= 20KB`, 'duration=1ms method=GET size=30KB', null],
  ['and / or precedence, other side', `${Q} | logfmt | duration >= 20ms or method="GET" and size <= 20KB`, 'duration=30ms method=POST size=30KB', { line: 'duration=30ms method=POST size=30KB', labels: { ...S, duration: '30ms', method: 'POST', size: '30KB' } }],
  ['docs: logfmt | duration > 1m and bytes_consumed > 20MB', `${Q} | logfmt | duration > 1m and bytes_consumed > 20MB`, 'duration=2m bytes_consumed=21MB', { line: 'duration=2m bytes_consumed=21MB', labels: { ...S, duration: '2m', bytes_consumed: '21MB' } }],
  ['numeric filter never reads __error__', `${Q} | json | __error__ > 0`, 'x', null],
  // ---- line filters after stages see the current line ----
  ['line filter after line_format', `${Q} | logfmt | line_format "{{.msg}}" |= "boom"`, 'msg=boom level=error', { line: 'boom', labels: { ...S, msg: 'boom', level: 'error' } }],
  ['line filter after line_format drops', `${Q} | logfmt | line_format "{{.msg}}" |= "level"`, 'msg=boom level=error', null],
  ['regex line filter after a stage', `${Q} | json |~ "a\\\\d"`, '{"x":"a1"}', { line: '{"x":"a1"}', labels: { ...S, x: 'a1' } }],
  // ---- line_format / label_format ----
  ['line_format from the issue', `${Q} | json | line_format "{{.method}} {{.path}} {{ .status | ToUpper }}"`, '{"method":"GET","path":"/x","status":"ok"}', { line: 'GET /x OK', labels: { ...S, method: 'GET', path: '/x', status: 'ok' } }],
  ['line_format div (docs: 1.1.1.1 200 3)', `${Q} | logfmt | line_format "{{.ip}} {{.status}} {{div .duration 1000}}"`, 'ip=1.1.1.1 status=200 duration=3000', { line: '1.1.1.1 200 3', labels: { ...S, ip: '1.1.1.1', status: '200', duration: '3000' } }],
  ['line_format: a missing label is ""', `${Q} | line_format "[{{.nope}}]"`, 'x', { line: '[]', labels: { ...S } }],
  ['line_format: __line__', `${Q} | line_format "{{ __line__ | upper }}!"`, 'abc', { line: 'ABC!', labels: { ...S } }],
  ['line_format runtime error → TemplateFormatErr, line kept', `${Q} | line_format "{{ div 1 0 }}"`, 'abc', { line: 'abc', labels: { ...S, __error__: 'TemplateFormatErr', __error_details__: 'error calling div: runtime error: integer divide by zero' } }],
  ['line_format type error (ToUpper of an int)', `${Q} | line_format "{{ ToUpper 5 }}"`, 'abc', { line: 'abc', labels: { ...S, __error__: 'TemplateFormatErr', __error_details__: 'error calling ToUpper: wrong type for value; expected string; got int' } }],
  ['label_format rename drops the source (docs)', `${Q} | logfmt | label_format dst=src`, 'src=v', { line: 'src=v', labels: { ...S, dst: 'v' } }],
  ['label_format template keeps the source (docs)', `${Q} | logfmt | label_format dst="{{.src}}"`, 'src=v', { line: 'src=v', labels: { ...S, src: 'v', dst: 'v' } }],
  ['label_format from the issue', `${Q} | logfmt | label_format new=old, x="{{.a}}-{{.b}}"`, 'old=o a=1 b=2', { line: 'old=o a=1 b=2', labels: { ...S, new: 'o', a: '1', b: '2', x: '1-2' } }],
  ['label_format rename of a missing label does nothing', `${Q} | label_format a=b`, 'x', { line: 'x', labels: { ...S } }],
  ['label_format can override a stream label', `${Q} | label_format pod="{{.pod}}-x"`, 'x', { line: 'x', labels: { ...S, pod: 'api-1-x' } }],
  ['templates in one label_format see the labels before it', `${Q} | label_format a="1", b="{{.a}}"`, 'x', { line: 'x', labels: { ...S, a: '1', b: '' } }],
  // ---- drop / keep (docs) ----
  ['drop level, method="GET" (docs)', `{job="varlogs"} | json | drop level, method="GET"`, DROP_LINE, { line: DROP_LINE, labels: { job: 'varlogs', path: '/', host: 'grafana.net', status: '200' } }, VARLOGS],
  ['drop with a regex matcher (docs, first line)', `{job="varlogs"} | json | drop level, path, app=~"some-api.*"`, APP_LINE_1, { line: APP_LINE_1, labels: { job: 'varlogs', method: 'GET', host: 'grafana.net', status: '200' } }, VARLOGS],
  ['drop with a regex matcher (docs, second line)', `{job="varlogs"} | json | drop level, path, app=~"some-api.*"`, APP_LINE_2, { line: APP_LINE_2, labels: { job: 'varlogs', app: 'other-service', method: 'GET', host: 'grafana.net', status: '200' } }, VARLOGS],
  ['keep level, method="GET" (docs, GET line)', `{job="varlogs"} | json | keep level, method="GET"`, DROP_LINE, { line: DROP_LINE, labels: { level: 'info', method: 'GET' } }, VARLOGS],
  ['keep level, method="GET" (docs, POST line)', `{job="varlogs"} | json | keep level, method="GET"`, DROP_LINE_POST, { line: DROP_LINE_POST, labels: { level: 'info' } }, VARLOGS],
  ['keep level, tenant, app=~ (docs, second line)', `{job="varlogs"} | json | keep level, tenant, app=~"some-api.*"`, APP_LINE_2, { line: APP_LINE_2, labels: { level: 'info' } }, VARLOGS],
  ['keep never drops the error labels (docs)', `${Q} | json | keep pod`, 'x', { line: 'x', labels: { pod: 'api-1', __error__: 'JSONParserErr', __error_details__: 'expected a JSON object at offset 0' } }],
];

describe('pipeline stages', () => {
  it.each(rows)('%s', (_name, query, line, expected, stream) => {
    expect(run(query, line, stream ? { ...stream } : undefined)).toEqual(expected);
  });

  it('never mutates the caller\'s labels, and returns them as is when nothing changes', () => {
    const labels = { ...STREAM };
    const frozen = Object.freeze({ ...STREAM });
    expect(run(`${Q} | json`, '{"a":"b"}', frozen)).toEqual({ line: '{"a":"b"}', labels: { ...STREAM, a: 'b' } });
    expect(labels).toEqual(STREAM);
  });
});

type UnwrapRow = [query: string, line: string, expected: Out | null];

describe('unwrap', () => {
  const rowsU: UnwrapRow[] = [
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap latency [1m])', 'latency=12.5', { line: 'latency=12.5', labels: { ...S, latency: '12.5' }, value: 12.5 }],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap duration(d) [1m])', 'd=1m30.5s', { line: 'd=1m30.5s', labels: { ...S, d: '1m30.5s' }, value: 90.5 }],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap duration_seconds(d) [1m])', 'd=250ms', { line: 'd=250ms', labels: { ...S, d: '250ms' }, value: 0.25 }],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap bytes(b) [1m])', 'b=1.5KiB', { line: 'b=1.5KiB', labels: { ...S, b: '1.5KiB' }, value: 1536 }],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap bytes(b) [1m])', 'b=20', { line: 'b=20', labels: { ...S, b: '20' }, value: 20 }],
    // A missing or empty value gives no sample (Loki issue 6713).
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap latency [1m])', 'other=1', null],
    ['sum_over_time(pod{namespace="shop"} | logfmt --keep-empty | unwrap latency [1m])', 'latency=', null],
    // A failed conversion: SampleExtractionErr, value 0, post-filters still run.
    [
      'sum_over_time(pod{namespace="shop"} | logfmt | unwrap latency [1m])',
      'latency=fast',
      { line: 'latency=fast', labels: { ...S, latency: 'fast', __error__: 'SampleExtractionErr', __error_details__: 'strconv.ParseFloat: parsing "fast": invalid syntax' }, value: 0 },
    ],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap latency | __error__="" [1m])', 'latency=fast', null],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap latency | __error__="" [1m])', 'latency=3', { line: 'latency=3', labels: { ...S, latency: '3' }, value: 3 }],
    ['sum_over_time(pod{namespace="shop"} | logfmt | unwrap latency | latency > 5 [1m])', 'latency=3', null],
  ];
  it.each(rowsU)('%s on %s', (query, line, expected) => {
    expect(run(query, line)).toEqual(expected);
  });

  it('reports the unwrapped label and conversion', () => {
    expect(pipelineOf('rate(pod{namespace="a"} | json | unwrap bytes(size) [1m])').unwrap).toEqual({ label: 'size', conversion: 'bytes' });
    expect(pipelineOf('pod{namespace="a"} | json').unwrap).toBe(null);
    expect(pipelineOf('pod{namespace="a"} | json').process('{}', {})!.value).toBeNaN();
  });
});

