export * from '../shared/programs/programs.ts';
export * from './clock.ts';
export * from './config.ts';
export * from './electrical.ts';
export * from './faults.ts';
export * from './fleet.ts';
export * from './Simulation.ts';
export * from './simulator.ts';
