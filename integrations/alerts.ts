/** Tells a site's owners and admins about integration trouble, by email (through the outbox). */
import type { AppContext } from "../http/context.ts";

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );

/** Queues one email per owner/admin of the site's organization. */
export async function alertOwners(
  ctx: AppContext,
  siteId: number,
  msg: { subject: string; text: string },
): Promise<void> {
  const rows = await ctx.db.sql<{ email: string; name: string }[]>`
    select u.email, s.name from sites s
    join memberships m on m.org_id = s.org_id and m.role in ('owner', 'admin')
    join users u on u.id = m.user_id
    where s.id = ${siteId}`;
  const link = `${ctx.config.PUBLIC_URL}/sites/${siteId}/integrations`;
  for (const r of rows) {
    const text = `${msg.text}\n\nSite: ${r.name}\nIntegrations: ${link}\n`;
    const html = `<p>${escapeHtml(msg.text)}</p><p>Site: ${escapeHtml(r.name)}<br>` +
      `<a href="${escapeHtml(link)}">Open the integrations page</a></p>`;
    await ctx.db.sql`
      insert into email_outbox (to_address, subject, html, text, kind)
      values (${r.email}, ${msg.subject}, ${html}, ${text}, 'integration_alert')`;
  }
  ctx.log.warn("integration alert", {
    site: siteId,
    subject: msg.subject,
    recipients: rows.length,
  });
}
