/**
 * Debian's real `nats-server` with JetStream for tests, on 127.0.0.1 with a temporary store
 * directory, and a consumer that reads a stream back. A server can be stopped and started
 * again on the same port and store (NATS down, then up).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? null;
/** Why NATS tests skip, or null. */
export const NATS_SKIP = NATS_SERVER === null ? 'nats-server is not installed (apt-get install nats-server)' : null;

export interface NatsServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM); `start()` brings it back on the same port and store. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
}

export async function startNats(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'letheql-nats-'));
  let child: ChildProcess | null = null;
  let port = -1;
  const start = async (): Promise<void> => {
    const c = spawn(NATS_SERVER!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${out}`)), 20_000);
      const onData = (d: Buffer): void => {
        out += d;
        const m = /Listening for client connections on [\d.]+:(\d+)/.exec(out);
        if (m && /Server is ready/.test(out)) {
          port = Number(m[1]);
          clearTimeout(timer);
          resolve();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code}):\n${out}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A message as a consumer sees it. */
export interface Consumed {
  subject: string;
  headers: Record<string, string>;
  body: string;
  seq: number;
}

/** Every message of `stream` (an ordered consumer from the start), read until none comes for `idleMs`. */
export async function consumeAll(url: string, stream: string, idleMs = 500): Promise<Consumed[]> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const total = (await jsm.streams.info(stream)).state.messages;
    const consumer = await js.consumers.get(stream);
    const out: Consumed[] = [];
    while (out.length < total) {
      const m: JsMsg | null = await consumer.next({ expires: Math.max(1000, idleMs) });
      if (m === null) break;
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers ?? []) headers[k] = v[0] ?? '';
      out.push({ subject: m.subject, headers, body: m.string(), seq: m.seq });
    }
    return out;
  } finally {
    await nc.close();
  }
}
