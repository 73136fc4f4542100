// Load generator for `deno task bench:ingest`, run by Node in its own process so it does not
// share an event loop with the server. Reads {url, requests, seconds, connections} from the
// JSON file named in argv[2]; prints one JSON line of results. Connections take the prepared
// requests in turn from one shared counter, so every connection sends different visitors.
import autocannon from "autocannon";
import { readFileSync } from "node:fs";

const opts = JSON.parse(readFileSync(process.argv[2], "utf8"));
let next = 0;
const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.seconds,
  pipelining: 1,
  requests: [{
    method: "POST",
    path: "/api/collect",
    setupRequest: (req) => {
      const r = opts.requests[next++ % opts.requests.length];
      return { ...req, path: r.path || req.path, headers: r.headers, body: r.body };
    },
  }],
});
console.log(JSON.stringify({
  requests: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  rps: result.requests.average,
  p50: result.latency.p50,
  p90: result.latency.p90,
  p99: result.latency.p99,
  max: result.latency.max,
  seconds: opts.seconds,
  // The load generator's own CPU, so the bench can show where the machine's time went.
  cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
}));
