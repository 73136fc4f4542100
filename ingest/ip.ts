/** IPv4 helpers shared by exclusion rules and the datacenter hint. */

/** The address as a number (IPv4 and IPv4-mapped IPv6), or null when it is not IPv4. */
export function ipv4ToNumber(ip: string): number | null {
  const v = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  const parts = v.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    const x = Number(part);
    if (!/^\d{1,3}$/.test(part) || x > 255) return null;
    n = n * 256 + x;
  }
  return n;
}
