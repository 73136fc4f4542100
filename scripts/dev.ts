/** `deno task dev`: rebuilds client bundles on change and restarts the server on change. */
import { build } from "./build.ts";

await build();
const watchers = Deno.watchFs(["islands", "lib", "static/app.css", "tracker"].filter((p) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}));
const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--watch=islands/,static/app.css", "main.ts", "--dev", ...Deno.args],
}).spawn();
let timer: ReturnType<typeof setTimeout> | undefined;
for await (const event of watchers) {
  if (event.paths.every((p) => p.includes("/static/build/"))) continue;
  clearTimeout(timer);
  timer = setTimeout(() => {
    build().then(() => console.error("client bundles rebuilt")).catch((e) =>
      console.error(`build failed: ${e.message}`)
    );
  }, 100);
}
await server.status;
