/**
 * The bench's load generators. wrk (C, from Debian's `wrk` package) is preferred: it spends a
 * fraction of the CPU autocannon does per request, so on a small machine more of it is left to
 * the server under test. autocannon (Node, bench/load.mjs) is the fallback when wrk is not
 * installed. Both send the same prepared requests in turn and answer the same figures.
 */

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  requests: LoadRequest[];
}

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  seconds: number;
  /** CPU the load generator itself used (user + system). */
  cpuMs: number;
  generator: "wrk" | "autocannon";
}

/** True when `wrk` can be run here. */
export async function hasWrk(): Promise<boolean> {
  try {
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** A Lua string literal in long-bracket form whose level never occurs in the text. */
function luaString(s: string): string {
  let level = 0;
  while (s.includes(`]${"=".repeat(level)}]`)) level++;
  const eq = "=".repeat(level);
  // A newline right after the opening bracket is dropped by Lua; lead with one of our own.
  return `[${eq}[\n${s}]${eq}]`;
}

/** The wrk script: every thread sends the prepared requests in turn from its own offset. */
function wrkScript(requests: LoadRequest[]): string {
  const rows = requests.map((r) => {
    const headers = Object.entries(r.headers)
      .map(([k, v]) => `[ ${luaString(k)} ] = ${luaString(v)}`).join(", ");
    return `{${luaString(r.method)}, ${luaString(r.path)}, {${headers}}, ${luaString(r.body)}}`;
  });
  return `
local specs = {
${rows.join(",\n")}
}
local threads, count = {}, 0
function setup(thread)
  count = count + 1
  thread:set("offset", count * 9973)
  table.insert(threads, thread)
end
local prepared, i = {}, 0
function init(args)
  for n, s in ipairs(specs) do prepared[n] = wrk.format(s[1], s[2], s[3], s[4]) end
  i = offset
end
function request()
  i = i + 1
  return prepared[(i % #prepared) + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"non2xx":%d,"errors":%d,"timeouts":%d,"durationUs":%d,' ..
    '"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f}\\n',
    summary.requests, e.status, e.connect + e.read + e.write, e.timeout, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
`;
}

/** Runs wrk through bash so `times` can report its CPU once it exits. */
async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(script, wrkScript(opts.requests));
  try {
    const cmd = `wrk -t2 -c${opts.connections} -d${opts.seconds}s --timeout 10s -s ${script} ${
      new URL("/api/collect", opts.url).href
    } >&2; times`;
    const out = await new Deno.Command("bash", {
      args: ["-c", cmd],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success || stderr.includes(script)) throw new Error(`wrk failed: ${stderr}`);
    const line = stderr.split("\n").find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no figures: ${stderr}`);
    const r = JSON.parse(line);
    // `times` prints the shell's own times, then its children's: "0m1.234s 0m0.567s".
    const children = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    const cpuMs = [...children.matchAll(/(\d+)m([\d.]+)s/g)]
      .reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
    const seconds = r.durationUs / 1e6;
    return {
      requests: r.requests,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      rps: r.requests / seconds,
      p50: r.p50,
      p90: r.p90,
      p99: r.p99,
      max: r.max,
      seconds,
      cpuMs,
      generator: "wrk",
    };
  } finally {
    await Deno.remove(script);
  }
}

/** Runs autocannon in its own Node process (bench/load.mjs). */
async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(opts));
  try {
    const load = await new Deno.Command("node", {
      args: [new URL("./load.mjs", import.meta.url).pathname, file],
      cwd: new URL("../", import.meta.url).pathname,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!load.success) throw new Error("the load generator failed");
    const r = JSON.parse(new TextDecoder().decode(load.stdout).trim().split("\n").pop()!);
    return { ...r, generator: "autocannon" };
  } finally {
    await Deno.remove(file);
  }
}

/** Loads `opts.url` with `generator` and returns its figures. */
export function runLoad(
  generator: "wrk" | "autocannon",
  opts: LoadOptions,
): Promise<LoadResult> {
  return generator === "wrk" ? runWrk(opts) : runAutocannon(opts);
}
