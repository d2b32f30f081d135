import type { Socket } from 'node:net';

/**
 * Coalesce everything written to a socket during one event-loop turn into one writev. aedes writes
 * each delivery separately (from its own setImmediate), which costs a syscall per message; Mosquitto
 * batches. The socket stays corked until the next turn's check phase: at most one turn of latency.
 */
export function batchWrites(socket: Socket): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  const write = socket.write;
  socket.write = function batchedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}
