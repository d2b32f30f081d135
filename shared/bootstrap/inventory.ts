/**
 * The inventory every service starts with, resolved one way: INVENTORY_PATH when set, else the
 * one an admin uploaded through the gateway (saved in GATEWAY_DATA_DIR), else the shipped route.
 * The broker (who may log in), the processor (tags), the simulator (which lamps exist) and the
 * gateway must all load the same one, so each service's config carries these three variables.
 */

// The replication the simulator runs is the registry every service must know.
import { scaleRegistry } from '../../simulator/fleet.ts';
import { env } from '../config.ts';
import { loadRegistry, type Registry, resolveInventoryPath } from '../registry/index.ts';

/** Default of GATEWAY_DATA_DIR, where the gateway keeps its files and an uploaded inventory. */
export const DEFAULT_GATEWAY_DATA_DIR = './data/gateway';

/** Spread into a service's env schema; every variable is in .env.example. */
export const InventoryEnvShape = {
  /** Lamp inventory (CSV or GeoJSON); wins over an uploaded one. */
  INVENTORY_PATH: env.optionalString(),
  /** Luminaire catalog JSON; the shipped catalog when unset. */
  CATALOG_PATH: env.optionalString(),
  /** The gateway's data folder: an inventory uploaded through the gateway is read from here. */
  GATEWAY_DATA_DIR: env.string(DEFAULT_GATEWAY_DATA_DIR),
  /**
   * Lamps of the route (the simulator's `--lamps`): 0 = the inventory's; fewer cut it, more
   * replicate it (`r2-DOLL-0001`). Every service reads it, so all know the same devices.
   */
  SIMULATOR_LAMPS: env.int(0, 0, 1_000_000),
};

export interface InventoryConfig {
  INVENTORY_PATH?: string | undefined;
  CATALOG_PATH?: string | undefined;
  GATEWAY_DATA_DIR: string;
  SIMULATOR_LAMPS?: number | undefined;
}

/** Where the registry comes from: the file, or undefined for the shipped route. */
export function inventoryPathOf(config: InventoryConfig): string | undefined {
  return resolveInventoryPath(config.INVENTORY_PATH, config.GATEWAY_DATA_DIR);
}

/** The registry a service starts with. Throws RegistryError listing every problem of the file. */
export function loadServiceRegistry(config: InventoryConfig): Registry {
  const registry = loadRegistry(inventoryPathOf(config), config.CATALOG_PATH);
  const lamps = config.SIMULATOR_LAMPS ?? 0;
  return lamps > 0 ? scaleRegistry(registry, lamps) : registry;
}
