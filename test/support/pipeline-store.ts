/**
 * A small store of JSON, logfmt and plain lines for the pipeline tests (log and metric
 * queries), small enough to work every expectation out by hand:
 *
 * | time (2024-09-24) | stream              | line                                         |
 * |-------------------|---------------------|----------------------------------------------|
 * | 13:00:01          | shop/api-1/api      | json: info 200 latency 12.5 path /a time t1  |
 * | 13:00:02          | shop/api-1/api      | json: error 500 latency 250 path /b          |
 * | 13:00:03          | shop/api-2/api      | logfmt: warn 404 latency 7 path /c           |
 * | 13:00:04          | shop/api-2/api      | plain text, GET /d                           |
 * | 13:00:05          | shop/api-1/sidecar  | json: info 201 latency "3.5" pod inner       |
 * | 13:01:00          | web/web-1/nginx     | json: info 200 latency 100                   |
 * | 13:59:00          | web/web-1/nginx     | json: error 503 latency 900                  |
 */
export const SHOP = [
  '2024-09-24T13:00:01.000000Z[shop|api-1|api] {"level":"info","status":200,"latency_ms":12.5,"path":"/a","time":"t1"}',
  '2024-09-24T13:00:02.000000Z[shop|api-1|api] {"level":"error","status":500,"latency_ms":250,"path":"/b"}',
  '2024-09-24T13:00:03.000000Z[shop|api-2|api] level=warn status=404 latency_ms=7 path=/c',
  '2024-09-24T13:00:04.000000Z[shop|api-2|api] not json at all GET /d',
  '2024-09-24T13:00:05.000000Z[shop|api-1|sidecar] {"level":"info","status":201,"latency_ms":"3.5","pod":"inner"}',
].join('\n') + '\n';
export const WEB = [
  '2024-09-24T13:01:00.000000Z[web|web-1|nginx] {"level":"info","status":200,"latency_ms":100}',
  '2024-09-24T13:59:00.000000Z[web|web-1|nginx] {"level":"error","status":503,"latency_ms":900}',
].join('\n') + '\n';
export const FILES = { 'pod/shop/2024-09-24_13.log': SHOP, 'pod/web/2024-09-24_13.log': WEB };
export const WINDOW = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T14:00:00Z' };

