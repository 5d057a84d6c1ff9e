/**
 * A tiny regular-language matcher that runs in time linear in the input (a Pike VM without
 * captures). URL patterns and URI templates compile to it instead of to backtracking
 * `RegExp`s, so no pattern a subscriber or a token states can make one match superlinear.
 */

/** The syntax tree a matcher compiles from. */
export type PatternNode =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'class'; readonly test: (code: number) => boolean }
  | { readonly kind: 'sequence'; readonly items: readonly PatternNode[] }
  | { readonly kind: 'repeat'; readonly item: PatternNode; readonly min: 0 | 1; readonly max: 1 | typeof Infinity };

/** A literal string. */
export const literal = (text: string): PatternNode => ({ kind: 'literal', text });
/** One UTF-16 code unit accepted by `test`. */
export const charClass = (test: (code: number) => boolean): PatternNode => ({ kind: 'class', test });
/** The items one after the other. */
export const sequence = (...items: PatternNode[]): PatternNode => ({ kind: 'sequence', items });
/** `item?` */
export const optional = (item: PatternNode): PatternNode => ({ kind: 'repeat', item, min: 0, max: 1 });
/** `item*` */
export const zeroOrMore = (item: PatternNode): PatternNode => ({ kind: 'repeat', item, min: 0, max: Infinity });
/** `item+` */
export const oneOrMore = (item: PatternNode): PatternNode => ({ kind: 'repeat', item, min: 1, max: Infinity });

/** Line terminators, which `.` in a JavaScript regular expression does not match. */
export const notLineTerminator = (code: number): boolean => code !== 0x0a && code !== 0x0d && code !== 0x2028 && code !== 0x2029;

const CHAR = 0;
const CLASS = 1;
const SPLIT = 2;
const JUMP = 3;
const MATCH = 4;

interface Instruction {
  op: number;
  code: number;
  test: ((code: number) => boolean) | null;
  x: number;
  y: number;
}

/**
 * Evaluation steps allowed per input character (plus a constant), beyond which a match is
 * abandoned and counts as "no match". Sane patterns need a handful per character; the bound
 * keeps even a pathological one linear.
 */
export const STEPS_PER_CHARACTER = 64;
const BASE_STEPS = 4096;

/**
 * Counts the work (evaluation steps) matching may spend, so a caller can bound the total cost
 * of many evaluations. An evaluation that would exceed `remaining` stops, counts as "no match"
 * and sets `exhausted`.
 */
export class WorkMeter {
  /** Units left. */
  remaining: number;
  /** Units spent so far. */
  spent = 0;
  /** Whether an evaluation was cut short because the meter ran out. */
  exhausted = false;

  /** @param limit - units allowed in total. */
  constructor(limit: number) {
    this.remaining = limit;
  }

  /** Starts over with `limit` units (a meter reused for many evaluations). */
  reset(limit: number): void {
    this.remaining = limit;
    this.spent = 0;
    this.exhausted = false;
  }

  /** Records `units` of work. */
  charge(units: number): void {
    this.spent += units;
    this.remaining -= units;
  }
}

/** A compiled matcher: whole-input matching in O(input length). */
export class LinearMatcher {
  readonly #program: Instruction[];
  readonly #marks: Int32Array;
  /** The literal every match starts with: inputs without it are refused without running the program. */
  readonly #prefix: string;
  #generation = 0;

  constructor(node: PatternNode) {
    const program: Instruction[] = [];
    const emit = (op: number, extra: Partial<Instruction> = {}): number => {
      program.push({ op, code: -1, test: null, x: -1, y: -1, ...extra });
      return program.length - 1;
    };
    const compile = (n: PatternNode): void => {
      switch (n.kind) {
        case 'literal':
          for (let i = 0; i < n.text.length; i++) emit(CHAR, { code: n.text.charCodeAt(i) });
          return;
        case 'class':
          emit(CLASS, { test: n.test });
          return;
        case 'sequence':
          for (const item of n.items) compile(item);
          return;
        case 'repeat': {
          if (n.min === 1) {
            const start = program.length;
            compile(n.item);
            if (n.max === Infinity) {
              const split = emit(SPLIT);
              (program[split] as Instruction).x = start;
              (program[split] as Instruction).y = split + 1;
            }
            return;
          }
          const split = emit(SPLIT);
          compile(n.item);
          if (n.max === Infinity) {
            const jump = emit(JUMP);
            (program[jump] as Instruction).x = split;
          }
          (program[split] as Instruction).x = split + 1;
          (program[split] as Instruction).y = program.length;
        }
      }
    };
    compile(node);
    emit(MATCH);
    this.#program = program;
    this.#marks = new Int32Array(program.length);
    let prefix = '';
    for (const instruction of program) {
      if (instruction.op !== CHAR) break;
      prefix += String.fromCharCode(instruction.code);
    }
    this.#prefix = prefix;
  }

  /**
   * Whether the whole of `input` matches. An evaluation exceeding its step budget answers `false`;
   * with a `meter`, the steps are charged to it, and an evaluation the meter cannot pay for stops
   * (answering `false` and setting `meter.exhausted`).
   */
  test(input: string, meter?: WorkMeter): boolean {
    if (!input.startsWith(this.#prefix)) {
      meter?.charge(1 + (this.#prefix.length >> 4));
      return false;
    }
    const own = BASE_STEPS + STEPS_PER_CHARACTER * input.length;
    const allowed = meter === undefined ? own : Math.min(own, meter.remaining);
    const result = this.#run(input, allowed);
    if (meter !== undefined) {
      meter.charge(Math.min(allowed, allowed - result.left));
      if (result.left < 0 && allowed < own) meter.exhausted = true;
    }
    return result.matched;
  }

  #run(input: string, allowed: number): { matched: boolean; left: number } {
    const program = this.#program;
    const marks = this.#marks;
    let budget = allowed;
    const stack: number[] = [];
    const add = (list: number[], pc: number): void => {
      stack.push(pc);
      while (stack.length > 0) {
        const at = stack.pop() as number;
        if (marks[at] === this.#generation) continue;
        marks[at] = this.#generation;
        budget--;
        const instruction = program[at] as Instruction;
        if (instruction.op === JUMP) stack.push(instruction.x);
        else if (instruction.op === SPLIT) stack.push(instruction.y, instruction.x);
        else list.push(at);
      }
    };
    this.#nextGeneration();
    let current: number[] = [];
    add(current, 0);
    for (let i = 0; i < input.length; i++) {
      const code = input.charCodeAt(i);
      this.#nextGeneration();
      const next: number[] = [];
      for (const pc of current) {
        const instruction = program[pc] as Instruction;
        if (instruction.op === CHAR ? instruction.code === code : instruction.op === CLASS && (instruction.test as (c: number) => boolean)(code)) add(next, pc + 1);
      }
      budget -= current.length;
      if (budget < 0) return { matched: false, left: budget };
      if (next.length === 0) return { matched: false, left: budget };
      current = next;
    }
    return { matched: current.some((pc) => (program[pc] as Instruction).op === MATCH), left: budget };
  }

  #nextGeneration(): void {
    if (++this.#generation === 0x7fffffff) {
      this.#marks.fill(0);
      this.#generation = 1;
    }
  }
}
