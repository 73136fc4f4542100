/**
 * Digest settings on a site's alerts page (each member their own: daily and weekly, the local
 * hour and time zone, "send me this now") and the unsubscribe page its emails link to, which
 * works without signing in.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { csrfToken } from "../http/middleware/csrf.ts";
import { AuthCard, Notice } from "../components/AuthCard.tsx";
import { Form } from "../components/Form.tsx";
import { Invalid } from "../lib/errors.ts";
import { isTimeZone } from "../analytics/period.ts";
import { timeZones } from "../accounts/site_settings.ts";
import type { Frequency } from "../digests/digest.ts";
import {
  type DigestSubscription,
  mailDigest,
  setSubscription,
  unsubscribe,
} from "../digests/schedule.ts";
import { Options } from "./sites/list.tsx";
import { checked, readForm, tryForm } from "./forms.ts";
import { unsubscribeAlertEmail } from "../alerts/channels.ts";

const FREQUENCIES: Frequency[] = ["daily", "weekly"];

/** The "Email reports" card of the alerts page. */
export function DigestSection(
  props: { siteId: number; csrf: string; subs: DigestSubscription[]; timezone: string },
) {
  const first = props.subs[0];
  const hour = first?.local_hour ?? 8;
  const tz = first?.timezone ?? props.timezone;
  return (
    <section class="card" aria-labelledby="digests-title">
      <h2 id="digests-title">Email reports</h2>
      <p class="muted">
        Visitors, revenue and conversion against the period before, top sources by revenue, top
        pages, customers and open alerts. Weekly reports go out on Mondays.
      </p>
      <Form action={`/sites/${props.siteId}/alerts/digests`} csrf={props.csrf} class="stack">
        <div class="row">
          {FREQUENCIES.map((f) => (
            <label class="checkbox">
              <input type="checkbox" name={f} checked={props.subs.some((s) => s.frequency === f)} />
              {f === "daily" ? "Daily report" : "Weekly report"}
            </label>
          ))}
        </div>
        <div class="grid two">
          <div class="field">
            <label for="f-hour">At</label>
            <select id="f-hour" name="hour">
              {Array.from(
                { length: 24 },
                (_, h) => (
                  <option value={h} selected={h === hour}>
                    {`${String(h).padStart(2, "0")}:00`}
                  </option>
                ),
              )}
            </select>
          </div>
          <div class="field">
            <label for="f-tz">Your time zone</label>
            <select id="f-tz" name="timezone">
              <Options values={timeZones()} selected={tz} />
            </select>
          </div>
        </div>
        <p class="row">
          <button type="submit" class="secondary">Save reports</button>{" "}
          <button type="submit" name="send_now" value="weekly" class="link-button">
            Send me this week's report now
          </button>
        </p>
      </Form>
    </section>
  );
}

/** What an unsubscribe page says and stops. */
interface UnsubscribeKind {
  title: string;
  explain: string;
  done: string;
}
const REPORT: UnsubscribeKind = {
  title: "Unsubscribe from this report",
  explain: "You'll stop getting this email report. Other reports and alerts stay as they are.",
  done: "Done: this report won't be sent to you any more.",
};
const ALERTS: UnsubscribeKind = {
  title: "Stop alert emails for this site",
  explain: "You'll stop getting this site's alerts by email. Reports and other sites stay as " +
    "they are; you can turn them back on from the site's alerts page.",
  done: "Done: this site's alerts won't be emailed to you any more.",
};

async function unsubscribePage(
  c: Context<AppEnv>,
  kind: UnsubscribeKind,
  done?: boolean,
  error?: string,
) {
  const url = new URL(c.req.url);
  return renderPage(
    c,
    <AuthCard title={kind.title}>
      {done ? <Notice kind="success">{kind.done}</Notice> : (
        <>
          {error && <Notice kind="error">{error}</Notice>}
          <p>{kind.explain}</p>
          <Form action={url.pathname + url.search} csrf={await csrfToken(c)}>
            <button type="submit">Unsubscribe</button>
          </Form>
        </>
      )}
    </AuthCard>,
    { title: "Unsubscribe", status: error ? 404 : 200 },
  );
}

const BAD_LINK = "This link doesn't work: copy the whole address from the email.";

/** Registers digest settings and the unsubscribe page. */
export function registerDigests(app: Hono<AppEnv>): void {
  app.post("/sites/:siteId/alerts/digests", requireSite("viewer"), async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const site = c.get("site");
    const user = c.get("user")!;
    if (form.send_now) {
      const frequency = form.send_now === "daily" ? "daily" : "weekly";
      await mailDigest(ctx, { siteId: site.id, frequency, to: user.email });
      return c.redirect(`/sites/${site.id}/alerts?done=digest-sent`, 303);
    }
    const result = await tryForm(async () => {
      const hour = Number(form.hour);
      if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
        throw new Invalid("hour", "Choose the hour from the list.");
      }
      const timezone = form.timezone ?? site.timezone;
      if (!isTimeZone(timezone)) throw new Invalid("timezone", "Choose a time zone from the list.");
      for (const frequency of FREQUENCIES) {
        await setSubscription(ctx.db.sql, {
          siteId: site.id,
          userId: user.id,
          frequency,
          on: checked(form, frequency),
          hour,
          timezone,
        });
      }
    });
    if (!result.ok) {
      return c.redirect(`/sites/${site.id}/alerts?done=digest-invalid`, 303);
    }
    return c.redirect(`/sites/${site.id}/alerts?done=digests`, 303);
  });

  // Signed links: they work signed out, and the POST (a mail client's one-click unsubscribe,
  // RFC 8058) needs no CSRF token; the HMAC in the link is what authorizes it.
  app.get("/digests/unsubscribe", (c) => unsubscribePage(c, REPORT));
  app.post("/digests/unsubscribe", async (c) => {
    await readForm(c);
    const ok = await unsubscribe(c.get("app"), Number(c.req.query("s")), c.req.query("t") ?? "");
    return unsubscribePage(c, REPORT, ok, ok ? undefined : BAD_LINK);
  });
  app.get("/alerts/unsubscribe", (c) => unsubscribePage(c, ALERTS));
  app.post("/alerts/unsubscribe", async (c) => {
    await readForm(c);
    const ctx = c.get("app");
    const ok = await unsubscribeAlertEmail(
      { sql: ctx.db.sql, secret: ctx.config.SECRET_KEY },
      Number(c.req.query("s")),
      Number(c.req.query("u")),
      c.req.query("t") ?? "",
    );
    return unsubscribePage(c, ALERTS, ok, ok ? undefined : BAD_LINK);
  });
}
