import type { CommandAck, LampCommand } from '../../../shared/contract/index.ts';
import type { CommandSummary, CommandTarget, LampCommandState } from '../api.ts';
import type { CommandTracker } from './CommandTracker.ts';

/**
 * Where the gateway keeps its commands and their lamps' acks: the in-memory CommandTracker of a
 * single gateway (LocalCommandBook), or Redis shared by every gateway of a cluster
 * (cluster/SharedCommandBook.ts), where a command issued on one gateway is read, acked, resent
 * and timed out on any.
 */
export interface CommandBook {
  begin(
    command: LampCommand,
    target: CommandTarget,
    lampIds: readonly string[],
  ): Promise<CommandSummary>;
  /** A lamp's ack as the MQTT link received it; unknown commands are ignored. */
  onAck(ack: CommandAck): void;
  /** Deadlines: resend or time out. Called every few tens of ms. */
  tick(): void;
  get(commandId: string): Promise<CommandSummary | undefined>;
  lamps(commandId: string): Promise<LampCommandState[] | undefined>;
  /** Newest first; `lampIds` lists the command's lamps. */
  list(
    filter?: (s: CommandSummary, lampIds: () => Iterable<string>) => boolean,
    limit?: number,
  ): Promise<CommandSummary[]>;
  close(): Promise<void>;
}

/** One gateway: the tracker in memory, as before the cluster. */
export class LocalCommandBook implements CommandBook {
  constructor(readonly tracker: CommandTracker) {}

  begin(command: LampCommand, target: CommandTarget, lampIds: readonly string[]) {
    return Promise.resolve(this.tracker.begin(command, target, lampIds));
  }
  onAck(ack: CommandAck): void {
    this.tracker.onAck(ack);
  }
  tick(): void {
    this.tracker.tick();
  }
  get(commandId: string) {
    return Promise.resolve(this.tracker.get(commandId));
  }
  lamps(commandId: string) {
    return Promise.resolve(this.tracker.lamps(commandId));
  }
  list(filter?: (s: CommandSummary, lampIds: () => Iterable<string>) => boolean, limit?: number) {
    return Promise.resolve(this.tracker.list(filter, limit));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
