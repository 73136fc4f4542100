/**
 * Attribution models: how one purchase's amount is shared among the sessions of its journey.
 * Pure functions, so a model can be recomputed from a stored journey at any time.
 *
 * Every model yields integer weights; the amount is split by largest remainder, so the shares
 * add up exactly to the amount. Leftover cents go to the largest remainders, ties to the more
 * recent touch. Negative amounts (refunds) are split as their absolute value, then negated, so a
 * full refund mirrors its sale exactly.
 */

export const MODELS = [
  "first_touch",
  "last_touch",
  "linear",
  "time_decay",
  "position_based",
] as const;
export type Model = typeof MODELS[number];

export const MODEL_LABELS: Record<Model, string> = {
  first_touch: "First touch",
  last_touch: "Last non-direct touch",
  linear: "Linear",
  time_decay: "Time decay",
  position_based: "Position based (40/20/40)",
};

/** Whether a string names a model. */
export function isModel(v: unknown): v is Model {
  return typeof v === "string" && (MODELS as readonly string[]).includes(v);
}

/** Time decay halves a touch's weight for every 7 days between it and the purchase. */
export const HALF_LIFE_MS = 7 * 24 * 3600 * 1000;
/** Time-decay weights are kept to millionths. */
export const DECAY_SCALE = 1_000_000;

/** What a model needs to know about one touch. */
export interface Touch {
  startedAt: Date;
  channel: string;
}

/** The integer weight of each touch under a model (zero means not credited). */
export function modelWeights(model: Model, touches: Touch[], purchaseTs: Date): number[] {
  const n = touches.length;
  if (n === 0) return [];
  switch (model) {
    case "first_touch":
      return touches.map((_, i) => (i === 0 ? 1 : 0));
    case "last_touch": {
      let k = n - 1;
      for (let i = n - 1; i >= 0; i--) {
        if (touches[i].channel !== "Direct") {
          k = i;
          break;
        }
      }
      return touches.map((_, i) => (i === k ? 1 : 0));
    }
    case "linear":
      return touches.map(() => 1);
    case "time_decay":
      return touches.map((t) => {
        const age = Math.max(0, purchaseTs.getTime() - t.startedAt.getTime());
        return Math.max(1, Math.round(DECAY_SCALE * 2 ** (-age / HALF_LIFE_MS)));
      });
    case "position_based":
      if (n === 1) return [1];
      if (n === 2) return [1, 1];
      // 40% first, 40% last, 20% shared by the middle: 4(n-2) : 2 each : 4(n-2).
      return touches.map((_, i) => (i === 0 || i === n - 1 ? 4 * (n - 2) : 2));
  }
}

/**
 * Splits `amount` by integer `weights` so the parts sum exactly to `amount`. Touches with zero
 * weight get zero.
 */
export function allocate(amount: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (total <= 0) throw new Error("allocate needs a positive total weight");
  const sign = amount < 0 ? -1n : 1n;
  const a = BigInt(Math.abs(amount));
  const W = BigInt(total);
  const base: bigint[] = [];
  const rem: bigint[] = [];
  let given = 0n;
  for (const w of weights) {
    const p = a * BigInt(w);
    base.push(p / W);
    rem.push(p % W);
    given += p / W;
  }
  let left = a - given;
  const order = weights.map((_, i) => i).filter((i) => weights[i] > 0).sort((x, y) =>
    rem[y] === rem[x] ? y - x : rem[y] > rem[x] ? 1 : -1
  );
  for (const i of order) {
    if (left <= 0n) break;
    base[i] += 1n;
    left -= 1n;
  }
  return base.map((b) => Number(b * sign));
}

/** One credited touch: its index in the journey and its share. */
export interface Share {
  touch: number;
  amount: number;
}

/** The shares of `amount` among `touches` under `model`; only credited touches are returned. */
export function creditShares(
  model: Model,
  touches: Touch[],
  purchaseTs: Date,
  amount: number,
): Share[] {
  const weights = modelWeights(model, touches, purchaseTs);
  const parts = allocate(amount, weights);
  const out: Share[] = [];
  weights.forEach((w, i) => {
    if (w > 0) out.push({ touch: i, amount: parts[i] });
  });
  return out;
}
