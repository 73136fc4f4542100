/**
 * Every setting Sextant reads from the environment, parsed by one zod schema. This is the one
 * place defaults live; the README's configuration table mirrors it.
 */
import { z } from "zod";
import { randomToken } from "./lib/crypto.ts";

const urlWithProtocols = (name: string, protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `${name} must be a URL starting with ${protocols.map((p) => p + "//").join(" or ")}`);

const bool = z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"]).transform((v) =>
  ["1", "true", "yes", "on"].includes(v)
);

/** The environment schema; each key documents its default. */
export const envSchema = z.object({
  /** Public HTTP port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  /** Interface to bind; 0.0.0.0 serves every interface. */
  HOST: z.string().min(1).default("0.0.0.0"),
  /** The address users reach Sextant at; used in snippets, emails and webhook URLs. */
  PUBLIC_URL: urlWithProtocols("PUBLIC_URL", ["http:", "https:"]).optional(),
  /** Where the embedded database, the generated secret key and screenshots live. */
  DATA_DIR: z.string().min(1).default("./data"),
  /** PostgreSQL (>= 15, TimescaleDB optional). Absent: embedded PGlite with TimescaleDB. */
  DATABASE_URL: urlWithProtocols("DATABASE_URL", ["postgres:", "postgresql:"]).optional(),
  /** Redis for the ingest queue, live fan-out and shared caches. Absent: in-process. */
  REDIS_URL: urlWithProtocols("REDIS_URL", ["redis:", "rediss:"]).optional(),
  /** Encrypts tokens at rest and signs cookies. Absent: generated once and kept in DATA_DIR. */
  SECRET_KEY: z.string().min(32, "SECRET_KEY must be at least 32 characters long").optional(),
  /** SMTP server for outgoing mail. Absent: mail is kept in the outbox table. */
  SMTP_URL: urlWithProtocols("SMTP_URL", ["smtp:", "smtps:"]).optional(),
  /** The From header of outgoing mail. */
  MAIL_FROM: z.string().min(3).default("Sextant <no-reply@sextant.local>"),
  /** Show every outgoing email at /dev/mail without signing in (development only, never public). */
  MAIL_PREVIEW: bool.default(false),
  /** Chromium used for page screenshots and browser tests. */
  CHROMIUM_PATH: z.string().min(1).default("/usr/bin/chromium"),
  /**
   * Let user-aimed requests (screenshots, Slack and webhook URLs) reach loopback and private
   * addresses. Off: only public addresses. Turn on only for tests or a trusted private network.
   */
  OUTBOUND_ALLOW_PRIVATE: bool.default(false),
  /** debug, info, warn or error. */
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Demo data: "auto" seeds a fresh embedded database; "on" always seeds; "off" never. */
  SEXTANT_DEMO: z.enum(["auto", "on", "off"]).default("auto"),
  /** Base URL of Stripe's API; tests point it at a local fake. */
  STRIPE_API_URL: urlWithProtocols("STRIPE_API_URL", ["http:", "https:"]).default(
    "https://api.stripe.com",
  ),
  /** Base URL of Lemon Squeezy's API; tests point it at a local fake. */
  LEMONSQUEEZY_API_URL: urlWithProtocols("LEMONSQUEEZY_API_URL", ["http:", "https:"]).default(
    "https://api.lemonsqueezy.com",
  ),
  /** Base URL of Polar's API (https://sandbox-api.polar.sh for its sandbox); tests use a fake. */
  POLAR_API_URL: urlWithProtocols("POLAR_API_URL", ["http:", "https:"]).default(
    "https://api.polar.sh",
  ),
  /**
   * Sextant's Polar OAuth app (client id and secret): when set, owners can also connect Polar
   * through its approval screen instead of pasting an organization token.
   */
  POLAR_CLIENT_ID: z.string().default(""),
  POLAR_CLIENT_SECRET: z.string().default(""),
  /** Base URL of Paddle Billing's API (https://sandbox-api.paddle.com for its sandbox). */
  PADDLE_API_URL: urlWithProtocols("PADDLE_API_URL", ["http:", "https:"]).default(
    "https://api.paddle.com",
  ),
  /** The Shopify app Sextant connects stores as (its client id and secret, read_orders scope). */
  SHOPIFY_CLIENT_ID: z.string().default(""),
  SHOPIFY_CLIENT_SECRET: z.string().default(""),
  /** Where a store's Admin API is reached; `{shop}` is its myshopify.com domain. Tests use a fake. */
  SHOPIFY_SHOP_URL: z.string().regex(/^https?:\/\/\S+$/).default("https://{shop}"),
  /** Base URL of Whop's REST API v1; tests point it at a local fake. */
  WHOP_API_URL: urlWithProtocols("WHOP_API_URL", ["http:", "https:"]).default(
    "https://api.whop.com/api/v1",
  ),
  /** Base URL of Teachable's public API v1; tests point it at a local fake. */
  TEACHABLE_API_URL: urlWithProtocols("TEACHABLE_API_URL", ["http:", "https:"]).default(
    "https://developers.teachable.com/v1",
  ),
  /** Base URL of Kajabi's public API; tests point it at a local fake. */
  KAJABI_API_URL: urlWithProtocols("KAJABI_API_URL", ["http:", "https:"]).default(
    "https://api.kajabi.com",
  ),
  /** Serve behind a proxy that sets X-Forwarded-For (trust its client address). */
  TRUST_PROXY: bool.default(false),
  /**
   * With TRUST_PROXY: how many proxies in front of Sextant append to X-Forwarded-For; the client
   * is the entry that many places from the right (entries further left are the client's own).
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),
  /** Collect requests one IP may send per minute (per instance); 0 turns the limit off. */
  COLLECT_RATE_LIMIT: z.coerce.number().int().min(0).default(600),
  /** Accepted batches waiting for the writer before collect answers 503 (back-pressure). */
  INGEST_QUEUE_MAX: z.coerce.number().int().min(1).default(200_000),
  /** Queue writers in this instance; 0 makes it accept-only (writers run elsewhere). */
  INGEST_WRITERS: z.coerce.number().int().min(0).max(16).optional(),
  /** This instance's name in the ingest queue's consumer group; keep it stable across restarts. */
  INGEST_WRITER_NAME: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Omit<Env, "PUBLIC_URL" | "SECRET_KEY"> {
  PUBLIC_URL: string;
  SECRET_KEY: string;
}

/** Start-up cannot continue; the message is one sentence naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses an environment map; throws ConfigError with a sentence naming the bad variable. */
export function parseEnv(env: Record<string, string | undefined>): Env {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== "") cleaned[key] = v.trim();
  }
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0] ?? "environment");
    const shown = cleaned[key] === undefined ? "" : ` (got "${redact(key, cleaned[key])}")`;
    const message = issue.message.startsWith(key) ? issue.message : `${key}: ${issue.message}`;
    throw new ConfigError(`${message}${shown}.`.replace(/\.\.$/, "."));
  }
  return result.data;
}

function redact(key: string, value: string): string {
  if (/SECRET|PASSWORD|KEY/.test(key)) return "…";
  try {
    const u = new URL(value);
    if (u.password) u.password = "…";
    return u.toString();
  } catch {
    return value;
  }
}

/**
 * Builds the full config: parses the environment and fills the secret key, generating one in
 * DATA_DIR on first start so restarts keep sessions and encrypted tokens readable.
 */
export async function loadConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<Config> {
  const parsed = parseEnv(env);
  const publicUrl = (parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/$/, "");
  const secret = parsed.SECRET_KEY ?? await ensureSecretKey(parsed.DATA_DIR);
  return { ...parsed, PUBLIC_URL: publicUrl, SECRET_KEY: secret };
}

async function ensureSecretKey(dataDir: string): Promise<string> {
  const path = `${dataDir}/secret.key`;
  try {
    const existing = (await Deno.readTextFile(path)).trim();
    if (existing.length >= 32) return existing;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new ConfigError(`DATA_DIR: cannot read ${path} (${(e as Error).message}).`);
    }
  }
  const secret = randomToken(48);
  try {
    await Deno.mkdir(dataDir, { recursive: true });
    await Deno.writeTextFile(path, secret + "\n", { mode: 0o600 });
  } catch (e) {
    throw new ConfigError(`DATA_DIR: cannot write ${path} (${(e as Error).message}).`);
  }
  return secret;
}
