#!/usr/bin/env node
// Writes the committed fixture stores, deterministically:
//
//   fixtures/store/        a small, realistic Lethe store (3 namespaces, 2 nodes, 3 UTC hours
//                          2024-09-24 13:00–15:59Z): ingress/nginx and Envoy access logs,
//                          JSON app logs, a Java stack trace (one Lethe line per stack line),
//                          klog from control-plane components and kubelet, containerd/dockerd/
//                          kernel lines, Korean text, CRLF lines, 0/6/9 fraction digits and
//                          one file written with +09:00 offsets.
//   fixtures/edge-store/   a tiny store of deliberately bad things (see fixtures/README.md).
//   fixtures/store-facts.json  counts computed from the bytes written, for tests.
//
// Every file draws from its own PRNG stream (seed ⊕ hash of its path), so the output is a
// pure function of this script: running it again reproduces the same bytes, and editing
// one target's generator does not reshuffle the others.
//
// Usage: node scripts/make-fixture-store.mjs [--seed 20240924] [--out DIR]
//   --out writes store/, edge-store/ and store-facts.json under DIR instead of fixtures/
//   (the tests regenerate into a temporary directory and compare with the committed bytes).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from './lib/prng.mjs';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '20240924' }, out: { type: 'string' } } });
const SEED = Number(values.seed) >>> 0;
const FIXTURES = values.out ?? fileURLToPath(new URL('../fixtures/', import.meta.url));

// ---- deterministic randomness ------------------------------------------------------------
function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
/** A PRNG with helpers, seeded from the script seed and a stream name. */
function stream(name) {
  const r = mulberry32(SEED ^ fnv1a(name));
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  return {
    r,
    int,
    pick: (xs) => xs[Math.floor(r() * xs.length)],
    chance: (p) => r() < p,
    hex: (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join(''),
    alnum: (n) => Array.from({ length: n }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(r() * 27)]).join(''),
  };
}

// ---- time --------------------------------------------------------------------------------
const DATE = { y: 2024, m: 9, d: 24 };
const HOURS = [13, 14, 15];
const SEC = 1_000_000_000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const p2 = (n) => String(n).padStart(2, '0');

/**
 * RFC 3339 for `off` ns into hour `h` of DATE, with `digits` fraction digits (truncated) and
 * a UTC offset in minutes (0 → `Z`). Offsets only push the wall clock forward here (+09:00),
 * so a day rollover is at most one day.
 */
function rfc3339(h, off, digits, tzMin = 0) {
  const total = Math.floor(off / SEC) + h * 3600 + tzMin * 60;
  const day = DATE.d + Math.floor(total / 86400);
  const s = total % 86400;
  const frac = digits > 0 ? '.' + String(off % SEC).padStart(9, '0').slice(0, digits) : '';
  const zone = tzMin === 0 ? 'Z' : `${tzMin > 0 ? '+' : '-'}${p2(Math.floor(Math.abs(tzMin) / 60))}:${p2(Math.abs(tzMin) % 60)}`;
  return `${DATE.y}-${p2(DATE.m)}-${p2(day)}T${p2(Math.floor(s / 3600))}:${p2(Math.floor(s / 60) % 60)}:${p2(s % 60)}${frac}${zone}`;
}
/** klog header time `0924 13:00:01.123456`. */
const klogTime = (h, off) => `${p2(DATE.m)}${p2(DATE.d)} ${p2(h)}:${p2(Math.floor(off / MIN))}:${p2(Math.floor(off / SEC) % 60)}.${String(off % SEC).padStart(9, '0').slice(0, 6)}`;
/** nginx `[24/Sep/2024:13:00:01 +0000]`. */
const nginxTime = (h, off) => `[${DATE.d}/Sep/${DATE.y}:${p2(h)}:${p2(Math.floor(off / MIN))}:${p2(Math.floor(off / SEC) % 60)} +0000]`;
/** Unix seconds with microseconds, as zap writes `ts`. */
const unixTs = (h, off) => {
  const base = Date.UTC(DATE.y, DATE.m - 1, DATE.d, h) / 1000 + Math.floor(off / SEC);
  return `${base}.${String(off % SEC).padStart(9, '0').slice(0, 6)}`;
};

// ---- vocabulary --------------------------------------------------------------------------
const CLIENT_IPS = ['203.0.113.7', '203.0.113.42', '198.51.100.23', '198.51.100.201', '192.0.2.15', '192.0.2.88', '203.0.113.150', '10.244.1.17', '10.244.2.31'];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'Go-http-client/1.1',
];
const USERS = ['u-1001', 'u-1042', 'u-2077', 'u-3141', 'u-4242', 'u-5150'];
const STATUS = [200, 200, 200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 404, 429, 500, 502, 503];

function apiRequest(g) {
  const id = g.int(1, 9999);
  const method = g.pick(['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE']);
  const path = g.pick([
    `/api/v1/users/${id}`,
    `/api/v1/users/${id}/orders`,
    `/api/v1/user/${id}/cart`,
    `/api/v1/products?page=${g.int(1, 20)}&size=20`,
    `/api/v1/products/${g.int(100, 999)}`,
    '/api/v1/cart',
    '/api/v1/checkout',
    '/static/js/main.4f2a9c.js',
    '/favicon.ico',
  ]);
  return { method, path, status: g.pick(STATUS) };
}
/** Response bytes, never exactly 500 so that ` 500 ` only ever means a status. */
const bodyBytes = (g, status) => (status === 204 || status === 304 ? 0 : g.pick([612, 1432, 2301, 8734, 153, 48211, 97, 3120]) + g.int(0, 99));

function nginxLine(g, h, off, req, ua = g.pick(UAS), ip = g.pick(CLIENT_IPS)) {
  const probe = req.path === '/healthz';
  const rt = probe ? '0.000' : (g.int(1, 900) / 1000).toFixed(3);
  return `${ip} - - ${nginxTime(h, off)} "${req.method} ${req.path} HTTP/1.1" ${req.status} ${probe ? 2 : bodyBytes(g, req.status)} "-" "${ua}" ${rt}`;
}
function envoyLine(g, h, off, req) {
  const ms = Math.floor(off / 1_000_000) % 1000;
  const t = `${rfc3339(h, off - (off % SEC), 0).replace('Z', '')}.${String(ms).padStart(3, '0')}Z`;
  const flags = req.status >= 500 ? 'UF' : '-';
  const uuid = `${g.hex(8)}-${g.hex(4)}-4${g.hex(3)}-a${g.hex(3)}-${g.hex(12)}`;
  return `[${t}] "${req.method} ${req.path} HTTP/1.1" ${req.status} ${flags} via_upstream - "-" ${req.method === 'GET' ? 0 : g.int(40, 900)} ${bodyBytes(g, req.status)} ${g.int(1, 300)} ${g.int(1, 290)} "${g.pick(CLIENT_IPS)}" "${g.pick(UAS)}" "${uuid}" "api.shop.svc.cluster.local:8080" "10.244.2.31:8080" inbound|8080|| 127.0.0.6:${g.int(30000, 60000)} 10.244.2.31:8080 10.244.1.17:${g.int(30000, 60000)} outbound_.8080_._.api.shop.svc.cluster.local default`;
}

// ---- event model -------------------------------------------------------------------------
// A file is a list of events { off, labels: string[], msg, eol? } sorted by `off` (stable, so
// a stack trace's lines keep their order under one timestamp).
function uniformOffs(g, n) {
  return Array.from({ length: n }, () => g.int(0, HOUR - 1));
}

const POD = {
  default: {
    nginx: ['nginx-7c5ddbdf54-8xkqz', 'nginx-7c5ddbdf54-q9wvt'],
    hello: 'hello-6d9f8c7b5-ws2lp',
    win: 'win-agent-5f7d9c8b6-q4zxv',
  },
  shop: {
    api: ['api-7d9f8b6c5-x2k4p', 'api-7d9f8b6c5-m8n3r'],
    frontend: 'frontend-84c6b7f9d-t5vzh',
    checkout: 'checkout-6f8d7c9b4-j7wqs',
    payment: 'payment-5b7c8d9f6-h3kdp',
  },
};

function defaultEvents(g, h) {
  const ev = [];
  // kube-probe every 2 minutes on each nginx replica, at a fixed phase per replica.
  POD.default.nginx.forEach((pod, i) => {
    for (let t = (17 + i * 41) * SEC; t < HOUR; t += 2 * MIN) {
      ev.push({ off: t, labels: [pod, 'nginx'], msg: nginxLine(g, h, t, { method: 'GET', path: '/healthz', status: 200 }, 'kube-probe/1.30', '10.244.1.1') });
    }
  });
  for (const off of uniformOffs(g, 24)) {
    const req = g.pick([
      { method: 'GET', path: '/', status: 200 },
      { method: 'GET', path: '/index.html', status: 200 },
      { method: 'GET', path: '/robots.txt', status: 404 },
      { method: 'GET', path: '/wp-login.php', status: 404 },
      { method: 'POST', path: '/contact', status: g.pick([200, 200, 400, 502]) },
      { method: 'GET', path: `/images/banner-${g.int(1, 9)}.webp`, status: g.pick([200, 304]) },
    ]);
    ev.push({ off, labels: [g.pick(POD.default.nginx), 'nginx'], msg: nginxLine(g, h, off, req) });
  }
  for (const off of uniformOffs(g, 14)) {
    const level = g.pick(['info', 'info', 'info', 'debug', 'warn']);
    const msg =
      level === 'warn'
        ? `{"level":"warn","ts":${unixTs(h, off)},"caller":"server/server.go:77","msg":"slow request","path":"/hello","duration_ms":${g.int(800, 2400)}}`
        : `{"level":"${level}","ts":${unixTs(h, off)},"caller":"server/server.go:52","msg":"hello served","user":"${g.pick(USERS)}","greeting":"${g.pick(['hello world', 'hi there', '안녕하세요'])}"}`;
    ev.push({ off, labels: [POD.default.hello, 'hello'], msg });
  }
  if (h === 13) {
    // A Windows agent writes CRLF line endings: two lines end with "\r\n".
    ev.push({ off: 21 * MIN + 5 * SEC, labels: [POD.default.win, 'agent'], msg: 'Agent started (build 2024.09.1) on WIN-NODE-01', eol: '\r\n' });
    ev.push({ off: 21 * MIN + 6 * SEC, labels: [POD.default.win, 'agent'], msg: 'Heartbeat OK: 3 checks passed', eol: '\r\n' });
  }
  return ev;
}

function kubeSystemEvents(g, h) {
  const ev = [];
  const k = (sev, off, pid, src, text) => `${sev}${klogTime(h, off)} ${String(pid).padStart(7, ' ')} ${src}] ${text}`;
  for (const off of uniformOffs(g, 22)) {
    const pod = g.pick(['coredns-5d78c9869d-7rbnh', 'coredns-5d78c9869d-zq2xt']);
    const name = g.pick(['api.shop.svc.cluster.local.', 'payment.shop.svc.cluster.local.', 'kubernetes.default.svc.cluster.local.', 'db.shop.svc.cluster.local.', 'api.shop.svc.cluster.local.shop.svc.cluster.local.']);
    const nx = name.endsWith('shop.svc.cluster.local.shop.svc.cluster.local.');
    ev.push({
      off,
      labels: [pod, 'coredns'],
      msg: `[INFO] 10.244.${g.int(1, 2)}.${g.int(2, 60)}:${g.int(30000, 60000)} - ${g.int(1, 65535)} "${g.pick(['A', 'AAAA'])} IN ${name} udp ${g.int(40, 90)} false 512" ${nx ? 'NXDOMAIN' : 'NOERROR'} qr,aa,rd ${g.int(90, 200)} 0.000${g.int(100, 999)}s`,
    });
  }
  for (const off of uniformOffs(g, 12)) {
    const r = g.r();
    const msg =
      r < 0.5
        ? k('I', off, 1, 'trace.go:236', `Trace[${g.int(100000000, 999999999)}]: "List" accept:application/json, */*,audit-id:${g.hex(8)}-${g.hex(4)},client:10.244.0.1,api-group:,api-version:v1,name:,subresource:,namespace:shop,protocol:HTTP/2.0,resource:pods,scope:namespace,url:/api/v1/namespaces/shop/pods,user-agent:kubectl/v1.30.4 (linux/amd64) kubernetes/2a4e1c9,verb:LIST (24-Sep-2024 ${p2(h)}:${p2(Math.floor(off / MIN))}:00.000) (total time: ${g.int(500, 1500)}ms):`)
        : r < 0.75
          ? k('I', off, 1, 'alloc.go:330', `"allocated clusterIPs" service="shop/api" clusterIPs={"IPv4":"10.96.12.34"}`)
          : r < 0.9
            ? k('W', off, 1, 'dispatcher.go:217', `Failed calling webhook, failing open policy.example.io: failed calling webhook "policy.example.io": context deadline exceeded`)
            : k('E', off, 1, 'status.go:71', `apiserver received an error that is not an metav1.Status: &errors.errorString{s:"http: Handler timeout"}: http: Handler timeout`);
    ev.push({ off, labels: ['kube-apiserver-cp-1', 'kube-apiserver'], msg });
  }
  for (const off of uniformOffs(g, 8)) {
    const pod = g.pick([...POD.shop.api, POD.shop.checkout, POD.shop.payment, POD.shop.frontend]);
    ev.push({ off, labels: ['kube-scheduler-cp-1', 'kube-scheduler'], msg: k('I', off, 1, 'schedule_one.go:286', `"Successfully bound pod to node" pod="shop/${pod}" node="${g.pick(['node-a', 'node-b'])}" evaluatedNodes=2 feasibleNodes=2`) });
  }
  for (const off of uniformOffs(g, 8)) {
    const msg = g.chance(0.75)
      ? k('I', off, 1, 'event.go:307', `"Event occurred" object="shop/api" fieldPath="" kind="Deployment" apiVersion="apps/v1" type="Normal" reason="ScalingReplicaSet" message="Scaled up replica set api-7d9f8b6c5 to ${g.int(2, 4)}"`)
      : k('E', off, 1, 'replica_set.go:545', `sync "shop/checkout-6f8d7c9b4" failed with pods "checkout-6f8d7c9b4-" is forbidden: exceeded quota: shop-quota, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi`);
    ev.push({ off, labels: ['kube-controller-manager-cp-1', 'kube-controller-manager'], msg });
  }
  for (const off of uniformOffs(g, 10)) {
    ev.push({ off, labels: [g.pick(['kube-proxy-8mxwz', 'kube-proxy-t2lqd']), 'kube-proxy'], msg: k('I', off, 1, 'proxier.go:805', `"SyncProxyRules complete" elapsed="${g.int(5, 40)}.${g.int(100, 999)}ms"`) });
  }
  for (const off of uniformOffs(g, 8)) {
    const msg = g.chance(0.7)
      ? `{"level":"info","ts":"${rfc3339(h, off, 6)}","caller":"mvcc/index.go:214","msg":"compact tree index","revision":${g.int(1200000, 1300000)}}`
      : `{"level":"warn","ts":"${rfc3339(h, off, 6)}","caller":"etcdserver/util.go:170","msg":"apply request took too long","took":"${g.int(100, 900)}.${g.int(100, 999)}ms","expected-duration":"100ms","prefix":"read-only range ","request":"key:\\"/registry/pods/shop/\\" range_end:\\"/registry/pods/shop0\\" ","response":"range_response_count:${g.int(5, 12)} size:${g.int(10000, 90000)}"}`;
    ev.push({ off, labels: ['etcd-cp-1', 'etcd'], msg });
  }
  return ev;
}

const JAVA_TRACE = [
  'java.lang.NullPointerException: Cannot invoke "com.shop.checkout.Cart.getItems()" because "cart" is null',
  '\tat com.shop.checkout.CheckoutService.total(CheckoutService.java:87)',
  '\tat com.shop.checkout.CheckoutService.placeOrder(CheckoutService.java:54)',
  '\tat com.shop.checkout.CheckoutController.checkout(CheckoutController.java:42)',
  '\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
  '\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)',
  '\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)',
  '\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)',
  '\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:138)',
  '\tat org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)',
  '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
  'Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=3)',
  '\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)',
  '\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)',
  '\t... 52 common frames omitted',
];

function shopEvents(g, h) {
  const ev = [];
  // An hourly job logs exactly at the top of the hour: a line stamped HH:00:00.000000.
  ev.push({ off: 0, labels: [POD.shop.api[0], 'api'], msg: `{"level":"info","ts":${unixTs(h, 0)},"caller":"cron/report.go:31","msg":"hourly report started","job":"sales-report","hour":"${p2(h)}:00"}` });
  for (const off of uniformOffs(g, 45)) {
    ev.push({ off, labels: [POD.shop.frontend, 'nginx'], msg: nginxLine(g, h, off, apiRequest(g)) });
  }
  for (const off of uniformOffs(g, 40)) {
    const pod = g.pick(POD.shop.api);
    ev.push({ off, labels: [pod, 'istio-proxy'], msg: envoyLine(g, h, off, apiRequest(g)) });
  }
  for (const off of uniformOffs(g, 50)) {
    const pod = g.pick(POD.shop.api);
    const user = g.pick(USERS);
    const req = apiRequest(g);
    let msg;
    if (req.status >= 500) {
      msg = `{"level":"error","ts":${unixTs(h, off)},"caller":"handler/orders.go:131","msg":"request failed","method":"${req.method}","path":"${req.path}","status":${req.status},"user":"${user}","error":"${g.pick(['pq: deadlock detected', 'context deadline exceeded', 'dial tcp 10.96.44.7:5432: connect: connection refused'])}","retry":${g.int(0, 3)}}`;
    } else if (g.chance(0.1)) {
      msg = `{"level":"warn","ts":${unixTs(h, off)},"caller":"middleware/ratelimit.go:58","msg":"rate limit near","user":"${user}","remaining":${g.int(1, 5)}}`;
    } else {
      msg = `{"level":"info","ts":${unixTs(h, off)},"caller":"handler/users.go:88","msg":"request served","method":"${req.method}","path":"${req.path}","status":${req.status},"duration_ms":${g.int(1, 300)}.${g.int(0, 9)},"user":"${user}"}`;
    }
    ev.push({ off, labels: [pod, 'api'], msg });
  }
  const jt = (off) => `${DATE.y}-${p2(DATE.m)}-${p2(DATE.d)} ${p2(h)}:${p2(Math.floor(off / MIN))}:${p2(Math.floor(off / SEC) % 60)}.${String(Math.floor((off % SEC) / 1e6)).padStart(3, '0')}`;
  for (const off of uniformOffs(g, 14)) {
    const msg = g.chance(0.8)
      ? `${jt(off)}  INFO 1 --- [nio-8080-exec-${g.int(1, 10)}] c.s.checkout.CheckoutController        : order ${g.int(8000, 9999)} placed total=${g.int(10, 300)}.${p2(g.int(0, 99))} user=${g.pick(USERS)}`
      : `${jt(off)}  WARN 1 --- [nio-8080-exec-${g.int(1, 10)}] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m2s).`;
    ev.push({ off, labels: [POD.shop.checkout, 'checkout'], msg });
  }
  // One Java exception per hour: a header line then one Lethe line per stack line, all
  // with the same timestamp (that is how a container runtime splits them).
  const exOff = g.int(10, 50) * MIN + g.int(0, SEC * 59);
  ev.push({ off: exOff, labels: [POD.shop.checkout, 'checkout'], msg: `${jt(exOff)} ERROR 1 --- [nio-8080-exec-7] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception` });
  for (const line of JAVA_TRACE) ev.push({ off: exOff, labels: [POD.shop.checkout, 'checkout'], msg: line });
  for (const off of uniformOffs(g, 14)) {
    const order = `ORD-20240924-${g.int(1000, 9999)}`;
    const r = g.r();
    const msg =
      r < 0.6
        ? `{"level":"info","ts":"${rfc3339(h, off, 3)}","msg":"결제 승인 완료","order_id":"${order}","amount":${g.int(10, 500) * 100},"currency":"KRW"}`
        : r < 0.8
          ? `{"level":"info","ts":"${rfc3339(h, off, 3)}","msg":"주문이 완료되었습니다","order_id":"${order}","user":"${g.pick(USERS)}"}`
          : `{"level":"error","ts":"${rfc3339(h, off, 3)}","msg":"결제 실패: 카드 한도 초과","order_id":"${order}","code":"CARD_LIMIT_EXCEEDED","pg":"toss"}`;
    ev.push({ off, labels: [POD.shop.payment, 'payment'], msg });
  }
  return ev;
}

function nodeEvents(g, h, node) {
  const ev = [];
  const pid = node === 'node-a' ? 1234 : 987;
  const k = (sev, off, src, text) => `${sev}${klogTime(h, off)} ${String(pid).padStart(7, ' ')} ${src}] ${text}`;
  const cid = () => g.hex(64);
  for (const off of uniformOffs(g, 22)) {
    const r = g.r();
    const pod = g.pick([...POD.shop.api, POD.shop.frontend, POD.default.hello]);
    const ns = pod === POD.default.hello ? 'default' : 'shop';
    const msg =
      r < 0.35
        ? k('I', off, 'scope.go:117', `"RemoveContainer" containerID="${cid()}"`)
        : r < 0.65
          ? k('I', off, 'kubelet.go:2455', `"SyncLoop (PLEG): event for pod" pod="${ns}/${pod}" event={"ID":"${g.hex(8)}-${g.hex(4)}-${g.hex(4)}-${g.hex(4)}-${g.hex(12)}","Type":"ContainerStarted","Data":"${g.hex(64)}"}`)
          : r < 0.8
            ? k('W', off, 'reflector.go:547', `object-"shop"/"api-config": failed to list *v1.ConfigMap: configmaps "api-config" is forbidden: User "system:node:${node}" cannot list resource "configmaps" in API group "" in the namespace "shop": no relationship found between node '${node}' and this object`)
            : r < 0.9
              ? k('E', off, 'prober.go:104', `"Probe failed" probeType="Readiness" pod="${ns}/${pod}" podUID="${g.hex(8)}-${g.hex(4)}-${g.hex(4)}-${g.hex(4)}-${g.hex(12)}" containerName="${ns === 'shop' ? 'api' : 'hello'}" probeResult="failure" output="HTTP probe failed with statuscode: 503"`)
              : k('I', off, 'kubelet_node_status.go:72', `"Attempting to register node" node="${node}"`);
    ev.push({ off, labels: ['kubelet'], msg });
  }
  for (const off of uniformOffs(g, 14)) {
    const r = g.r();
    const t = rfc3339(h, off, 9);
    const msg =
      r < 0.4
        ? `time="${t}" level=info msg="StartContainer for \\"${g.hex(64)}\\" returns successfully"`
        : r < 0.7
          ? `time="${t}" level=info msg="PullImage \\"${g.pick(['docker.io/library/nginx:1.27.1', 'registry.example.com/shop/api:v2.14.0', 'registry.k8s.io/pause:3.9'])}\\""`
          : r < 0.9
            ? `time="${t}" level=info msg="ImageCreate event name:\\"sha256:${g.hex(64)}\\" labels:{key:\\"io.cri-containerd.image\\" value:\\"managed\\"}"`
            : `time="${t}" level=error msg="ContainerStatus for \\"${g.hex(64)}\\" failed" error="rpc error: code = NotFound desc = an error occurred when try to find container \\"${g.hex(64)}\\": not found"`;
    ev.push({ off, labels: ['containerd'], msg });
  }
  if (node === 'node-b') {
    for (const off of uniformOffs(g, 5)) {
      const msg = g.chance(0.5)
        ? `time="${rfc3339(h, off, 9)}" level=warning msg="Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."`
        : `time="${rfc3339(h, off, 9)}" level=info msg="ignoring event" container=${g.hex(64)} module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"`;
      ev.push({ off, labels: ['dockerd'], msg });
    }
  }
  const uptime = (off) => `[${(812345 + h * 3600 + Math.floor(off / SEC)).toString().padStart(5, ' ')}.${String(Math.floor((off % SEC) / 1000)).padStart(6, '0')}]`;
  for (const off of uniformOffs(g, 6)) {
    const msg = g.pick([
      `IPv6: ADDRCONF(NETDEV_CHANGE): cali${g.hex(11)}: link becomes ready`,
      `EXT4-fs (nvme0n1p1): resizing filesystem from 5242619 to 26214139 blocks`,
      `cni0: port ${g.int(1, 9)}(veth${g.hex(8)}) entered forwarding state`,
      `nf_conntrack: nf_conntrack: table full, dropping packet`,
    ]);
    ev.push({ off, labels: ['kernel'], msg: `${uptime(off)} ${msg}` });
  }
  for (const off of uniformOffs(g, 3)) {
    ev.push({ off, labels: ['systemd'], msg: g.pick(['Started session-42.scope - Session 42 of User ubuntu.', 'Starting logrotate.service - Rotate log files...', 'Finished logrotate.service - Rotate log files.']) });
  }
  if (node === 'node-a' && h === 14) {
    // The checkout JVM is OOM-killed: kernel, containerd and kubelet each report it.
    const t = 37 * MIN + 12 * SEC + 345_678_901;
    ev.push({ off: t, labels: ['kernel'], msg: `${uptime(t)} java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=985` });
    ev.push({ off: t, labels: ['kernel'], msg: `${uptime(t)} Memory cgroup out of memory: Killed process 48213 (java) total-vm:4823412kB, anon-rss:2097152kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:5120kB oom_score_adj:985` });
    ev.push({ off: t + 2_000_000, labels: ['containerd'], msg: `time="${rfc3339(h, t + 2_000_000, 9)}" level=info msg="TaskOOM event container_id:\\"${g.hex(64)}\\""` });
    ev.push({ off: t + 900_000_000, labels: ['kubelet'], msg: k('I', t + 900_000_000, 'kubelet.go:2455', `"SyncLoop (PLEG): event for pod" pod="shop/${POD.shop.checkout}" event={"Type":"ContainerDied","Reason":"OOMKilled","ExitCode":137}`) });
    ev.push({ off: t + 950_000_000, labels: ['kubelet'], msg: k('E', t + 950_000_000, 'pod_workers.go:1298', `"Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"checkout\\" with CrashLoopBackOff: \\"back-off 10s restarting failed container=checkout pod=${POD.shop.checkout}_shop(${g.hex(8)}-${g.hex(4)}-${g.hex(4)}-${g.hex(4)}-${g.hex(12)})\\"" pod="shop/${POD.shop.checkout}"`) });
  }
  return ev;
}

// ---- files -------------------------------------------------------------------------------
/** How each target stamps its lines: fraction digits, UTC offset in minutes per hour. */
const TARGETS = [
  { logType: 'pod', target: 'default', digits: 0, gen: defaultEvents },
  { logType: 'pod', target: 'kube-system', digits: 9, gen: kubeSystemEvents },
  { logType: 'pod', target: 'shop', digits: 6, gen: shopEvents },
  { logType: 'node', target: 'node-a', digits: 9, gen: (g, h) => nodeEvents(g, h, 'node-a') },
  { logType: 'node', target: 'node-b', digits: 6, gen: (g, h) => nodeEvents(g, h, 'node-b'), tz: (h) => (h === 14 ? 9 * 60 : 0) },
];
/** Files with a couple of adjacent lines swapped ("mostly in time order"). */
const SWAPS = { 'pod/shop/2024-09-24_14.log': 2 };

function renderFile(spec, h) {
  const path = `${spec.logType}/${spec.target}/${DATE.y}-${p2(DATE.m)}-${p2(DATE.d)}_${p2(h)}.log`;
  const g = stream(path);
  const events = spec.gen(g, h).map((e, i) => ({ ...e, i }));
  events.sort((a, b) => a.off - b.off || a.i - b.i);
  for (let n = 0; n < (SWAPS[path] ?? 0); n++) {
    // Swap two neighbours with different timestamps (never inside a stack trace).
    for (;;) {
      const j = g.int(5, events.length - 6);
      if (events[j].off !== events[j + 1].off) {
        [events[j], events[j + 1]] = [events[j + 1], events[j]];
        break;
      }
    }
  }
  const tz = spec.tz?.(h) ?? 0;
  const text = events
    .map((e) => `${rfc3339(h, e.off, spec.digits, tz)}[${[spec.target, ...e.labels].join('|')}] ${e.msg}${e.eol ?? '\n'}`)
    .join('');
  return { path, text };
}

function writeStore(dir, files) {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

const storeFiles = [];
for (const spec of TARGETS) for (const h of HOURS) {
  const { path, text } = renderFile(spec, h);
  storeFiles.push([path, text]);
}
writeStore(join(FIXTURES, 'store'), storeFiles);

// ---- edge store: one of each thing a reader must survive --------------------------------
const edge = [
  [
    'pod/edge/2024-09-24_13.log',
    [
      '2024-09-24T13:00:00Z[edge|app-1|main] first line, CRLF ending\r\n',
      'no timestamp here, just text\r\n',
      '2024-09-24T13:00:01Z[edge|app-1] wrong field count: two fields in a pod line\r\n',
      '2024-09-24T13:00:02Z[edge|app-1|main|extra] wrong field count: four fields\r\n',
      '2024-09-24T25:00:03Z[edge|app-1|main] bad time: hour 25\r\n',
      '2024-09-24T13:00:04Z[edge|app-1|main missing closing bracket\r\n',
      '2024-09-24T13:00:05.5Z[edge|app-1|main] message with [brackets] and | pipes | inside\r\n',
      '2024-09-24T13:00:06.123456789Z[edge|app-1|main] \r\n',
      '2024-09-24T13:00:07+09:00[edge|app-1|main] offset +09:00, i.e. 04:00:07Z, outside this hour\r\n',
      '2024-09-24T13:00:08Z[edge|app-1|main] two carriage returns: one is stripped, one stays\r\r\n',
      '2024-09-24T13:00:09Z[edge|app-1|main] LF only\n',
      '\r\n',
      '2024-09-24T14:00:00Z[edge|app-1|main] stamped 14:00:00 exactly, in the 13 file\r\n',
    ].join(''),
  ],
  ['pod/edge/2024-09-24_14.log', ''],
  ['pod/edge/2024-09-24_24.log', '2024-09-24T23:59:59Z[edge|app-1|main] in a file named hour 24: never read\n'],
  ['pod/edge/2024-9-24_15.log', '2024-09-24T15:00:00Z[edge|app-1|main] in a file without zero padding: never read\n'],
  [
    'node/node-x/2024-09-24_13.log',
    [
      '2024-09-24T13:30:00Z[node-x|kubelet] ok\n',
      '2024-09-24T13:30:01Z[node-x|kubelet|extra] wrong field count: three fields in a node line\n',
      '2024-09-24T13:30:02Z[node-x|kubelet]\n',
      `2024-09-24T13:30:03Z[node-x|kernel] long line ${'0123456789abcdef'.repeat(8192)} end\n`,
      '2024-09-24T13:30:04Z[node-x|containerd] last line without final newline',
    ].join(''),
  ],
];
writeStore(join(FIXTURES, 'edge-store'), edge);

// ---- facts: counted from the bytes written, for tests and fixtures/README.md -------------
// `queries` maps a LetheQL log query to the number of lines it returns over the whole store
// window [2024-09-24T13:00:00Z, 2024-09-24T16:00:00Z]. Filters look at the message only
// (after `]` and one separator byte, one trailing `\r` stripped), as the contract says.
const parsed = storeFiles.flatMap(([path, text]) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const line = l.endsWith('\r') ? l.slice(0, -1) : l;
      const close = line.indexOf(']');
      const labels = line.slice(line.indexOf('[') + 1, close).split('|');
      return { dir: path.split('/').slice(0, 2).join('/'), labels, msg: line.slice(close + 2), raw: l };
    }),
);
const q = (dir, pred) => parsed.filter((p) => p.dir === dir && pred(p)).length;
const has = (s) => (p) => p.msg.includes(s);
const facts = {
  window: { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' },
  files: Object.fromEntries(storeFiles.map(([path, text]) => [path, { bytes: Buffer.byteLength(text), lines: text.split('\n').length - 1 }])),
  queries: {
    'pod{namespace="default"}': q('pod/default', () => true),
    'pod{namespace="kube-system"}': q('pod/kube-system', () => true),
    'pod{namespace="shop"}': q('pod/shop', () => true),
    'node{node="node-a"}': q('node/node-a', () => true),
    'node{node="node-b"}': q('node/node-b', () => true),
    'pod{namespace="shop"} |= " 500 "': q('pod/shop', has(' 500 ')),
    'pod{namespace="shop"} |= "error"': q('pod/shop', has('error')),
    'pod{namespace="shop"} |= "error" != "healthz"': q('pod/shop', (p) => p.msg.includes('error') && !p.msg.includes('healthz')),
    'pod{namespace="shop"} |~ "user/[0-9]+"': q('pod/shop', (p) => /user\/[0-9]+/.test(p.msg)),
    'pod{namespace="shop"} |= "GET" |~ "user/[0-9]+"': q('pod/shop', (p) => p.msg.includes('GET') && /user\/[0-9]+/.test(p.msg)),
    'pod{namespace="shop", container="checkout"} |~ "^\\tat "': q('pod/shop', (p) => p.labels[2] === 'checkout' && p.msg.startsWith('\tat ')),
    'pod{namespace="shop", container!="istio-proxy"}': q('pod/shop', (p) => p.labels[2] !== 'istio-proxy'),
    'pod{namespace="shop"} |= "결제"': q('pod/shop', has('결제')),
    'pod{namespace="default"} |= "healthz"': q('pod/default', has('healthz')),
    'pod{namespace="kube-system"} |~ "^E0924 "': q('pod/kube-system', (p) => p.msg.startsWith('E0924 ')),
    'node{node="node-a"} |= "OOM"': q('node/node-a', has('OOM')),
    'node{node="node-a", process="kubelet"} |~ "^E0924 "': q('node/node-a', (p) => p.labels[1] === 'kubelet' && p.msg.startsWith('E0924 ')),
    'node{node=~"node-.*"} |= "level=error"': q('node/node-a', has('level=error')) + q('node/node-b', has('level=error')),
  },
  other: {
    'lines ending in CRLF (pod/default/2024-09-24_13.log)': parsed.filter((p) => p.raw.endsWith('\r')).length,
    'lines stamped +09:00 (node/node-b/2024-09-24_14.log)': parsed.filter((p) => /\+09:00\[/.test(p.raw)).length,
  },
};
writeFileSync(join(FIXTURES, 'store-facts.json'), JSON.stringify(facts, null, 2) + '\n');
console.log(`wrote ${storeFiles.length} files (${storeFiles.reduce((n, [, t]) => n + Buffer.byteLength(t), 0)} bytes) to fixtures/store, ${edge.length} to fixtures/edge-store`);
console.log(JSON.stringify(facts.queries, null, 1), JSON.stringify(facts.other));
