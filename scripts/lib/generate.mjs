#!/usr/bin/env node
// A seeded, fast generator of realistic Lethe stores for benchmarks and memory checks.
//
//   node scripts/lib/generate.mjs --out bench/data/store-1GiB --size 1GiB [--seed 1]
//   import { generateStore, parseSize } from './generate.mjs';
//   const info = await generateStore({ out, sizeBytes: parseSize('1GiB'), seed: 1 });
//
// What it writes: `<out>/pod/<ns>/YYYY-MM-DD_HH.log` for six namespaces and
// `<out>/node/<node>/…` for four nodes, over consecutive UTC hours from 2024-09-24T00:00Z
// (about 1 MiB per file: 3 hours minimum, 26 hours for 256 MiB, 103 for 1 GiB). The mix is
// what a benchmark of log search needs to be honest about:
// - access logs: ingress-nginx, nginx (combined) and Envoy/Istio sidecars, with
//   GET/POST/PUT/PATCH/DELETE/HEAD, `/api/v1/…` and `/api/v2/…` paths, `user/<id>` paths,
//   2xx–5xx statuses, latencies, kube-probe health checks;
// - JSON application logs (zap, logback-JSON and Cloud-Logging styles): `level`/`severity`
//   as `error`, `ERROR`, `Error` in messages and fields, `latency_ms`, `user`;
// - multi-line stack traces, one Lethe line per stack line with the event's timestamp and
//   labels: Java (Spring) exceptions and Go `http: panic serving …` goroutine dumps;
// - klog (`I0924 15:00:01.123456       1 controller.go:123] …`) from control-plane
//   components and the kubelet, coredns, Prometheus logfmt, containerd and kernel lines;
// - Korean (UTF-8, 3 bytes a character) in payment and application messages;
// - long lines of 8–64 KiB (about one line in 4,000): base64 request dumps, long SQL, Korean
//   text, and long runs of `a` or `x` — the inputs on which backtracking regex engines blow
//   up on `(a+)+$` or `(x+x+)+y`; some of those runs end the line (or end in `y`) so that
//   those patterns also have matches;
// - about one line in 100,000 carries the rare token `trace_id=RARE-7f3a`.
// Pod timestamps have 6 fraction digits, node timestamps 9; lines within a file are in time
// order. Access-log and JSON lines dominate, as in real clusters.
//
// Guarantees:
// - Deterministic: the bytes are a pure function of (sizeBytes, seed) and this file's
//   GENERATOR version (random draws come from scripts/lib/prng.mjs). No clock, no Math.random.
//   Change GENERATOR whenever the output changes: cached stores are regenerated on mismatch.
// - Exact size: the files add up to exactly `sizeBytes` (for sizeBytes ≥ 1 KiB); the last
//   file ends with one filler line if needed.
// - Idempotent: `<out>/.letheql-generated.json` records the parameters; a second call with
//   the same ones returns the recorded info without writing. A directory that is not empty
//   and has no marker is never overwritten.
// - Fast (~100 MiB/s on one core): lines are built from pre-drawn pools and encoded straight
//   into a 16 MiB buffer written with one syscall per fill.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from './prng.mjs';

export const GENERATOR = 'letheql-bench-generate/2';
export const MARKER = '.letheql-generated.json';
export const RARE_TOKEN = 'trace_id=RARE-7f3a';

const START_MS = Date.UTC(2024, 8, 24, 0); // 2024-09-24T00:00:00Z
const FILE_TARGET_BYTES = 1 << 20;
const BUF_SIZE = 16 << 20;
/** One line in LONG_LINE_ODDS is a long line (when its file is big enough to hold it). */
const LONG_LINE_ODDS = 4000;
const LONG_MIN_BYTES = 8 << 10;
const LONG_MAX_BYTES = 64 << 10;
/** One line in RARE_ODDS carries RARE_TOKEN. */
const RARE_ODDS = 100_000;

/**
 * Parses a size: a number of bytes with an optional unit. `KB/MB/GB/TB` are decimal
 * (10³…), `KiB/MiB/GiB/TiB` binary (2¹⁰…); `K/M/G` alone are binary. Case-insensitive.
 */
export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(String(text));
  if (!m) throw new Error(`invalid size ${JSON.stringify(text)}: expected e.g. 256MB, 256MiB, 1GiB, 1048576`);
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  const suffix = m[3].toLowerCase();
  if (unit === '' && suffix === 'ib') throw new Error(`invalid size ${JSON.stringify(text)}`);
  const pow = { '': 0, k: 1, m: 2, g: 3, t: 4 }[unit];
  const base = suffix === 'b' ? 1000 : 1024;
  return Math.round(n * base ** pow);
}

// ---- randomness: one mulberry32 stream (scripts/lib/prng.mjs) feeds every draw ---------------
const HEX_POOL_SIZE = 1 << 20;

function makeRng(seed) {
  const next = mulberry32(seed);
  const hexParts = [];
  for (let i = 0; i < HEX_POOL_SIZE / 8; i++) hexParts.push(Math.floor(next() * 4294967296).toString(16).padStart(8, '0'));
  const hexPool = hexParts.join('');
  return {
    float: next,
    int: (n) => Math.floor(next() * n), // [0, n)
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    // Hex ids are slices of a 1 MiB pool drawn once from the same stream: ~10× faster than
    // formatting fresh words, and ids stay distinct enough for logs.
    hex: (n) => {
      const at = Math.floor(next() * (HEX_POOL_SIZE - n));
      return hexPool.slice(at, at + n);
    },
  };
}

// ---- vocabulary ---------------------------------------------------------------------------
const IPS = Array.from({ length: 64 }, (_, i) => (i < 16 ? `203.0.113.${(i * 37) % 254 + 1}` : i < 32 ? `198.51.100.${(i * 53) % 254 + 1}` : i < 48 ? `192.0.2.${(i * 71) % 254 + 1}` : `10.244.${i % 4}.${(i * 29) % 250 + 2}`));
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (Linux; Android 14; SM-S921N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'Go-http-client/1.1',
  'python-requests/2.32.3',
];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 304, 400, 401, 403, 404, 404, 429, 500, 502, 503];
const USERS = Array.from({ length: 500 }, (_, i) => `u-${1000 + i * 7}`);
const KO = [
  '결제 승인 완료',
  '주문이 완료되었습니다',
  '결제 실패: 카드 한도 초과',
  '배송 준비 중입니다',
  '재고가 부족합니다',
  '사용자 인증에 실패했습니다',
  '쿠폰이 적용되었습니다',
  '환불 요청이 접수되었습니다',
];
const ERRORS = ['pq: deadlock detected', 'context deadline exceeded', 'dial tcp 10.96.44.7:5432: connect: connection refused', 'redis: connection pool timeout', 'EOF', 'x509: certificate has expired or is not yet valid', 'rpc error: code = Unavailable desc = upstream connect error or disconnect/reset before headers'];
const JAVA_FRAMES = [
  '\tat com.shop.checkout.CheckoutService.total(CheckoutService.java:87)',
  '\tat com.shop.checkout.CheckoutService.placeOrder(CheckoutService.java:54)',
  '\tat com.shop.checkout.CheckoutController.checkout(CheckoutController.java:42)',
  '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
  '\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)',
  '\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)',
  '\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)',
  '\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)',
  '\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:138)',
  '\tat org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)',
  '\tat org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)',
  '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
];
const EXCEPTIONS = [
  'java.lang.NullPointerException: Cannot invoke "com.shop.checkout.Cart.getItems()" because "cart" is null',
  'java.lang.IllegalStateException: Order already paid: ORD-',
  'org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection',
];
const GO_PANICS = [
  'runtime error: invalid memory address or nil pointer dereference',
  'runtime error: index out of range [3] with length 3',
  'assignment to entry in nil map',
];
// A Go goroutine dump as net/http prints it after recovering a handler panic: [function,
// file:line] pairs; the file lines are tab-indented, as Go writes them.
const GO_FRAMES = [
  ['net/http.(*conn).serve.func1()', '/usr/local/go/src/net/http/server.go:1903 +0xbe'],
  ['panic({0x9a1b20?, 0xe0f6a0?})', '/usr/local/go/src/runtime/panic.go:770 +0x132'],
  ['github.com/shop/ledger/internal/store.(*Ledger).Post(0x0, {0xb3c6e8, 0xc0003a2d20}, 0xc0001e4000)', '/src/internal/store/ledger.go:214 +0x3a'],
  ['github.com/shop/ledger/internal/api.(*Server).postEntry(0xc0000b6000, {0xb3a1f0, 0xc0004f61c0}, 0xc0002b0480)', '/src/internal/api/entries.go:88 +0x1c5'],
  ['net/http.HandlerFunc.ServeHTTP(0xc0001a2e40?, {0xb3a1f0?, 0xc0004f61c0?}, 0x0?)', '/usr/local/go/src/net/http/server.go:2171 +0x29'],
  ['github.com/go-chi/chi/v5.(*Mux).routeHTTP(0xc0000a4060, {0xb3a1f0, 0xc0004f61c0}, 0xc0002b0480)', '/go/pkg/mod/github.com/go-chi/chi/v5@v5.0.12/mux.go:444 +0x1e2'],
  ['net/http.serverHandler.ServeHTTP({0xc0003a2c30?}, {0xb3a1f0?, 0xc0004f61c0?}, 0x6?)', '/usr/local/go/src/net/http/server.go:3142 +0x8e'],
  ['net/http.(*conn).serve(0xc0001b2000, {0xb3c6e8, 0xc0003a2b40})', '/usr/local/go/src/net/http/server.go:2044 +0x5e8'],
];
const PRODUCTS = ['무선 이어폰', '기계식 키보드', '유기농 녹차 티백 100개입', '캠핑용 접이식 의자', '스테인리스 텀블러 500ml', '어린이 그림책 세트'];

/** Text that long lines slice: drawn once per store, so that each long line costs one slice. */
function makePools(r) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const b64 = [];
  for (let i = 0; i < 2 * LONG_MAX_BYTES; i++) b64.push(alphabet[r.int(64)]);
  const ids = [];
  for (let n = 0; n < 2 * LONG_MAX_BYTES; ) {
    const id = String(100000 + r.int(900000));
    ids.push(id);
    n += id.length + 1;
  }
  const ko = [];
  for (let n = 0; n < (2 * LONG_MAX_BYTES) / 3; ) {
    const s = `${r.pick(PRODUCTS)}: ${r.pick(KO)}. `;
    ko.push(s);
    n += s.length;
  }
  return { b64: b64.join(''), ids: ids.join(','), ko: ko.join(''), a: 'a'.repeat(LONG_MAX_BYTES), x: 'x'.repeat(LONG_MAX_BYTES) };
}

function apiPath(r) {
  const id = r.int(99999);
  switch (r.int(14)) {
    case 0: return `/api/v1/users/${id}`;
    case 1: return `/api/v1/users/${id}/orders`;
    case 2: return `/api/v1/user/${id}/cart`;
    case 3: return `/api/v2/user/${id}/profile`;
    case 4: return `/api/v1/products?page=${r.int(50) + 1}&size=20`;
    case 5: return `/api/v1/products/${r.int(5000)}`;
    case 6: return `/api/v2/orders/${id}`;
    case 7: return `/api/v2/search?q=${r.pick(['shoes', 'tea', 'keyboard', 'chair'])}&limit=20`;
    case 8: return '/api/v1/cart';
    case 9: return r.int(2) === 0 ? '/api/v1/checkout' : '/api/v2/checkout';
    case 10: return `/static/js/main.${r.hex(6)}.js`;
    case 11: return `/user/${id}/avatar.png`;
    case 12: return '/metrics';
    default: return '/healthz';
  }
}
const methodFor = (r, path) => (path === '/healthz' || path === '/metrics' || path.startsWith('/static/') || path.endsWith('.png') ? 'GET' : r.pick(METHODS));
const uaFor = (r, path) => (path === '/healthz' ? 'kube-probe/1.30' : path === '/metrics' ? 'Prometheus/2.54.1' : r.pick(UAS));

// ---- per-line context: the time parts of the current line, set by the writer -------------
// `T.hms` "13:04:05", `T.us` 6-digit fraction, `T.epoch` Unix seconds, `T.md` "0924",
// `T.nginx` "24/Sep/2024:13:04:05 +0000", `T.iso` "2024-09-24T13:04:05".
const T = { hms: '', us: '', epoch: 0, md: '', nginx: '', iso: '' };

// ---- message generators: (r) => string | string[] (several lines, one timestamp) ----------
const gen = {
  ingress(r) {
    const status = r.pick(STATUSES);
    const path = apiPath(r);
    const rt = (r.int(2000) / 1000).toFixed(3);
    return `${r.pick(IPS)} - - [${T.nginx}] "${methodFor(r, path)} ${path} HTTP/1.1" ${status} ${r.int(90000) + 1} "-" "${uaFor(r, path)}" ${r.int(900) + 100} ${rt} [shop-api-8080] [] 10.244.${r.int(4)}.${r.int(250) + 2}:8080 ${r.int(90000)} ${rt} ${status} ${r.hex(32)}`;
  },
  nginx(r) {
    const status = r.pick(STATUSES);
    const path = r.int(5) === 0 ? '/healthz' : apiPath(r);
    return `${r.pick(IPS)} - - [${T.nginx}] "${methodFor(r, path)} ${path} HTTP/1.1" ${status} ${r.int(50000) + 1} "-" "${uaFor(r, path)}" rt=${(r.int(3000) / 1000).toFixed(3)}`;
  },
  // Envoy's default access-log format (Istio sidecars).
  envoy(r) {
    const path = apiPath(r);
    const status = r.pick(STATUSES);
    const flags = status === 503 ? 'UF' : status === 504 ? 'UT' : '-';
    const ms = r.int(900) + 1;
    return `[${T.iso}.${T.us.slice(0, 3)}Z] "${methodFor(r, path)} ${path} HTTP/1.1" ${status} ${flags} via_upstream - "-" ${r.int(2000)} ${r.int(90000)} ${ms} ${ms - (ms >> 3)} "${r.pick(IPS)}" "${uaFor(r, path)}" "${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}" "api.shop.svc.cluster.local:8080" "10.244.${r.int(4)}.${r.int(250) + 2}:8080" inbound|8080|| 127.0.0.6:${30000 + r.int(30000)} 10.244.1.5:8080 10.244.0.3:${30000 + r.int(30000)} outbound_.8080_._.api.shop.svc.cluster.local default`;
  },
  appJson(r) {
    const u = r.pick(USERS);
    const x = r.int(100);
    const lat = r.int(30000) / 10;
    if (x < 3) {
      const path = apiPath(r);
      return `{"level":"error","ts":${T.epoch}.${T.us},"caller":"handler/orders.go:131","msg":"request failed","method":"${methodFor(r, path)}","path":"${path}","status":${r.pick([500, 502, 503])},"latency_ms":${lat},"user":"${u}","error":"${r.pick(ERRORS)}","retry":${r.int(4)}}`;
    }
    if (x < 5) return `{"@timestamp":"${T.iso}.${T.us.slice(0, 3)}Z","level":"ERROR","logger_name":"com.shop.orders.OrderClient","message":"Error fetching order ORD-${100000 + r.int(900000)}: ${r.pick(ERRORS)}","latency_ms":${lat},"user":"${u}"}`;
    if (x < 6) return `{"severity":"ERROR","time":"${T.iso}.${T.us}Z","message":"주문 조회 실패: upstream Error","latency_ms":${lat},"user":"${u}"}`;
    if (x < 12) return `{"level":"warn","ts":${T.epoch}.${T.us},"caller":"middleware/ratelimit.go:58","msg":"rate limit near","user":"${u}","remaining":${r.int(5) + 1}}`;
    if (x < 20) return `{"level":"debug","ts":${T.epoch}.${T.us},"caller":"cache/lru.go:77","msg":"cache miss","key":"user:${u}:profile"}`;
    if (x < 23) return `{"level":"info","ts":${T.epoch}.${T.us},"caller":"worker/batch.go:64","msg":"batch processed","items":${r.int(500)},"errors":${r.int(3)},"latency_ms":${lat}}`;
    if (x < 25) return `{"level":"info","ts":${T.epoch}.${T.us},"caller":"handler/users.go:102","msg":"요청 처리 완료","user":"${u}","latency_ms":${lat}}`;
    const path = apiPath(r);
    return `{"level":"info","ts":${T.epoch}.${T.us},"caller":"handler/users.go:88","msg":"request served","method":"${methodFor(r, path)}","path":"${path}","status":${r.pick(STATUSES)},"latency_ms":${lat},"user":"${u}"}`;
  },
  payment(r) {
    const order = `ORD-20240924-${100000 + r.int(900000)}`;
    const msg = r.pick(KO);
    const level = msg.includes('실패') ? 'error' : 'info';
    return `{"level":"${level}","ts":"${T.iso}.${T.us.slice(0, 3)}Z","msg":"${msg}","order_id":"${order}","amount":${(r.int(5000) + 1) * 100},"currency":"KRW","user":"${r.pick(USERS)}","latency_ms":${r.int(8000) / 10}}`;
  },
  java(r) {
    const head = `2024-09-24 ${T.hms}.${T.us.slice(0, 3)}`;
    if (r.int(40) !== 0) return `${head}  INFO 1 --- [nio-8080-exec-${r.int(10) + 1}] c.s.checkout.CheckoutController        : order ${r.int(100000)} placed total=${r.int(300)}.${r.int(90) + 10} user=${r.pick(USERS)}`;
    const lines = [`${head} ERROR 1 --- [nio-8080-exec-${r.int(10) + 1}] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception`, r.pick(EXCEPTIONS)];
    const n = 4 + r.int(JAVA_FRAMES.length - 4);
    for (let i = 0; i < n; i++) lines.push(JAVA_FRAMES[i]);
    lines.push(`\t... ${r.int(60) + 10} common frames omitted`);
    return lines;
  },
  // A Go service: JSON logs, and now and then a recovered panic with its goroutine dump.
  goApp(r) {
    if (r.int(300) !== 0) return gen.appJson(r);
    const lines = [`${T.iso.slice(0, 10).replaceAll('-', '/')} ${T.hms} http: panic serving ${r.pick(IPS)}:${30000 + r.int(30000)}: ${r.pick(GO_PANICS)}`, `goroutine ${r.int(90000) + 10} [running]:`];
    for (const [fn, at] of GO_FRAMES) lines.push(fn, `\t${at}`);
    lines.push(`created by net/http.(*Server).Serve in goroutine ${r.int(40) + 1}`, '\t/usr/local/go/src/net/http/server.go:3290 +0x4b4');
    return lines;
  },
  klog(r) {
    const x = r.int(12);
    const sev = x === 0 ? 'E' : x === 1 ? 'W' : 'I';
    const head = `${sev}${T.md} ${T.hms}.${T.us}       1 `;
    if (sev === 'E') return `${head}status.go:71] apiserver received an error that is not an metav1.Status: &errors.errorString{s:"http: Handler timeout"}: http: Handler timeout`;
    if (sev === 'W') return `${head}dispatcher.go:217] Failed calling webhook, failing open policy.example.io: failed calling webhook "policy.example.io": context deadline exceeded`;
    if (x < 6) return `${head}schedule_one.go:286] "Successfully bound pod to node" pod="shop/api-7d9f8b6c5-${k8sId(r, 5)}" node="node-0${r.int(4) + 1}" evaluatedNodes=4 feasibleNodes=4`;
    if (x < 9) return `${head}controller.go:${r.int(400) + 100}] "Finished syncing" kind="ReplicaSet" key="shop/api-7d9f8b6c5" duration="${r.int(40)}.${r.int(900) + 100}µs"`;
    return `${head}proxier.go:805] "SyncProxyRules complete" elapsed="${r.int(40)}.${r.int(900) + 100}ms"`;
  },
  coredns(r) {
    const nx = r.int(8) === 0;
    return `[INFO] ${r.pick(IPS)}:${30000 + r.int(30000)} - ${r.int(65535)} "A IN ${r.pick(['api', 'payment', 'cart', 'db', 'redis'])}.${nx ? 'shop.svc.cluster.local.shop' : 'shop'}.svc.cluster.local. udp 56 false 512" ${nx ? 'NXDOMAIN' : 'NOERROR'} qr,aa,rd ${r.int(100) + 90} 0.000${r.int(900) + 100}s`;
  },
  prometheus(r) {
    return r.int(4) === 0
      ? `ts=${T.iso}.${T.us.slice(0, 3)}Z caller=compact.go:523 level=info component=tsdb msg="write block" mint=${T.epoch - 7200}000 maxt=${T.epoch}000 ulid=01J8${r.hex(22).toUpperCase()} duration=${r.int(3000)}ms`
      : `ts=${T.iso}.${T.us.slice(0, 3)}Z caller=scrape.go:1384 level=warn component="scrape manager" scrape_pool=serviceMonitor/shop/api/0 target=http://10.244.${r.int(4)}.${r.int(250)}:9090/metrics msg="Append failed" err="out of bounds"`;
  },
  kubelet(r) {
    const x = r.int(20);
    const head = `${x === 0 ? 'E' : x < 3 ? 'W' : 'I'}${T.md} ${T.hms}.${T.us}    1234 `;
    if (x === 0) return `${head}pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"checkout\\" with CrashLoopBackOff: \\"back-off 5m0s restarting failed container=checkout\\"" pod="shop/checkout-6f8d7c9b4-${k8sId(r, 5)}"`;
    if (x < 3) return `${head}reflector.go:547] object-"shop"/"api-config": failed to list *v1.ConfigMap: configmaps "api-config" is forbidden`;
    if (x < 10) return `${head}scope.go:117] "RemoveContainer" containerID="${r.hex(64)}"`;
    return `${head}kubelet.go:2455] "SyncLoop (PLEG): event for pod" pod="shop/api-7d9f8b6c5-${k8sId(r, 5)}" event={"Type":"ContainerStarted","Data":"${r.hex(64)}"}`;
  },
  containerd(r) {
    return r.int(10) === 0
      ? `time="${T.iso}.${T.us}000Z" level=error msg="ContainerStatus for \\"${r.hex(64)}\\" failed" error="rpc error: code = NotFound desc = not found"`
      : `time="${T.iso}.${T.us}000Z" level=info msg="StartContainer for \\"${r.hex(64)}\\" returns successfully"`;
  },
  kernel(r) {
    return r.int(50) === 0
      ? `[${T.epoch - 1726000000}.${T.us}] Memory cgroup out of memory: Killed process ${r.int(90000)} (java) total-vm:4823412kB, anon-rss:2097152kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:5120kB oom_score_adj:985`
      : `[${T.epoch - 1726000000}.${T.us}] IPv6: ADDRCONF(NETDEV_CHANGE): cali${r.hex(11)}: link becomes ready`;
  },
};

/**
 * A long line of about `bytes` bytes (8–64 KiB). Runs of `a` and `x` are what hostile
 * patterns chew on: `(a+)+$` matches the lines whose run ends the line and makes a
 * backtracking engine explode on the others (`…aaaa"}`); `(x+x+)+y` likewise on runs of `x`
 * with and without a closing `y`. `k` (0–19) picks the kind; the caller cycles through all
 * twenty so that every kind shows up in any store with 20 long lines or more.
 */
function longLine(r, pools, bytes, k) {
  if (k < 6) {
    const at = r.int(pools.b64.length - bytes);
    return `{"level":"debug","ts":${T.epoch}.${T.us},"msg":"dump request body","path":"/api/v2/upload","body":"${pools.b64.slice(at, at + bytes)}"}`;
  }
  if (k < 9) return `{"level":"warn","ts":${T.epoch}.${T.us},"msg":"oversized header dropped","header":"X-Padding","value":"${pools.a.slice(0, bytes)}"}`;
  if (k < 11) return `multipart boundary not found, payload tail: ${pools.a.slice(0, bytes)}`;
  if (k < 14) return `card data redacted before logging: ${pools.x.slice(0, bytes)}`;
  if (k < 15) return `masked token=${pools.x.slice(0, bytes)}y`;
  if (k < 17) {
    const chars = Math.floor(bytes / 3);
    const at = r.int(pools.ko.length - chars);
    return `{"level":"info","ts":${T.epoch}.${T.us},"msg":"상품 설명 업데이트","description":"${pools.ko.slice(at, at + chars)}"}`;
  }
  const at = r.int(pools.ids.length - bytes);
  const from = pools.ids.indexOf(',', at) + 1;
  const to = pools.ids.lastIndexOf(',', from + bytes);
  return `slow query (${r.int(9000) + 1000} ms): SELECT id, user_id, status, total FROM orders WHERE id IN (${pools.ids.slice(from, to)}) ORDER BY created_at DESC`;
}

// ---- the store's shape -----------------------------------------------------------------
const K8S_ALNUM = 'bcdfghjklmnpqrstvwxz2456789'; // what Kubernetes uses for generated name suffixes
const k8sId = (r, n) => Array.from({ length: n }, () => K8S_ALNUM[r.int(K8S_ALNUM.length)]).join('');
const rs = (r) => `${r.int(9) + 5}${r.hex(8)}-${k8sId(r, 5)}`;
function layout(r) {
  const pods = (name, n) => Array.from({ length: n }, () => `${name}-${rs(r)}`);
  const src = (pods, container, g, weight) => pods.map((p) => ({ pod: p, container, g, weight: weight / pods.length }));
  const api = pods('api', 3);
  const gateway = pods('payment-gateway', 2);
  const targets = [
    { logType: 'pod', target: 'default', weight: 1, sources: [...src(pods('nginx', 2), 'nginx', gen.nginx, 2), ...src(pods('hello', 1), 'hello', gen.goApp, 1)] },
    { logType: 'pod', target: 'ingress-nginx', weight: 3, sources: src(pods('ingress-nginx-controller', 2), 'controller', gen.ingress, 1) },
    {
      logType: 'pod', target: 'kube-system', weight: 1.5,
      sources: [
        ...src(pods('coredns', 2), 'coredns', gen.coredns, 2),
        ...src(['kube-apiserver-cp-1'], 'kube-apiserver', gen.klog, 1.5),
        ...src(['kube-scheduler-cp-1'], 'kube-scheduler', gen.klog, 0.5),
        ...src(['kube-controller-manager-cp-1'], 'kube-controller-manager', gen.klog, 0.5),
        ...src(['kube-proxy-' + k8sId(r, 5)], 'kube-proxy', gen.klog, 1),
      ],
    },
    { logType: 'pod', target: 'monitoring', weight: 1, sources: src(['prometheus-k8s-0', 'prometheus-k8s-1'], 'prometheus', gen.prometheus, 1) },
    { logType: 'pod', target: 'payments', weight: 2, sources: [...src(gateway, 'app', gen.payment, 2), ...src(gateway, 'istio-proxy', gen.envoy, 1), ...src(pods('ledger', 1), 'app', gen.goApp, 1)] },
    {
      logType: 'pod', target: 'shop', weight: 3,
      sources: [...src(api, 'api', gen.appJson, 4), ...src(api, 'istio-proxy', gen.envoy, 2), ...src(pods('frontend', 2), 'nginx', gen.nginx, 2), ...src(pods('checkout', 2), 'checkout', gen.java, 2)],
    },
  ];
  for (const node of ['node-01', 'node-02', 'node-03', 'node-04']) {
    targets.push({
      logType: 'node', target: node, weight: 1,
      sources: [{ process: 'kubelet', g: gen.kubelet, weight: 5 }, { process: 'containerd', g: gen.containerd, weight: 3 }, { process: 'kernel', g: gen.kernel, weight: 1 }],
    });
  }
  for (const t of targets) {
    let acc = 0;
    const total = t.sources.reduce((n, s) => n + s.weight, 0);
    for (const s of t.sources) {
      s.label = t.logType === 'pod' ? `[${t.target}|${s.pod}|${s.container}] ` : `[${t.target}|${s.process}] `;
      s.cum = (acc += s.weight / total);
    }
  }
  return targets;
}

const p2 = (n) => (n < 10 ? '0' : '') + n;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function hourParts(h) {
  const d = new Date(START_MS + h * 3_600_000);
  const Y = d.getUTCFullYear();
  const M = d.getUTCMonth() + 1;
  const D = d.getUTCDate();
  const H = d.getUTCHours();
  return { Y, M, D, H, name: `${Y}-${p2(M)}-${p2(D)}_${p2(H)}.log`, date: `${Y}-${p2(M)}-${p2(D)}`, md: `${p2(M)}${p2(D)}`, nginxDate: `${p2(D)}/${MONTHS[M - 1]}/${Y}`, epoch: (START_MS / 1000) + h * 3600 };
}

function isoHour(h, suffix) {
  const p = hourParts(h);
  return `${p.date}T${p2(p.H)}:${suffix}`;
}

/**
 * Generates a store of exactly `sizeBytes` bytes under `out` (see the header). Returns (and
 * records in `<out>/.letheql-generated.json`) what a bench needs: the inclusive window
 * `start`/`end` covering every line (RFC 3339), file and line counts, and how many lines
 * carry {@link RARE_TOKEN}. `skipped` is true when a matching marker was found.
 */
export async function generateStore({ out, sizeBytes, seed = 1, log = () => {} }) {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new Error(`invalid sizeBytes ${sizeBytes}`);
  const root = resolve(out);
  const markerPath = join(root, MARKER);
  const params = { generator: GENERATOR, sizeBytes, seed };
  if (existsSync(markerPath)) {
    const prev = JSON.parse(readFileSync(markerPath, 'utf8'));
    if (prev.complete && prev.generator === GENERATOR && prev.sizeBytes === sizeBytes && prev.seed === seed) return { ...prev, skipped: true };
    rmSync(join(root, 'pod'), { recursive: true, force: true });
    rmSync(join(root, 'node'), { recursive: true, force: true });
  } else if (existsSync(root) && readdirSync(root).length > 0) {
    throw new Error(`refusing to generate into ${root}: not empty and not a generated store (no ${MARKER})`);
  }
  mkdirSync(root, { recursive: true });
  writeFileSync(markerPath, JSON.stringify({ ...params, complete: false }) + '\n');

  const t0 = performance.now();
  const r = makeRng(seed);
  const pools = makePools(r);
  const targets = layout(r);
  const hours = Math.min(24 * 14, Math.max(3, Math.ceil(sizeBytes / (targets.length * FILE_TARGET_BYTES))));
  const totalWeight = targets.reduce((n, t) => n + t.weight, 0);
  const nFiles = targets.length * hours;
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  let written = 0;
  let lines = 0;
  let rare = 0;
  let long = 0;
  let fileIndex = 0;
  let cumWeight = 0;

  for (const t of targets) {
    mkdirSync(join(root, t.logType, t.target), { recursive: true });
    const nano = t.logType === 'node';
    for (let h = 0; h < hours; h++) {
      fileIndex++;
      const last = fileIndex === nFiles;
      // Cumulative budgets: each file ends where the running total should be.
      const goal = last ? sizeBytes : Math.round((sizeBytes * (cumWeight + (t.weight * (h + 1)) / hours)) / totalWeight);
      const fileStart = written;
      const budget = Math.max(1, goal - fileStart);
      const hp = hourParts(h);
      const fd = openSync(join(root, t.logType, t.target, hp.name), 'w');
      let off = 0;
      const flush = () => {
        if (off > 0) writeSync(fd, buf, 0, off);
        off = 0;
      };
      T.md = hp.md;
      while (written < goal) {
        // Time advances with the file's progress, so lines are in order and fill the hour.
        const us = Math.floor(((written - fileStart) / budget) * 3_600_000_000);
        const sec = Math.floor(us / 1_000_000);
        const hms = `${p2(hp.H)}:${p2(Math.floor(sec / 60))}:${p2(sec % 60)}`;
        T.hms = hms;
        T.us = String(us % 1_000_000).padStart(6, '0');
        T.epoch = hp.epoch + sec;
        T.iso = `${hp.date}T${hms}`;
        T.nginx = `${hp.nginxDate}:${hms} +0000`;
        const ts = `${hp.date}T${hms}.${T.us}${nano ? String(r.int(1000)).padStart(3, '0') : ''}Z`;
        const x = r.float();
        const s = t.sources.find((c) => x < c.cum) ?? t.sources[t.sources.length - 1];
        let msg;
        let isLong = false;
        if (r.int(LONG_LINE_ODDS) === 0) {
          const longBytes = LONG_MIN_BYTES + r.int(LONG_MAX_BYTES - LONG_MIN_BYTES + 1);
          // Only in files big enough to hold a few: tiny stores keep their exact size.
          isLong = longBytes * 4 < budget;
          if (isLong) msg = longLine(r, pools, longBytes, long % 20);
        }
        msg ??= s.g(r);
        const msgs = typeof msg === 'string' ? [msg] : msg;
        const isRare = r.int(RARE_ODDS) === 0;
        if (isRare) msgs[0] += ` ${RARE_TOKEN}`;
        let text = '';
        for (const m of msgs) text += `${ts}${s.label}${m}\n`;
        if (off + text.length * 3 > BUF_SIZE) flush(); // never split an event across flushes
        const mark = off;
        const markWritten = written;
        const n = buf.write(text, off);
        off += n;
        if (!last && sizeBytes >= 1024 && markWritten + n > sizeBytes - 1000) {
          // Keep 1000 bytes for the last file, which lands the total exactly (tiny stores only).
          off = mark;
          break;
        }
        if (last && sizeBytes >= 1024 && sizeBytes - markWritten - n < 200) {
          // Near the end of the store: keep the total exact.
          const remaining = sizeBytes - markWritten;
          off = mark;
          if (remaining > 1000) continue; // too long a line for the space left: draw another
          const head = `${ts}${s.label}`;
          const filler = `${head}${'.'.repeat(Math.max(0, remaining - head.length - 1))}\n`;
          off += buf.write(filler, off);
          written = markWritten + Buffer.byteLength(filler);
          lines++;
          break;
        }
        written += n;
        lines += msgs.length;
        if (isRare) rare++;
        if (isLong) long++;
      }
      flush();
      closeSync(fd);
    }
    cumWeight += t.weight;
  }

  const info = {
    ...params,
    complete: true,
    out: root,
    bytes: written,
    files: nFiles,
    lines,
    rareLines: rare,
    rareToken: RARE_TOKEN,
    longLines: long,
    hours,
    namespaces: targets.filter((t) => t.logType === 'pod').map((t) => t.target),
    nodes: targets.filter((t) => t.logType === 'node').map((t) => t.target),
    start: isoHour(0, '00:00Z'),
    end: isoHour(hours - 1, '59:59.999999999Z'),
    elapsedMs: Math.round(performance.now() - t0),
  };
  writeFileSync(markerPath, JSON.stringify(info, null, 2) + '\n');
  log(`generated ${(written / 2 ** 20).toFixed(1)} MiB in ${info.elapsedMs} ms (${(written / 2 ** 20 / (info.elapsedMs / 1000)).toFixed(0)} MiB/s): ${nFiles} files, ${lines} lines, ${long} long, ${rare} with ${RARE_TOKEN}`);
  return { ...info, skipped: false };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, size: { type: 'string', default: '1GiB' }, seed: { type: 'string', default: '1' } } });
  const sizeBytes = parseSize(values.size);
  const out = values.out ?? fileURLToPath(new URL(`../../bench/data/store-${values.size}`, import.meta.url));
  const info = await generateStore({ out, sizeBytes, seed: Number(values.seed), log: console.log });
  if (info.skipped) console.log(`${out}: already generated (size ${values.size}, seed ${values.seed}); nothing to do`);
}
