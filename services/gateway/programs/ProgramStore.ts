import { join } from 'node:path';
import type { NightProgram } from '../../../shared/contract/index.ts';
import { readJson, writeJsonAtomic } from '../jsonFiles.ts';

interface State {
  programs: NightProgram[];
  /** lampId -> programId */
  assignments: Record<string, string>;
}

/** Night programs and which lamp runs which, persisted as one JSON file. */
export class ProgramStore {
  private state: State = { programs: [], assignments: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(dataDir: string): Promise<ProgramStore> {
    const s = new ProgramStore(join(dataDir, 'programs.json'));
    s.state = await readJson<State>(s.path, { programs: [], assignments: {} });
    return s;
  }

  list(): NightProgram[] {
    return this.state.programs;
  }

  get(id: string): NightProgram | undefined {
    return this.state.programs.find((p) => p.id === id);
  }

  /** Insert or replace; true when it replaced an existing program. */
  async put(program: NightProgram): Promise<boolean> {
    const i = this.state.programs.findIndex((p) => p.id === program.id);
    if (i >= 0) this.state.programs[i] = program;
    else this.state.programs.push(program);
    await this.save();
    return i >= 0;
  }

  async remove(id: string): Promise<boolean> {
    const before = this.state.programs.length;
    this.state.programs = this.state.programs.filter((p) => p.id !== id);
    for (const [lamp, pid] of Object.entries(this.state.assignments)) {
      if (pid === id) delete this.state.assignments[lamp];
    }
    await this.save();
    return this.state.programs.length < before;
  }

  async assign(programId: string, lampIds: readonly string[]): Promise<void> {
    for (const id of lampIds) this.state.assignments[id] = programId;
    await this.save();
  }

  lampsOf(programId: string): string[] {
    return Object.entries(this.state.assignments)
      .filter(([, pid]) => pid === programId)
      .map(([lamp]) => lamp);
  }

  programOf(lampId: string): string | undefined {
    return this.state.assignments[lampId];
  }

  private save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.state)) as State;
    // Each write is a whole snapshot: after a failed one (reported to its caller) the next still runs.
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => writeJsonAtomic(this.path, snapshot));
    return this.writing;
  }
}
