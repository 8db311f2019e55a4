/**
 * Real services for tests, started on 127.0.0.1: a Debian binary (Alertmanager, Prometheus)
 * run until the test ends, and a small HTTP receiver that records what is posted to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port nobody listens on now (bound and released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The path of a Debian binary, or null (the test then skips, saying which package to install). */
export function binary(path: string): string | null {
  return existsSync(path) ? path : null;
}

export interface Service {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

/** Starts `bin args…` and waits until `${url}${readyPath}` answers 200 (up to 30 s). */
export async function startService(bin: string, args: string[], url: string, readyPath: string): Promise<Service> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${bin} exited (${child.exitCode}):\n${out}`);
    try {
      const res = await fetch(url + readyPath);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${bin} did not become ready at ${url}${readyPath}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop, output: () => out };
}

/** A request the receiver got. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** An HTTP server on 127.0.0.1 that answers `status` and records every request. */
export async function httpReceiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void>; setStatus(s: number): void; waitFor(pred: (r: Received[]) => boolean, ms?: number): Promise<void> }> {
  const received: Received[] = [];
  let code = status;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(code, { 'content-type': 'text/plain' }).end(code === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    setStatus: (s) => (code = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
    async waitFor(pred, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met in ${ms} ms; got ${received.map((r) => r.path + ' ' + r.body.toString().slice(0, 300)).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
