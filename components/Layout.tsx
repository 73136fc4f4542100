/** The HTML document every page renders into. */
import type { ComponentChildren } from "preact";
import type { Theme } from "../http/theme.ts";

export interface LayoutProps {
  title: string;
  css: string;
  theme: Theme;
  head?: ComponentChildren;
  bodyClass?: string;
  children: ComponentChildren;
}

/** Document shell: meta tags, stylesheet and theme; the page decides everything inside body. */
export function Layout(props: LayoutProps) {
  const themeAttr = props.theme === "system" ? undefined : props.theme;
  return (
    <html lang="en" data-theme={themeAttr}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta
          name="color-scheme"
          content={props.theme === "system" ? "light dark" : props.theme}
        />
        <title>{props.title === "Sextant" ? "Sextant" : `${props.title} · Sextant`}</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={props.css} />
        {props.head}
      </head>
      <body class={props.bodyClass}>{props.children}</body>
    </html>
  );
}
