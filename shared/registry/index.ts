export * from './csv.ts';
export * from './geo.ts';
export * from './importInventory.ts';
export * from './luminaire.ts';
export * from './registry.ts';
export * from './schemas.ts';
