import assert from "node:assert/strict";
import { render } from "preact-render-to-string";
import { PurchaseList } from "./PurchaseList.tsx";
import { feedPurchase } from "../../realtime/live_state.ts";
import type { LivePurchase } from "../../realtime/messages.ts";

function purchase(id: string, currency: string, amountMinor: number): LivePurchase {
  return {
    kind: "purchase",
    siteId: 1,
    ts: "2026-03-01T12:00:00Z",
    purchaseId: id,
    type: "one_time",
    amountMinor,
    currency,
    amountSiteMinor: amountMinor,
    product: "Course",
    visitorId: null,
    source: "Google",
    channel: "Organic Search",
    country: "DE",
    city: "Berlin",
    lat: null,
    lon: null,
  };
}

const html = (list: LivePurchase[]) =>
  render(
    <PurchaseList
      purchases={list.map(feedPurchase)}
      now={Date.parse("2026-03-01T12:05:00Z")}
      fresh={new Set()}
      empty="none yet"
    />,
  );

Deno.test("the purchase feed says so when its amounts are in different currencies", () => {
  const mixed = html([purchase("a", "EUR", 18900), purchase("b", "USD", 19900)]);
  assert.match(mixed, /Mixed currencies \(EUR, USD\)/);
  const one = html([purchase("a", "USD", 18900), purchase("b", "USD", 19900)]);
  assert.doesNotMatch(one, /Mixed currencies/);
});

Deno.test("the purchase feed names the buyer's country with its flag", () => {
  assert.match(html([purchase("a", "USD", 4900)]), /🇩🇪 Germany/);
});
