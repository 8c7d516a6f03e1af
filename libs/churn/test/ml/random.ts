/** Seeded randomness for the tests (not a test file itself: .taprc runs only *.test.ts). */

/** mulberry32: a small, fast 32-bit PRNG; the same seed always gives the same stream. Returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller). */
export function gaussian(rng: () => number): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** 1 with probability p, else 0. */
export const bernoulli = (rng: () => number, p: number): 0 | 1 => (rng() < p ? 1 : 0);

/** The textbook sigmoid, written independently of the code under test. */
export const plainSigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
