/** mulberry32: a tiny seeded PRNG returning numbers uniform in [0, 1). */
export function mulberry32(seed: number): () => number;
