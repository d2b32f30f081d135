import { join } from 'node:path';
import type { NightProgram } from '../../../shared/contract/index.ts';
import { BUILTIN_PROGRAMS, DANISH_PROGRAM } from '../../../shared/programs/index.ts';
import { readJson, writeJsonAtomic } from '../jsonFiles.ts';

interface State {
  programs: NightProgram[];
  /** lampId -> programId */
  assignments: Record<string, string>;
}

/**
 * Night programs and which lamp runs which, persisted as one JSON file. The programs lamps ship
 * with (the Danish default, Slagelse, presence-adaptive) are in the store from the first start;
 * a lamp that was never assigned another runs the default one.
 */
export class ProgramStore {
  private state: State = { programs: [], assignments: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly allLampIds: () => readonly string[],
    /** The program every lamp runs until another is assigned. */
    readonly defaultProgramId: string,
  ) {}

  static async open(
    dataDir: string,
    lampIds: () => readonly string[] = () => [],
    defaultProgram: NightProgram = DANISH_PROGRAM,
  ): Promise<ProgramStore> {
    const s = new ProgramStore(join(dataDir, 'programs.json'), lampIds, defaultProgram.id);
    s.state = await readJson<State>(s.path, { programs: [], assignments: {} });
    // Built-ins are added when missing, never overwritten: an operator may have edited them.
    const missing = [defaultProgram, ...Object.values(BUILTIN_PROGRAMS)].filter(
      (p, i, all) => all.findIndex((q) => q.id === p.id) === i && !s.get(p.id),
    );
    if (missing.length > 0) {
      s.state.programs.unshift(...missing);
      await s.save();
    }
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

  /** The lamps that run a program: for the default one, every lamp not assigned another. */
  lampsOf(programId: string): string[] {
    return this.allLampIds().length > 0
      ? this.allLampIds().filter((id) => this.programOf(id) === programId)
      : Object.entries(this.state.assignments)
          .filter(([, pid]) => pid === programId)
          .map(([lamp]) => lamp);
  }

  programOf(lampId: string): string {
    const assigned = this.state.assignments[lampId];
    return assigned !== undefined && this.get(assigned) ? assigned : this.defaultProgramId;
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
