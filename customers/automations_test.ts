/**
 * Automations fire once per trigger event with the right actions: a tag, a note, an email
 * delivered over SMTP, a Slack post to a local stand-in and a signed webhook — and never twice,
 * however often the job runs.
 */
import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode, type TestDatabase } from "../testing/db.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { smtpSink } from "../testing/smtp.ts";
import { recordPurchase } from "../attribution/record.ts";
import { applySubscriptionState } from "../attribution/subscriptions.ts";
import { recordPaymentFailure } from "../attribution/payment_failures.ts";
import { SecretBox } from "../lib/crypto.ts";
import { silentLogger } from "../lib/log.ts";
import { verifyDelivery, webhookKey } from "../lib/standard_webhooks.ts";
import { startMailDelivery } from "../mail/mailer.ts";
import type { Config } from "../config.ts";
import {
  automationHistory,
  createAutomation,
  dryRun,
  findAutomation,
  runAllAutomations,
  setEnabled,
  webhookSecret,
} from "./automations.ts";
import { createSegment } from "./segments.ts";
import { customerTags } from "./tags.ts";
import { listNotes } from "./notes.ts";

/** A local HTTP receiver that keeps every request (a Slack or webhook stand-in). */
function receiver() {
  const got: Array<{ path: string; headers: Headers; body: string }> = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    got.push({ path: new URL(req.url).pathname, headers: req.headers, body: await req.text() });
    return new Response("ok");
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, got, close: () => server.shutdown() };
}

async function context(db: TestDatabase) {
  return {
    db,
    secrets: await SecretBox.fromSecret("test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"),
    config: { OUTBOUND_ALLOW_PRIVATE: true } as Config,
    log: silentLogger,
  };
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `a purchase automation runs every action once, over SMTP, Slack and a signed webhook (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      const smtp = await smtpSink();
      const slack = receiver();
      const hook = receiver();
      const mail = startMailDelivery(db.sql, {
        smtpUrl: smtp.url,
        from: "Sextant <no-reply@sextant.test>",
        log: silentLogger,
        intervalMs: 60_000,
      });
      try {
        const ctx = await context(db);
        const { site } = await createSiteWithOwner(db.sql);
        const buy = (email: string, amount: number, key: string) =>
          recordPurchase({ db }, {
            siteId: site.id,
            provider: "stripe",
            key,
            ts: new Date(),
            kind: "one_time",
            amountMinor: amount,
            currency: "USD",
            email,
            origin: "webhook",
          });
        // Before the automation exists: never acted on.
        await buy("early@example.com", 50_000, "k0");
        const a = await createAutomation(ctx, site, {
          name: "Big buyers",
          trigger: "purchase",
          conditions: JSON.stringify({
            match: "all",
            conditions: [{ field: "revenue", op: "gt", value: 10_000 }],
          }),
          addTag: "Big buyer",
          note: "Bought big: {{email}}",
          emailSubject: "Thank you, {{name}}",
          emailBody: "We saw your order.\n\nReply any time.",
          slackUrl: `${slack.url}/services/T0/B0/x`,
          slackText: "{{email}} is a {{status}}",
          webhookUrl: `${hook.url}/hooks/sextant`,
        });
        await buy("small@example.com", 900, "k1");
        await buy("big@example.com", 25_000, "k2");
        await runAllAutomations(ctx);
        await runAllAutomations(ctx);

        const history = await automationHistory(db.sql, site.id, a.id);
        assert.deepEqual(history.map((r) => [r.email, r.status]), [["big@example.com", "done"]]);
        assert.deepEqual(
          history[0].results.map((r) => [r.action, r.ok]),
          [["add_tag", true], ["note", true], ["email", true], ["slack", true], ["webhook", true]],
        );
        const [big] = await db.sql<{ id: number }[]>`
          select id from customers where site_id = ${site.id} and email = 'big@example.com'`;
        assert.deepEqual((await customerTags(db.sql, site.id, big.id)).map((t) => t.name), [
          "Big buyer",
        ]);
        assert.deepEqual((await listNotes(db.sql, site.id, big.id)).map((n) => n.body), [
          "Bought big: big@example.com",
        ]);
        assert.equal(slack.got.length, 1);
        assert.equal(slack.got[0].path, "/services/T0/B0/x");
        assert.deepEqual(JSON.parse(slack.got[0].body), {
          text: "big@example.com is a One-time buyer",
        });
        assert.equal(hook.got.length, 1);
        const secret = await webhookSecret(ctx, await findAutomation(db.sql, site.id, a.id));
        const { id } = await verifyDelivery(
          webhookKey(secret!),
          hook.got[0].body,
          hook.got[0].headers,
        );
        assert.match(id, /^auto_/);
        const payload = JSON.parse(hook.got[0].body);
        assert.equal(payload.customer.email, "big@example.com");
        assert.equal(payload.trigger.kind, "purchase");
        await mail.deliverDue();
        assert.equal(smtp.received.length, 1);
        assert.match(smtp.received[0], /To: big@example.com/);
        assert.match(smtp.received[0], /Subject: Thank you, big@example.com/);

        // The dry run shows who it concerns and that they are done.
        const dry = await dryRun(db.sql, await findAutomation(db.sql, site.id, a.id));
        assert.deepEqual(dry.map((d) => [d.email, d.done]), [
          ["early@example.com", false],
          ["big@example.com", true],
        ]);

        // Disabled, it does nothing; enabled again, only what happens from then on counts.
        await setEnabled(db.sql, site.id, a.id, false);
        await buy("big@example.com", 30_000, "k3");
        await runAllAutomations(ctx);
        await setEnabled(db.sql, site.id, a.id, true);
        await runAllAutomations(ctx);
        assert.equal((await automationHistory(db.sql, site.id, a.id)).length, 1);
        await buy("big@example.com", 30_000, "k4");
        await runAllAutomations(ctx);
        await runAllAutomations(ctx);
        assert.equal((await automationHistory(db.sql, site.id, a.id)).length, 2);
        assert.equal(slack.got.length, 2);
      } finally {
        await mail.stop();
        await smtp.close();
        await slack.close();
        await hook.close();
        await db.close();
      }
    },
  );

  Deno.test(
    `segment, cancellation, inactivity and tag triggers fire once each (${mode})`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const ctx = await context(db);
        const { site } = await createSiteWithOwner(db.sql);
        const now = new Date();
        const vip = await createSegment(db.sql, site.id, {
          name: "VIP",
          rule: { match: "all", conditions: [{ field: "revenue", op: "gt", value: 10_000 }] },
        });
        const already = async (email: string, amount: number, key: string) =>
          await recordPurchase({ db }, {
            siteId: site.id,
            provider: "stripe",
            key,
            ts: now,
            kind: "one_time",
            amountMinor: amount,
            currency: "USD",
            email,
            origin: "webhook",
          });
        await already("was-vip@example.com", 20_000, "a0");
        const make = (name: string, trigger: Record<string, string>) =>
          createAutomation(ctx, site, { name, ...trigger, trigger: trigger.trigger, note: name });
        const entered = await make("Entered", {
          trigger: "entered_segment",
          segmentId: String(vip.id),
        });
        const cancelled = await make("Cancelled", { trigger: "cancellation" });
        const inactive = await make("Quiet", { trigger: "inactive", days: "14" });
        const tagged = await make("Tagged", { trigger: "tag_added", tag: "Coach" });
        await runAllAutomations(ctx);

        // Becomes VIP; someone subscribes then cancels; someone goes quiet; someone is tagged.
        await already("new-vip@example.com", 15_000, "a1");
        await applySubscriptionState({ db }, {
          siteId: site.id,
          provider: "stripe",
          subscriptionId: "sub_c",
          status: "active",
          mrrMinor: 1000,
          currency: "USD",
          email: "leaver@example.com",
          startedAt: daysBefore(now, 40),
          canceledAt: null,
          stateAt: daysBefore(now, 40),
        });
        await applySubscriptionState({ db }, {
          siteId: site.id,
          provider: "stripe",
          subscriptionId: "sub_c",
          status: "canceled",
          mrrMinor: 1000,
          currency: "USD",
          email: "leaver@example.com",
          startedAt: daysBefore(now, 40),
          canceledAt: now,
          stateAt: now,
        });
        // Quiet for 20 days: 14 days quiet 6 days ago, which counts if the automation has been
        // running for three weeks. The leaver, quiet since joining 40 days ago, crossed 14 days
        // before that and is left alone.
        await db.sql`update customer_automations set active_since = ${daysBefore(now, 21)}
          where id = ${inactive.id}`;
        await insertSession(db.sql, site.id, { visitorId: "q", startedAt: daysBefore(now, 20) });
        await insertIdentify(db.sql, site.id, "q", "quiet@example.com", daysBefore(now, 20));
        await db.sql`update customers set created_at = ${daysBefore(now, 20)}
          where site_id = ${site.id} and email = 'quiet@example.com'`;
        const [coach] = await db.sql<{ id: number }[]>`
          select id from customer_tags where site_id = ${site.id} and name = 'Coach'`;
        const [leaver] = await db.sql<{ id: number }[]>`
          select id from customers where site_id = ${site.id} and email = 'leaver@example.com'`;
        await db.sql`insert into customer_taggings (site_id, customer_id, tag_id)
          values (${site.id}, ${leaver.id}, ${coach.id})`;

        for (let i = 0; i < 3; i++) await runAllAutomations(ctx);
        const who = async (id: number) =>
          (await automationHistory(db.sql, site.id, id)).map((r) => r.email);
        assert.deepEqual(await who(entered.id), ["new-vip@example.com"]);
        assert.deepEqual(await who(cancelled.id), ["leaver@example.com"]);
        assert.deepEqual(await who(inactive.id), ["quiet@example.com"]);
        assert.deepEqual(await who(tagged.id), ["leaver@example.com"]);

        // Leaving and entering the segment again is a new event.
        await db.sql`delete from customer_automation_members
          where automation_id = ${entered.id}
            and customer_id = (select id from customers where email = 'new-vip@example.com'
              and site_id = ${site.id})`;
        await runAllAutomations(ctx);
        await runAllAutomations(ctx);
        assert.deepEqual(await who(entered.id), ["new-vip@example.com", "new-vip@example.com"]);
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test(
  "the payment failed automation fires once per failed payment, retries included",
  inDbMode("server"),
  async () => {
    const db = await createTestDatabase("server");
    try {
      const ctx = await context(db);
      const { site } = await createSiteWithOwner(db.sql);
      const a = await createAutomation(ctx, site, {
        name: "Dunning",
        trigger: "payment_failed",
        conditions: JSON.stringify({ match: "all", conditions: [] }),
        addTag: "Card trouble",
        note: "A payment failed",
      });
      const fail = (key: string, email: string, subscriptionId?: string) =>
        recordPaymentFailure(db.sql, {
          siteId: site.id,
          provider: "stripe",
          key,
          ts: new Date(),
          subscriptionId,
          email,
          amountMinor: 2900,
          currency: "usd",
        });
      assert.equal(await fail("invoice:in_1:attempt:1", "card@example.com", "sub_1"), true);
      await runAllAutomations(ctx);
      // Stripe retries the card: a second failure of the same invoice is a second run. The
      // same attempt delivered again is stored once.
      assert.equal(await fail("invoice:in_1:attempt:2", "card@example.com", "sub_1"), true);
      assert.equal(await fail("invoice:in_1:attempt:2", "card@example.com", "sub_1"), false);
      // A platform reporting only states: falling past due is one failure, staying there none.
      const state = (status: string, stateAt: Date) =>
        applySubscriptionState({ db }, {
          siteId: site.id,
          provider: "whop",
          subscriptionId: "mem_1",
          status,
          mrrMinor: 1500,
          currency: "USD",
          email: "late@example.com",
          startedAt: daysBefore(new Date(), 40),
          canceledAt: null,
          stateAt,
        });
      await state("active", daysBefore(new Date(), 3));
      await state("past_due", daysBefore(new Date(), 2));
      await state("past_due", daysBefore(new Date(), 1));
      await runAllAutomations(ctx);
      await runAllAutomations(ctx);

      const history = await automationHistory(db.sql, site.id, a.id);
      assert.deepEqual(history.map((r) => r.email).sort(), [
        "card@example.com",
        "card@example.com",
        "late@example.com",
      ]);
      assert.ok(history.every((r) => r.status === "done"));
      const [card] = await db.sql<{ id: number }[]>`
        select id from customers where site_id = ${site.id} and email = 'card@example.com'`;
      assert.equal((await listNotes(db.sql, site.id, card.id)).length, 2);
    } finally {
      await db.close();
    }
  },
);
