/**
 * Long-running services each feature starts inside an instance (ingest writer, live fan-out,
 * mailer…). Each registers its own shutdown hook on ctx.onShutdown.
 */
import type { AppContext } from "./http/context.ts";
import { startMailDelivery } from "./mail/mailer.ts";
import { startIngestWriter } from "./ingest/service.ts";
import { startLiveHub } from "./realtime/live_hub.ts";
import { stopBackground } from "./integrations/background.ts";

export function registerServices(ctx: AppContext): Promise<void> {
  startIngestWriter(ctx);
  if (ctx.io) {
    const hub = startLiveHub(ctx, ctx.io);
    ctx.onShutdown.push(() => hub.close());
  }
  if (ctx.config.SMTP_URL) {
    const mail = startMailDelivery(ctx.db.sql, {
      smtpUrl: ctx.config.SMTP_URL,
      from: ctx.config.MAIL_FROM,
      log: ctx.log.child({ service: "mail" }),
    });
    ctx.onShutdown.push(() => mail.stop());
  }
  // Backfills and replays started by requests: stopped between items, then awaited.
  ctx.onShutdown.push(() => stopBackground(ctx));
  return Promise.resolve();
}
