import assert from "node:assert/strict";
import { geolocate } from "./geo.ts";

Deno.test("public addresses resolve to country, region, city and coarse coordinates offline", () => {
  const gb = geolocate("81.2.69.142");
  assert.equal(gb.country, "GB");
  assert.ok(gb.city.length > 0);
  assert.ok(gb.region.length > 0);
  assert.ok(gb.lat !== null && Math.abs(gb.lat - 51.4) < 1);
  // Rounded to a tenth of a degree: never precise enough to point at a building.
  assert.equal(Math.round(gb.lat! * 10) / 10, gb.lat);
  const us = geolocate("8.8.8.8");
  assert.equal(us.country, "US");
  const v6 = geolocate("2a00:1450:4001:82b::200e");
  assert.equal(v6.country, "DE", "IPv6 addresses are looked up too");
  assert.equal(v6.city, "Frankfurt am Main");
  assert.ok(v6.lat !== null && Math.abs(v6.lat - 50.1) < 1);
});

Deno.test("private, loopback and malformed addresses are unknown, not errors", () => {
  for (const ip of ["127.0.0.1", "10.1.2.3", "::1", "", "not-an-ip", "999.1.1.1"]) {
    const g = geolocate(ip);
    assert.deepEqual(g, { country: "", region: "", city: "", lat: null, lon: null }, ip);
  }
});
