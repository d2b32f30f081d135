/**
 * A TCP load balancer for tests, as HAProxy or a cloud NLB stands in front of broker nodes or
 * gateways: one port on 127.0.0.1 that hands each new connection to the next backend in turn,
 * skipping a backend that refuses, and cuts the client when its backend goes (so a killed node's
 * clients see the loss and reconnect, landing on a live node). `setBackends` swaps the list (a
 * restarted node on a new port).
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpBalancer {
  readonly port: number;
  readonly url: (scheme: string) => string;
  setBackends(ports: readonly number[]): void;
  /** Open client connections per backend port. */
  connections(): Map<number, number>;
  close(): Promise<void>;
}

export async function startTcpBalancer(initial: readonly number[]): Promise<TcpBalancer> {
  let backends = [...initial];
  let next = 0;
  const open = new Map<Socket, number>();
  const server = createServer((client) => {
    client.pause();
    client.on('error', () => undefined);
    const tried = new Set<number>();
    const attempt = () => {
      const candidates = backends.filter((p) => !tried.has(p));
      if (candidates.length === 0 || client.destroyed) return void client.destroy();
      const port = candidates[next++ % candidates.length]!;
      tried.add(port);
      const upstream = createConnection({ host: '127.0.0.1', port });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        open.set(client, port);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) attempt();
        else client.destroy();
      });
      upstream.on('close', () => {
        if (connected) client.destroy();
      });
      client.once('close', () => {
        open.delete(client);
        upstream.destroy();
      });
    };
    attempt();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    setBackends(ports) {
      backends = [...ports];
    },
    connections() {
      const out = new Map<number, number>();
      for (const p of open.values()) out.set(p, (out.get(p) ?? 0) + 1);
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open.keys()) s.destroy();
        server.close(() => resolve());
      }),
  };
}
