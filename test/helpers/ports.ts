import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now, for programs that cannot report the port they bound
 * (mosquitto, influxd). Bind port 0, read the port, close. Another process could take it before
 * the caller binds it; on this machine that race has not been seen, and callers retry on failure.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolve once something accepts TCP connections on host:port; bounded by `attempts`. */
export async function waitForPort(
  port: number,
  host = '127.0.0.1',
  attempts = 200,
  stepMs = 25,
): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < attempts; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${attempts} attempts`);
}
