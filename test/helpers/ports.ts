import { connect, createServer } from 'node:net';
import { type EventuallyOptions, eventually } from './eventually.ts';

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

/** Whether something accepts a TCP connection on host:port right now. */
function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolve once something accepts TCP connections on host:port (for programs that cannot say). */
export async function waitForPort(
  port: number,
  host = '127.0.0.1',
  options?: EventuallyOptions,
): Promise<void> {
  await eventually(`something listening on ${host}:${port}`, () => accepts(port, host), options);
}
