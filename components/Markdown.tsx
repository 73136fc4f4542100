/**
 * A small markdown renderer for notes: paragraphs, line breaks, `#` headings, `-`/`*` and `1.`
 * lists, `>` quotes, **bold**, *italic*, `code` and [links](https://…). It builds Preact
 * elements and never HTML strings, so every character a person typed is escaped on render;
 * links keep only http, https and mailto addresses and open without the page's referrer.
 */
import type { ComponentChildren, VNode } from "preact";

/** Whether a link target is safe to render as a link. */
export function safeHref(raw: string): string | null {
  const href = raw.trim();
  if (/^mailto:[^\s<>"]+$/i.test(href)) return href;
  try {
    const url = new URL(href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

const INLINE =
  /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*|_[^_\n]+_)|(\[[^\]\n]{1,200}\]\([^)\s]{1,2000}\))/;

/** Inline markup of one line. */
function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const token = m[0];
    if (m[1]) out.push(<code>{token.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong>{inline(token.slice(2, -2))}</strong>);
    else if (m[3]) out.push(<em>{inline(token.slice(1, -1))}</em>);
    else {
      const close = token.indexOf("](");
      const label = token.slice(1, close);
      const href = safeHref(token.slice(close + 2, -1));
      out.push(
        href
          ? <a href={href} rel="noopener noreferrer nofollow" target="_blank">{inline(label)}</a>
          : token,
      );
    }
    rest = rest.slice(m.index + token.length);
  }
  return out;
}

/** Lines joined with line breaks. */
function lines(ls: string[]): ComponentChildren[] {
  return ls.flatMap((l, i) => i === 0 ? inline(l) : [<br key={`br${i}`} />, ...inline(l)]);
}

/** Renders a note's markdown as elements. */
export function Markdown(props: { text: string }): VNode {
  const blocks: VNode[] = [];
  const src = props.text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < src.length) {
    const line = src[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push(
        <p class="md-heading">
          <strong>{inline(heading[2])}</strong>
        </p>,
      );
      i++;
      continue;
    }
    const item = (l: string) => /^\s*([-*]|\d{1,3}[.)])\s+/.exec(l);
    if (item(line)) {
      const ordered = /\d/.test(item(line)![1]);
      const items: VNode[] = [];
      while (i < src.length && item(src[i])) {
        items.push(<li>{inline(src[i].slice(item(src[i])![0].length))}</li>);
        i++;
      }
      blocks.push(ordered ? <ol>{items}</ol> : <ul>{items}</ul>);
      continue;
    }
    if (line.startsWith(">")) {
      const quoted: string[] = [];
      while (i < src.length && src[i].startsWith(">")) quoted.push(src[i++].replace(/^>\s?/, ""));
      blocks.push(<blockquote>{lines(quoted)}</blockquote>);
      continue;
    }
    const para: string[] = [];
    while (
      i < src.length && src[i].trim() && !item(src[i]) && !src[i].startsWith(">") &&
      !/^#{1,3}\s/.test(src[i])
    ) para.push(src[i++]);
    blocks.push(<p>{lines(para)}</p>);
  }
  return <div class="markdown">{blocks}</div>;
}
