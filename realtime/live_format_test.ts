import assert from "node:assert/strict";
import { countryFlag, countryLabel, countryName } from "./live_format.ts";
import { plainValueLabel, valueLabel } from "../analytics/view.ts";

Deno.test("a country code reads as its flag and its name, in the page's language", () => {
  assert.equal(countryFlag("DE"), "🇩🇪");
  assert.equal(countryFlag("us"), "🇺🇸");
  assert.equal(countryLabel("DE"), "🇩🇪 Germany");
  assert.equal(countryName("DE", "de"), "Deutschland");
  assert.equal(countryName("JP", "fr"), "Japon");
});

Deno.test("codes without a name or flag fall back to the code, and empty reads Unknown", () => {
  assert.equal(countryFlag(""), "");
  assert.equal(countryFlag("Europe"), "");
  assert.equal(countryName("QQ"), "QQ");
  assert.equal(countryLabel(""), "Unknown");
  assert.equal(countryName("DE", "not a language tag!"), "DE");
});

Deno.test("dashboard rows name countries while exports keep the stored code", () => {
  assert.equal(valueLabel("country", "GB"), "🇬🇧 United Kingdom");
  assert.equal(plainValueLabel("country", "GB"), "GB");
  assert.equal(valueLabel("country", ""), plainValueLabel("country", ""));
  assert.equal(valueLabel("source", "Google"), "Google");
});
