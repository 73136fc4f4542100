/**
 * The install page's test visit: a sample pageview sent through the app's own
 * `POST /api/collect` (in-process, the full pipeline), as if from the person's browser, so they
 * see the snippet's path work end to end without real traffic.
 */
import type { Hono } from "hono";
import type { AppContext, AppEnv } from "../../http/context.ts";
import { fastPathFor } from "../../http/fast_path.ts";
import type { Site } from "../../accounts/sites.ts";
import { AppError, Invalid } from "../../lib/errors.ts";
import { randomToken } from "../../lib/crypto.ts";
import { ingestorFor } from "../../ingest/ingestor.ts";
import { whyDropped } from "../../ingest/drop_reasons.ts";
import type { DropReason } from "../../ingest/types.ts";

/** Path of the sample pageview, so it is recognisable (and filterable) in reports. */
export const TEST_VISIT_PATH = "/sextant-test-visit";

const FALLBACK_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";

/** Sends one sample pageview for the site; answers how many events collect accepted. */
export async function sendTestVisit(
  ctx: AppContext,
  app: Hono<AppEnv>,
  site: Site,
  from: { userAgent: string; remoteAddr: string; forwardedFor?: string },
): Promise<{ accepted: number }> {
  const scheme = /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(site.domain) ? "http" : "https";
  const origin = `${scheme}://${site.domain}`;
  const body = {
    s: site.public_id,
    v: `test${randomToken(12).replace(/[^A-Za-z0-9]/g, "x")}`,
    sc: "1440x900",
    l: "en-US",
    z: site.timezone,
    e: [{
      t: "pageview",
      u: `${origin}${TEST_VISIT_PATH}?utm_source=sextant&utm_medium=test`,
      ti: "Sextant test visit",
      r: "",
    }],
  };
  const headers: Record<string, string> = {
    "content-type": "text/plain;charset=UTF-8",
    origin,
    "user-agent": from.userAgent || FALLBACK_UA,
  };
  if (from.forwardedFor) headers["x-forwarded-for"] = from.forwardedFor;
  // Collect may be served ahead of the app (http/fast_path.ts): call it the way the server does.
  const init = { method: "POST", headers, body: JSON.stringify(body) };
  const drops = ingestorFor(ctx).drops;
  const before = drops.seen(site.id);
  const fast = fastPathFor("/api/collect");
  const res = fast
    ? await fast(ctx, new Request(`${ctx.config.PUBLIC_URL}/api/collect`, init), from.remoteAddr)
    : await app.request("/api/collect", init, { remoteAddr: from.remoteAddr });
  const answer = await res.json().catch(() => ({})) as { accepted?: number; error?: string };
  if (res.status === 404 && !answer.error) {
    throw new AppError(503, "Event collection isn't running on this server yet.", "unavailable");
  }
  if (!res.ok) {
    throw new AppError(
      res.status >= 500 ? 502 : res.status,
      `The test visit was refused: ${answer.error ?? `status ${res.status}`}`,
      "test_visit_failed",
    );
  }
  if (!answer.accepted) {
    const after = drops.seen(site.id);
    const reasons = (Object.keys(after) as DropReason[])
      .filter((r) => (after[r] ?? 0) > (before[r] ?? 0));
    throw new Invalid(
      "test",
      reasons.length
        ? `The test visit arrived but was dropped: it was ${reasons.map(whyDropped).join("; ")}.`
        : "The test visit arrived but was dropped by this site's filters (bots, excluded IPs or paths).",
    );
  }
  return { accepted: answer.accepted };
}
