/** Renders a page: Preact to HTML inside the document layout, plus scripts for its islands. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ComponentChildren } from "preact";
import { renderToString } from "preact-render-to-string";
import { collectIslands } from "../lib/island.ts";
import { manifest } from "./assets.ts";
import type { AppEnv } from "./context.ts";
import { Layout } from "../components/Layout.tsx";
import { readTheme } from "./theme.ts";

export interface PageOptions {
  title: string;
  status?: number;
  headers?: Record<string, string>;
  /** Extra elements for <head> (meta tags, preloads). */
  head?: ComponentChildren;
  /** Extra class names for <body>. */
  bodyClass?: string;
}

/** Renders `body` as a full HTML page; islands inside it get their modules loaded. */
export function renderPage(c: Context<AppEnv>, body: ComponentChildren, opts: PageOptions) {
  const m = manifest();
  const nonce = c.get("nonce") ?? "";
  const { result: html, islands } = collectIslands(() =>
    renderToString(
      <Layout
        title={opts.title}
        css={m.css}
        theme={readTheme(c)}
        head={opts.head}
        bodyClass={opts.bodyClass}
      >
        {body}
      </Layout>,
    )
  );
  let script = "";
  if (islands.length > 0) {
    const imports = islands.map((name, i) => {
      const url = m.islands[name];
      if (!url) throw new Error(`Island "${name}" is not in the build; run deno task build.`);
      return `import I${i} from ${JSON.stringify(url)};`;
    });
    const calls = islands.map((name, i) => `h(${JSON.stringify(name)},I${i});`);
    script = `<script type="module" nonce="${nonce}">import{hydrateIsland as h}from ${
      JSON.stringify(m.runtime)
    };${imports.join("")}${calls.join("")}</script>`;
  }
  const doc = "<!DOCTYPE html>" + html.replace("</body>", `${script}</body>`);
  return c.html(doc, (opts.status ?? 200) as ContentfulStatusCode, {
    "Cache-Control": "no-store",
    ...opts.headers,
  });
}
