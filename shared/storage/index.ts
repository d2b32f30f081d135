export * from './config.ts';
export * from './createStore.ts';
export * from './port.ts';
export * from './queries.ts';
export * from './schema.ts';
