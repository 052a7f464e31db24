// Seeded pseudo-random numbers, so a batch's outcome (and so its ground truth) is reproducible from its seed.
// mulberry32: tiny, fast, good enough for simulation (not for anything security-related).

/** 32-bit FNV-1a hash of a string, used to turn string seeds and ids into numeric seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Turns a numeric or string seed into a 32-bit seed. */
export function seedOf(seed: number | string): number {
  return typeof seed === 'number' && Number.isInteger(seed) ? seed >>> 0 : hashString(String(seed));
}

const ALPHANUM = '0123456789abcdefghijklmnopqrstuvwxyz';

export class Rng {
  private state: number;

  constructor(seed: number | string) {
    this.state = seedOf(seed);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  pick<T>(values: readonly T[]): T {
    const v = values[Math.floor(this.next() * values.length)];
    if (v === undefined) throw new RangeError('Rng.pick on an empty list');
    return v;
  }

  /** Lower-case alphanumeric string of the given length. */
  alnum(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUM[Math.floor(this.next() * ALPHANUM.length)];
    return out;
  }
}
