#!/usr/bin/env node
// A seeded, fast generator of realistic Lethe stores for benchmarks and memory checks.
//
//   node bench/generate.mjs --out bench/data/store-256m --size 256MB [--seed 1]
//   import { generateStore, parseSize } from './generate.mjs';
//   const info = await generateStore({ out, sizeBytes: parseSize('1GiB'), seed: 1 });
//
// What it writes: `<out>/pod/<ns>/YYYY-MM-DD_HH.log` for six namespaces and
// `<out>/node/<node>/…` for four nodes, over consecutive UTC hours from 2024-09-24T00:00Z
// (about 1 MiB per file: 3 hours minimum, 26 hours for 256 MiB, 103 for 1 GiB). The mix:
// ingress-nginx and nginx access logs (GET/POST/PUT/DELETE, 2xx–5xx, healthz probes), JSON
// app logs (zap style, some errors with fields), Java stack traces (one Lethe line per stack
// line, same timestamp), Korean text, klog from control-plane components and kubelet,
// coredns, Prometheus logfmt, containerd/kernel lines, and long lines of 10–100 KB (about one
// in 4,000 lines). About one line in 100,000 carries the rare token `trace_id=RARE-7f3a`.
// Pod timestamps have 6 fraction digits, node timestamps 9; lines within a file are in time
// order.
//
// Guarantees:
// - Deterministic: the bytes are a pure function of (sizeBytes, seed) and this file's
//   GENERATOR version. No clock, no Math.random.
// - Exact size: the files add up to exactly `sizeBytes` (for sizeBytes ≥ 1 KiB); the last
//   file ends with one filler line if needed.
// - Idempotent: `<out>/.letheql-generated.json` records the parameters; a second call with
//   the same ones returns the recorded info without writing. A directory that is not empty
//   and has no marker is never overwritten.
// - Fast: lines are encoded straight into a 16 MiB buffer written with one syscall per fill.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const GENERATOR = 'letheql-bench-generate/1';
export const MARKER = '.letheql-generated.json';
export const RARE_TOKEN = 'trace_id=RARE-7f3a';

const START_MS = Date.UTC(2024, 8, 24, 0); // 2024-09-24T00:00:00Z
const FILE_TARGET_BYTES = 1 << 20;
const BUF_SIZE = 16 << 20;

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

// ---- randomness: xorshift128+ would be overkill; xorshift32 is fast and good enough ------
const HEX_POOL_SIZE = 1 << 20;

function makeRng(seed) {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < 16; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; } // warm up
  const u32 = () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return x >>> 0;
  };
  const hexParts = [];
  for (let i = 0; i < HEX_POOL_SIZE / 8; i++) hexParts.push(u32().toString(16).padStart(8, '0'));
  const hexPool = hexParts.join('');
  const r = {
    u32,
    float: () => u32() / 4294967296,
    int: (n) => Math.floor((u32() / 4294967296) * n), // [0, n)
    pick: (xs) => xs[Math.floor((u32() / 4294967296) * xs.length)],
    // Hex ids are slices of a 1 MiB pool drawn once from the same stream: ~10× faster than
    // formatting fresh words, and ids stay distinct enough for logs.
    hex: (n) => {
      const at = Math.floor((u32() / 4294967296) * (HEX_POOL_SIZE - n));
      return hexPool.slice(at, at + n);
    },
  };
  return r;
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
const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];
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
const ERRORS = ['pq: deadlock detected', 'context deadline exceeded', 'dial tcp 10.96.44.7:5432: connect: connection refused', 'redis: connection pool timeout', 'EOF', 'x509: certificate has expired or is not yet valid'];
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
/** 192 KiB of base64-looking text; long lines slice it. */
function makeBlob(r) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const parts = [];
  for (let i = 0; i < 192 * 1024; i++) parts.push(alphabet[r.u32() & 63]);
  return parts.join('');
}

function apiPath(r) {
  const id = r.int(99999);
  switch (r.int(9)) {
    case 0: return `/api/v1/users/${id}`;
    case 1: return `/api/v1/users/${id}/orders`;
    case 2: return `/api/v1/user/${id}/cart`;
    case 3: return `/api/v1/products?page=${r.int(50) + 1}&size=20`;
    case 4: return `/api/v1/products/${r.int(5000)}`;
    case 5: return '/api/v1/cart';
    case 6: return '/api/v1/checkout';
    case 7: return `/static/js/main.${r.hex(6)}.js`;
    default: return '/healthz';
  }
}

// ---- per-line context: the time parts of the current line, set by the writer -------------
// `T.hms` "13:04:05", `T.us` 6-digit fraction, `T.epoch` Unix seconds, `T.md` "0924",
// `T.nginx` "24/Sep/2024:13:04:05 +0000", `T.iso` "2024-09-24T13:04:05".
const T = { hms: '', us: '', epoch: 0, md: '', nginx: '', iso: '' };

// ---- message generators: (r) => string | string[] (several lines, one timestamp) ----------
const gen = {
  ingress(r) {
    const status = r.pick(STATUSES);
    const path = apiPath(r);
    const method = path === '/healthz' ? 'GET' : r.pick(METHODS);
    const rt = (r.int(2000) / 1000).toFixed(3);
    return `${r.pick(IPS)} - - [${T.nginx}] "${method} ${path} HTTP/1.1" ${status} ${r.int(90000) + 1} "-" "${path === '/healthz' ? 'kube-probe/1.30' : r.pick(UAS)}" ${r.int(900) + 100} ${rt} [shop-api-8080] [] 10.244.${r.int(4)}.${r.int(250) + 2}:8080 ${r.int(90000)} ${rt} ${status} ${r.hex(32)}`;
  },
  nginx(r) {
    const status = r.pick(STATUSES);
    const path = r.int(5) === 0 ? '/healthz' : apiPath(r);
    return `${r.pick(IPS)} - - [${T.nginx}] "${path === '/healthz' ? 'GET' : r.pick(METHODS)} ${path} HTTP/1.1" ${status} ${r.int(50000) + 1} "-" "${path === '/healthz' ? 'kube-probe/1.30' : r.pick(UAS)}"`;
  },
  appJson(r) {
    const u = r.pick(USERS);
    const x = r.int(100);
    if (x < 4) {
      return `{"level":"error","ts":${T.epoch}.${T.us},"caller":"handler/orders.go:131","msg":"request failed","method":"${r.pick(METHODS)}","path":"${apiPath(r)}","status":${r.pick([500, 502, 503])},"user":"${u}","error":"${r.pick(ERRORS)}","retry":${r.int(4)}}`;
    }
    if (x < 12) return `{"level":"warn","ts":${T.epoch}.${T.us},"caller":"middleware/ratelimit.go:58","msg":"rate limit near","user":"${u}","remaining":${r.int(5) + 1}}`;
    if (x < 20) return `{"level":"debug","ts":${T.epoch}.${T.us},"caller":"cache/lru.go:77","msg":"cache miss","key":"user:${u}:profile"}`;
    return `{"level":"info","ts":${T.epoch}.${T.us},"caller":"handler/users.go:88","msg":"request served","method":"${r.pick(METHODS)}","path":"${apiPath(r)}","status":${r.pick(STATUSES)},"duration_ms":${r.int(3000) / 10},"user":"${u}"}`;
  },
  payment(r) {
    const order = `ORD-20240924-${100000 + r.int(900000)}`;
    const msg = r.pick(KO);
    const level = msg.includes('실패') ? 'error' : 'info';
    return `{"level":"${level}","ts":"${T.iso}.${T.us.slice(0, 3)}Z","msg":"${msg}","order_id":"${order}","amount":${(r.int(5000) + 1) * 100},"currency":"KRW","user":"${r.pick(USERS)}"}`;
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
  klog(r) {
    const x = r.int(10);
    const sev = x === 0 ? 'E' : x === 1 ? 'W' : 'I';
    const head = `${sev}${T.md} ${T.hms}.${T.us}       1 `;
    if (sev === 'E') return `${head}status.go:71] apiserver received an error that is not an metav1.Status: &errors.errorString{s:"http: Handler timeout"}: http: Handler timeout`;
    if (sev === 'W') return `${head}dispatcher.go:217] Failed calling webhook, failing open policy.example.io: failed calling webhook "policy.example.io": context deadline exceeded`;
    return x < 6
      ? `${head}schedule_one.go:286] "Successfully bound pod to node" pod="shop/api-7d9f8b6c5-${k8sId(r, 5)}" node="node-0${r.int(4) + 1}" evaluatedNodes=4 feasibleNodes=4`
      : `${head}proxier.go:805] "SyncProxyRules complete" elapsed="${r.int(40)}.${r.int(900) + 100}ms"`;
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

// ---- the store's shape -----------------------------------------------------------------
const K8S_ALNUM = 'bcdfghjklmnpqrstvwxz2456789'; // what Kubernetes uses for generated name suffixes
const k8sId = (r, n) => Array.from({ length: n }, () => K8S_ALNUM[r.int(K8S_ALNUM.length)]).join('');
const rs = (r) => `${r.int(9) + 5}${r.hex(8)}-${k8sId(r, 5)}`;
function layout(r) {
  const pods = (name, n) => Array.from({ length: n }, () => `${name}-${rs(r)}`);
  const src = (pods, container, g, weight) => pods.map((p) => ({ pod: p, container, g, weight: weight / pods.length }));
  const api = pods('api', 3);
  const targets = [
    { logType: 'pod', target: 'default', weight: 1, sources: [...src(pods('nginx', 2), 'nginx', gen.nginx, 2), ...src(pods('hello', 1), 'hello', gen.appJson, 1)] },
    { logType: 'pod', target: 'ingress-nginx', weight: 3, sources: src(pods('ingress-nginx-controller', 2), 'controller', gen.ingress, 1) },
    {
      logType: 'pod', target: 'kube-system', weight: 1.5,
      sources: [...src(pods('coredns', 2), 'coredns', gen.coredns, 2), ...src(['kube-apiserver-cp-1'], 'kube-apiserver', gen.klog, 1.5), ...src(['kube-scheduler-cp-1'], 'kube-scheduler', gen.klog, 0.5), ...src(['kube-proxy-' + k8sId(r, 5)], 'kube-proxy', gen.klog, 1)],
    },
    { logType: 'pod', target: 'monitoring', weight: 1, sources: src(['prometheus-k8s-0', 'prometheus-k8s-1'], 'prometheus', gen.prometheus, 1) },
    { logType: 'pod', target: 'payments', weight: 2, sources: [...src(pods('payment-gateway', 2), 'app', gen.payment, 2), ...src(pods('ledger', 1), 'app', gen.appJson, 1)] },
    {
      logType: 'pod', target: 'shop', weight: 3,
      sources: [...src(api, 'api', gen.appJson, 4), ...src(api, 'istio-proxy', gen.ingress, 2), ...src(pods('frontend', 2), 'nginx', gen.nginx, 2), ...src(pods('checkout', 2), 'checkout', gen.java, 2)],
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
  const blob = makeBlob(r);
  const targets = layout(r);
  const hours = Math.min(24 * 14, Math.max(3, Math.ceil(sizeBytes / (targets.length * FILE_TARGET_BYTES))));
  const totalWeight = targets.reduce((n, t) => n + t.weight, 0);
  const nFiles = targets.length * hours;
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  let written = 0;
  let lines = 0;
  let rare = 0;
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
        const len = 10_000 + r.int(90_000);
        if (r.int(4000) === 0 && len * 4 < budget) {
          // A long line (10–100 KB), only in files big enough to hold it.
          const at = r.int(blob.length - len);
          msg = `{"level":"debug","ts":${T.epoch}.${T.us},"msg":"dump request body","body":"${blob.slice(at, at + len)}"}`;
        } else {
          msg = s.g(r);
        }
        const msgs = typeof msg === 'string' ? [msg] : msg;
        if (r.int(100_000) === 0) {
          msgs[0] += ` ${RARE_TOKEN}`;
        }
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
        if (msgs[0].endsWith(RARE_TOKEN)) rare++;
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
    hours,
    namespaces: targets.filter((t) => t.logType === 'pod').map((t) => t.target),
    nodes: targets.filter((t) => t.logType === 'node').map((t) => t.target),
    start: isoHour(0, '00:00Z'),
    end: isoHour(hours - 1, '59:59.999999999Z'),
    elapsedMs: Math.round(performance.now() - t0),
  };
  writeFileSync(markerPath, JSON.stringify(info, null, 2) + '\n');
  log(`generated ${(written / 2 ** 20).toFixed(1)} MiB in ${info.elapsedMs} ms (${(written / 2 ** 20 / (info.elapsedMs / 1000)).toFixed(0)} MiB/s): ${nFiles} files, ${lines} lines, ${rare} with ${RARE_TOKEN}`);
  return { ...info, skipped: false };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, size: { type: 'string', default: '256MiB' }, seed: { type: 'string', default: '1' } } });
  const sizeBytes = parseSize(values.size);
  const out = values.out ?? fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
  const info = await generateStore({ out, sizeBytes, seed: Number(values.seed), log: console.log });
  if (info.skipped) console.log(`${out}: already generated (size ${values.size}, seed ${values.seed}); nothing to do`);
}
