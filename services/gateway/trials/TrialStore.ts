import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../jsonFiles.ts';
import type { Trial } from './trial.ts';

/** Trials, persisted as one JSON file under GATEWAY_DATA_DIR (like the program store). */
export class TrialStore {
  private trials: Trial[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(dataDir: string): Promise<TrialStore> {
    const s = new TrialStore(join(dataDir, 'trials.json'));
    s.trials = (await readJson<{ trials: Trial[] }>(s.path, { trials: [] })).trials;
    return s;
  }

  list(): Trial[] {
    return this.trials;
  }

  get(id: string): Trial | undefined {
    return this.trials.find((t) => t.id === id);
  }

  /** Add a trial; false when the id is taken. */
  async add(trial: Trial): Promise<boolean> {
    if (this.get(trial.id)) return false;
    this.trials.push(trial);
    await this.save();
    return true;
  }

  async remove(id: string): Promise<boolean> {
    const before = this.trials.length;
    this.trials = this.trials.filter((t) => t.id !== id);
    if (this.trials.length === before) return false;
    await this.save();
    return true;
  }

  private save(): Promise<void> {
    const snapshot = { trials: structuredClone(this.trials) };
    // Each write is a whole snapshot: after a failed one (reported to its caller) the next still runs.
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => writeJsonAtomic(this.path, snapshot));
    return this.writing;
  }
}
