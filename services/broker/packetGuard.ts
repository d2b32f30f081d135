import type { Client } from 'aedes';

/** Raised on the client (and so disconnecting it) when a packet announces too large a size. */
export class PacketTooLargeError extends Error {
  constructor(
    readonly announcedBytes: number,
    readonly maxBytes: number,
  ) {
    super(`packet of ${announcedBytes} bytes exceeds the ${maxBytes}-byte limit`);
    this.name = 'PacketTooLargeError';
  }
}

/** The slice of mqtt-packet's parser this guard touches (its state machine is method-per-state). */
interface ParserInternals {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * Enforce a maximum packet size as soon as the fixed header's Remaining Length is known, before
 * the body is buffered: aedes has no such option and would otherwise hold up to 256 MB per client.
 * mqtt-packet parses in named states (`_parseHeader`, `_parseLength`, ...); wrapping the instance's
 * length state adds one comparison per packet. test/broker/protection.test.ts fails if an aedes
 * or mqtt-packet upgrade moves this seam.
 */
export function guardPacketSize(client: Client, maxBytes: number): void {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser._parseLength !== 'function') {
    throw new Error('aedes client has no mqtt-packet parser to guard; check the aedes version');
  }
  const parseLength = parser._parseLength;
  parser._parseLength = function guardedParseLength(this: ParserInternals) {
    const done = parseLength.call(this);
    if (done && this.packet.length > maxBytes) {
      this._emitError(new PacketTooLargeError(this.packet.length, maxBytes));
      return false;
    }
    return done;
  };
}
