import { createServer, connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchWrites } from '../../services/broker/writeBatching.ts';

let server: ReturnType<typeof createServer>;
let received: Buffer[] = [];
let port = 0;
beforeAll(async () => {
  server = createServer((s) => s.on('data', (d: Buffer) => received.push(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function socketWithCounters(batched: boolean) {
  const socket: Socket = netConnect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  if (batched) batchWrites(socket);
  const counts = { write: 0, writev: 0 };
  const internals = socket as unknown as {
    _write: (...a: unknown[]) => void;
    _writev: (...a: unknown[]) => void;
  };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (...a) => {
    counts.write++;
    write(...a);
  };
  internals._writev = (...a) => {
    counts.writev++;
    writev(...a);
  };
  return { socket, counts };
}

describe('batchWrites', () => {
  it('sends one turn of writes in one writev, in order', async () => {
    received = [];
    const { socket, counts } = await socketWithCounters(true);
    for (let i = 0; i < 50; i++) socket.write(Buffer.from(`${i},`));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(counts).toEqual({ write: 0, writev: 1 });
    socket.end();
    await new Promise((r) => socket.once('close', r));
    const text = Buffer.concat(received).toString();
    expect(text).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
  });

  it('is what makes the difference (without it, the first write goes alone)', async () => {
    const { socket, counts } = await socketWithCounters(false);
    for (let i = 0; i < 50; i++) socket.write(Buffer.from(`${i},`));
    await new Promise((r) => setImmediate(r));
    expect(counts.write).toBeGreaterThanOrEqual(1);
    socket.destroy();
  });
});
