import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type RequestListener,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { BrokerConfig } from './config.ts';
import type { Transport } from './metrics.ts';

export type Accept = (
  stream: Duplex,
  transport: Transport,
  socket: Socket,
  req?: IncomingMessage,
) => void;

export interface Listeners {
  port: number;
  tlsPort: number;
  wsPort: number;
  /** The WebSocket listener speaks TLS (wss://). */
  wsTls: boolean;
  /** Stop accepting; resolves when every listener is closed (callers destroy open sockets). */
  close(): Promise<void>;
}

export function listen(
  server: NetServer | HttpServer,
  port: number,
  host: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export const closeServer = (server: NetServer | HttpServer) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });

/** MQTT over TCP, optionally TLS, optionally WebSocket. A failed bind closes what was opened. */
export async function openListeners(config: BrokerConfig, accept: Accept): Promise<Listeners> {
  const host = config.BROKER_HOST;
  const servers: (NetServer | HttpServer)[] = [];
  let wss: WebSocketServer | undefined;
  const close = async () => {
    wss?.close();
    await Promise.all(servers.map(closeServer));
  };
  try {
    const tcp = createNetServer((socket) => accept(socket, 'tcp', socket));
    servers.push(tcp);
    const port = await listen(tcp, config.MQTT_PORT, host);

    let tlsPort = 0;
    const tlsFiles =
      config.BROKER_TLS_CERT_PATH && config.BROKER_TLS_KEY_PATH
        ? {
            cert: readFileSync(config.BROKER_TLS_CERT_PATH),
            key: readFileSync(config.BROKER_TLS_KEY_PATH),
          }
        : undefined;
    if (tlsFiles) {
      const tls = createTlsServer(tlsFiles, (socket) => accept(socket, 'tls', socket));
      servers.push(tls);
      tlsPort = await listen(tls, config.MQTT_TLS_PORT, host);
    }

    let wsPort = 0;
    const wsTls = config.BROKER_WS_ENABLED && tlsFiles !== undefined && config.BROKER_WS_TLS;
    if (config.BROKER_WS_ENABLED) {
      const upgradeOnly: RequestListener = (_req, res) => {
        res
          .writeHead(426, { 'content-type': 'text/plain' })
          .end(`MQTT over WebSocket: connect with ${wsTls ? 'wss' : 'ws'}:// on /mqtt\n`);
      };
      const http =
        wsTls && tlsFiles
          ? createHttpsServer(tlsFiles, upgradeOnly)
          : createHttpServer(upgradeOnly);
      // permessage-deflate off: telemetry is small and deflate costs more CPU than it saves.
      wss = new WebSocketServer({
        server: http,
        perMessageDeflate: false,
        maxPayload: config.BROKER_MAX_PACKET_BYTES + 16,
      });
      wss.on('connection', (ws, req) => accept(createWebSocketStream(ws), 'ws', req.socket, req));
      servers.push(http);
      wsPort = await listen(http, config.MQTT_WS_PORT, host);
    }
    return { port, tlsPort, wsPort, wsTls, close };
  } catch (err) {
    await close();
    throw err;
  }
}
