import assert from "node:assert/strict";
import { classifySource } from "./source.ts";

const classify = (query: string, referrer = "", hosts = ["example.com"]) =>
  classifySource(new URLSearchParams(query), referrer, hosts);

Deno.test("no referrer and no tags is Direct", () => {
  const a = classify("");
  assert.equal(a.channel, "Direct");
  assert.equal(a.source, "");
});

Deno.test("referrer hosts are normalized to the names people know", () => {
  const cases: Array<[string, string, string]> = [
    ["https://t.co/abc", "X", "Organic Social"],
    ["https://l.facebook.com/l.php?u=x", "Facebook", "Organic Social"],
    ["https://youtu.be/xyz", "YouTube", "Organic Video"],
    ["https://m.youtube.com/watch?v=1", "YouTube", "Organic Video"],
    ["https://www.google.co.uk/", "Google", "Organic Search"],
    ["https://duckduckgo.com/", "DuckDuckGo", "Organic Search"],
    ["https://news.ycombinator.com/item?id=1", "Hacker News", "Organic Social"],
    ["https://lnkd.in/abc", "LinkedIn", "Organic Social"],
    ["https://chatgpt.com/", "ChatGPT", "Referral"],
    ["https://blog.someone.dev/post", "blog.someone.dev", "Referral"],
    ["android-app://com.google.android.gm/", "Gmail", "Email"],
    ["android-app://com.slack/", "Slack", "Organic Social"],
    ["android-app://com.google.android.googlequicksearchbox/", "Google", "Organic Search"],
    ["android-app://org.example.reader/", "org.example.reader", "Referral"],
  ];
  for (const [ref, source, channel] of cases) {
    const a = classify("", ref);
    assert.equal(a.source, source, ref);
    assert.equal(a.channel, channel, ref);
  }
});

Deno.test("a referral from the site itself is not a source", () => {
  assert.equal(classify("", "https://www.example.com/pricing").channel, "Direct");
  assert.equal(classify("", "https://blog.example.com/").channel, "Direct");
  assert.equal(
    classify("", "https://shop.other.com/", ["example.com", "other.com"]).channel,
    "Direct",
  );
});

Deno.test("UTM tags follow GA4's default channel rules", () => {
  const cases: Array<[string, string, string]> = [
    ["utm_source=google&utm_medium=cpc", "Google", "Paid Search"],
    ["utm_source=fb&utm_medium=paid_social", "Facebook", "Paid Social"],
    ["utm_source=ig&utm_medium=social", "Instagram", "Organic Social"],
    ["utm_source=youtube&utm_medium=cpv", "YouTube", "Paid Video"],
    ["utm_source=yt", "YouTube", "Organic Video"],
    ["utm_source=newsletter&utm_medium=email", "newsletter", "Email"],
    ["utm_source=partner&utm_medium=affiliate", "partner", "Affiliates"],
    ["utm_source=criteo&utm_medium=display", "criteo", "Display"],
    ["utm_source=adnet&utm_medium=cpm", "adnet", "Display"],
    ["utm_source=x&utm_medium=ppc&utm_campaign=cross-network-q3", "X", "Cross-network"],
    ["utm_source=amazon&utm_medium=cpc", "Amazon", "Paid Shopping"],
    ["utm_source=pinterest&utm_campaign=summer-shopping", "Pinterest", "Organic Shopping"],
    ["utm_source=podcast&utm_medium=audio", "podcast", "Audio"],
    ["utm_source=sms", "sms", "SMS"],
    ["utm_source=app&utm_medium=push", "app", "Mobile Push Notifications"],
    ["utm_source=someone&utm_medium=banner", "someone", "Display"],
    ["utm_source=someone", "someone", "Unassigned"],
    ["ref=producthunt", "Product Hunt", "Organic Social"],
    ["via=twitter", "X", "Organic Social"],
  ];
  for (const [q, source, channel] of cases) {
    const a = classify(q);
    assert.equal(a.source, source, q);
    assert.equal(a.channel, channel, q);
  }
  const a = classify(
    "utm_source=google&utm_medium=cpc&utm_campaign=Launch&utm_content=hero&utm_term=analytics",
  );
  assert.deepEqual([a.campaign, a.content, a.term], ["Launch", "hero", "analytics"]);
});

Deno.test("click ids without tags mark paid clicks", () => {
  let a = classify("gclid=abc");
  assert.deepEqual([a.source, a.medium, a.channel, a.clickIdType], [
    "Google",
    "cpc",
    "Paid Search",
    "gclid",
  ]);
  a = classify("msclkid=abc");
  assert.deepEqual([a.source, a.channel], ["Bing", "Paid Search"]);
  a = classify("ttclid=abc");
  assert.deepEqual([a.source, a.channel], ["TikTok", "Paid Social"]);
  // Facebook puts fbclid on every outbound link; it is not proof of an ad.
  a = classify("fbclid=abc", "https://l.facebook.com/");
  assert.deepEqual([a.source, a.channel, a.clickIdType], ["Facebook", "Organic Social", "fbclid"]);
  // Tags win over click ids.
  a = classify("gclid=abc&utm_source=newsletter&utm_medium=email");
  assert.deepEqual([a.source, a.channel, a.clickIdType], ["newsletter", "Email", "gclid"]);
});
