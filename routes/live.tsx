/**
 * The live view: `/sites/:siteId/live` for members, `/share/:token/live` for share links, and
 * the JSON its islands read under `/api/app/sites/:siteId/live/…` (session cookie, or the
 * share token in an `X-Share-Token` header).
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { manifest } from "../http/assets.ts";
import { requireSite } from "../http/middleware/auth.ts";
import { shellProps } from "../http/shell.ts";
import { AppShell } from "../components/AppShell.tsx";
import { Forbidden, Invalid, NotFound, Unauthorized } from "../lib/errors.ts";
import { authorizeLiveViewer, liveGrant } from "../realtime/access.ts";
import { loadSnapshot } from "../realtime/snapshot.ts";
import { loadJourney } from "../realtime/journey.ts";
import { findActiveShare, isShareUnlocked, shareUnlockCookie } from "../accounts/shares.ts";
import { SESSION_COOKIE } from "../accounts/sessions.ts";
import type { Site } from "../accounts/sites.ts";
import LiveView from "../islands/LiveView.tsx";
import type { MapAssets } from "../islands/live/LiveMap.tsx";

/** URLs of the map assets built by scripts/build_live.ts. */
function mapAssets(): MapAssets {
  const files = manifest().files;
  const world = files["world.geojson"];
  const worldSvg = files["world.svg"];
  const worker = files["maplibre-worker"];
  if (!world || !worldSvg || !worker) {
    throw new Error("The live map assets are missing: run `deno task build`.");
  }
  return { world, worldSvg, worker };
}

/** Lets through members of the site's org and holders of its share link; sets `site`. */
function requireLiveViewer(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const shareToken = c.req.header("x-share-token") || undefined;
    const viewer = await authorizeLiveViewer(c.get("app"), {
      siteId: Number(c.req.param("siteId")),
      cookies: getCookie(c),
      shareToken,
      shareGrant: c.req.header("x-share-grant") || undefined,
    });
    if (!viewer) {
      if (!shareToken && !getCookie(c, SESSION_COOKIE)) throw new Unauthorized();
      throw new NotFound("We couldn't find that site.");
    }
    c.set("site", viewer.site);
    await next();
  };
}

function livePage(
  site: Site,
  snapshot: Awaited<ReturnType<typeof loadSnapshot>>,
  shareToken?: string,
) {
  return (
    <LiveView
      siteId={site.id}
      siteName={site.name}
      shareToken={shareToken}
      snapshot={snapshot}
      assets={mapAssets()}
      member={!shareToken}
    />
  );
}

/**
 * The active share of `:token` when its password (if any) was given; null when locked.
 * A missing, revoked or expired link is a 404.
 */
async function unlockedShare(c: Context<AppEnv>) {
  const { db, config } = c.get("app");
  const share = await findActiveShare(db.sql, c.req.param("token") ?? "");
  if (!share) throw new NotFound("This share link doesn't exist or has been turned off.");
  if (!share.has_password) return share;
  const proof = getCookie(c, shareUnlockCookie(share.id));
  return await isShareUnlocked(config.SECRET_KEY, share.id, proof) ? share : null;
}

export function registerLive(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId/live", requireSite("viewer"), async (c) => {
    const site = c.get("site");
    const snapshot = await loadSnapshot(c.get("app").db.sql, site);
    return renderPage(
      c,
      <AppShell {...await shellProps(c, { active: "live" })}>
        {livePage(site, snapshot)}
      </AppShell>,
      { title: `Live · ${site.name}`, bodyClass: "live-page" },
    );
  });

  // Under /share/, so a password-protected link's unlock cookie (which may be scoped there)
  // comes along; the grant lets the page's islands prove it to /socket.io/ and /api/app/.
  app.get("/share/:token/live/access", async (c) => {
    const share = await unlockedShare(c);
    if (!share) {
      throw new Forbidden("This shared dashboard is locked. Open it and enter its password first.");
    }
    const grant = await liveGrant(c.get("app").config.SECRET_KEY, share.id);
    return c.json({ siteId: share.site_id, grant }, 200, { "Cache-Control": "no-store" });
  });

  app.get("/share/:token/live", async (c) => {
    const token = c.req.param("token");
    const ctx = c.get("app");
    const share = await unlockedShare(c);
    // The shared dashboard asks for the password, then links back here.
    if (share === null) return c.redirect(`/share/${encodeURIComponent(token)}`, 303);
    const viewer = await authorizeLiveViewer(ctx, {
      siteId: share.site_id,
      cookies: getCookie(c),
      shareToken: token,
    });
    if (!viewer) throw new NotFound("This share link doesn't exist or has been turned off.");
    const site = viewer.site;
    const snapshot = await loadSnapshot(ctx.db.sql, site);
    return renderPage(
      c,
      <>
        <header class="topbar">
          <a class="brand" href={`/share/${encodeURIComponent(token)}`}>
            <img src="/static/favicon.svg" alt="" /> {site.name}
          </a>
          <nav aria-label="Sections">
            <a href={`/share/${encodeURIComponent(token)}`}>Dashboard</a>
            <a href={c.req.path} aria-current="page">Live</a>
          </nav>
        </header>
        <main id="main" class="page">{livePage(site, snapshot, token)}</main>
      </>,
      {
        title: `Live · ${site.name}`,
        bodyClass: "live-page",
        headers: { "Referrer-Policy": "no-referrer" },
      },
    );
  });

  app.get("/api/app/sites/:siteId/live/snapshot", requireLiveViewer(), async (c) => {
    const snapshot = await loadSnapshot(c.get("app").db.sql, c.get("site"));
    return c.json(snapshot, 200, { "Cache-Control": "no-store" });
  });

  app.get("/api/app/sites/:siteId/live/visitors/:visitorId", requireLiveViewer(), async (c) => {
    const visitorId = c.req.param("visitorId");
    if (!visitorId || visitorId.length > 200) {
      throw new Invalid("visitorId", "That visitor id is not valid.");
    }
    const journey = await loadJourney(c.get("app").db.sql, c.get("site").id, visitorId);
    return c.json(journey, 200, { "Cache-Control": "no-store" });
  });
}
