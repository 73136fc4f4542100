/**
 * The one look of every email Sextant sends: a plain branded HTML body (inline styles, since mail
 * clients drop stylesheets) and a text twin. Preact renders the HTML, so user strings are escaped.
 */
import { renderToString } from "preact-render-to-string";

export interface EmailContent {
  subject: string;
  /** First line of the body. */
  heading: string;
  /** Paragraphs of plain text (never HTML). */
  paragraphs: string[];
  /** Small tables of figures (plain text cells) under the paragraphs, each with a title. */
  tables?: { title?: string; head: string[]; rows: string[][] }[];
  /** The one thing to click. */
  action?: { label: string; url: string };
  /** Small print under the button (why you got this, when the link expires). */
  footnote?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const ACCENT = "#0f766e";

/** Renders an email's HTML and text bodies from its content. */
export function renderEmail(content: EmailContent): RenderedEmail {
  const html = "<!DOCTYPE html>" + renderToString(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{content.subject}</title>
      </head>
      <body style="margin:0;padding:24px 12px;background:#f7f8fa;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a1f27">
        <table
          role="presentation"
          width="100%"
          style="max-width:520px;margin:0 auto;background:#ffffff;border:1px solid #dfe3e8;border-radius:10px"
        >
          <tr>
            <td style="padding:24px">
              <p style={`margin:0 0 16px;font-weight:700;font-size:16px;color:${ACCENT}`}>
                Sextant
              </p>
              <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">{content.heading}</h1>
              {content.paragraphs.map((p) => (
                <p style="margin:0 0 12px;font-size:15px;line-height:1.5">{p}</p>
              ))}
              {content.tables?.map((table) => (
                <>
                  {table.title && (
                    <h2 style="margin:20px 0 4px;font-size:16px;line-height:1.3">{table.title}</h2>
                  )}
                  <table
                    role="presentation"
                    width="100%"
                    style="border-collapse:collapse;margin:8px 0 12px;font-size:14px"
                  >
                    <tr>
                      {table.head.map((h, i) => (
                        <th
                          style={`padding:6px 4px;border-bottom:1px solid #dfe3e8;color:#5b6472;font-weight:600;text-align:${
                            i ? "right" : "left"
                          }`}
                        >
                          {h}
                        </th>
                      ))}
                    </tr>
                    {table.rows.map((row) => (
                      <tr>
                        {row.map((cell, i) => (
                          <td
                            style={`padding:6px 4px;border-bottom:1px solid #eef0f3;${
                              i
                                ? "text-align:right;white-space:nowrap"
                                : "text-align:left;word-break:break-word"
                            }`}
                          >
                            {cell}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </table>
                </>
              ))}
              {content.action && (
                <p style="margin:20px 0">
                  <a
                    href={content.action.url}
                    style={`display:inline-block;background:${ACCENT};color:#ffffff;text-decoration:none;font-weight:600;padding:10px 18px;border-radius:6px`}
                  >
                    {content.action.label}
                  </a>
                </p>
              )}
              {content.action && (
                <p style="margin:0 0 12px;font-size:13px;color:#5b6472;word-break:break-all">
                  Or paste this link into your browser: {content.action.url}
                </p>
              )}
              {content.footnote && (
                <p style="margin:16px 0 0;font-size:13px;color:#5b6472">{content.footnote}</p>
              )}
            </td>
          </tr>
        </table>
      </body>
    </html>,
  );
  const text = [
    content.heading,
    "",
    ...content.paragraphs.flatMap((p) => [p, ""]),
    ...(content.tables ?? []).flatMap((t) => [
      ...(t.title ? [t.title] : []),
      ...[t.head, ...t.rows].map((r) => r.join(" | ")),
      "",
    ]),
    ...(content.action ? [`${content.action.label}: ${content.action.url}`, ""] : []),
    ...(content.footnote ? [content.footnote, ""] : []),
    "— Sextant",
  ].join("\n");
  return { subject: content.subject, html, text };
}
