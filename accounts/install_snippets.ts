/** The tracking snippet and how to add it on each platform people build sites with. */

/**
 * The one-line snippet for a site. With heatmaps on it carries data-heatmaps, which makes the
 * tracker load the heatmap module; without it visitors never fetch that module.
 */
export function trackingSnippet(publicUrl: string, publicId: string, heatmaps = false): string {
  return `<script defer data-site="${publicId}"${
    heatmaps ? " data-heatmaps" : ""
  } src="${publicUrl}/s.js"></script>`;
}

/** The same, as a Google Tag Manager Custom HTML tag (GTM re-inserts scripts, so build one). */
export function gtmSnippet(publicUrl: string, publicId: string, heatmaps = false): string {
  return [
    "<script>",
    "  (function () {",
    '    var s = document.createElement("script");',
    `    s.defer = true; s.src = "${publicUrl}/s.js";`,
    `    s.setAttribute("data-site", "${publicId}");`,
    ...(heatmaps ? ['    s.setAttribute("data-heatmaps", "");'] : []),
    "    document.head.appendChild(s);",
    "  })();",
    "</script>",
  ].join("\n");
}

/** A Next.js App Router layout excerpt using next/script. */
export function nextSnippet(publicUrl: string, publicId: string, heatmaps = false): string {
  return [
    'import Script from "next/script";',
    "",
    "// app/layout.tsx, inside <body> (or <head>)",
    `<Script defer data-site="${publicId}"${
      heatmaps ? " data-heatmaps" : ""
    } src="${publicUrl}/s.js" strategy="afterInteractive" />`,
  ].join("\n");
}

export interface PlatformGuide {
  key: string;
  name: string;
  steps: string[];
  /** Which snippet to show: the plain one, GTM's or Next.js's. */
  snippet: "plain" | "gtm" | "next";
  /**
   * Course platforms rarely pass our visitor id to their checkout, so sales are matched by the
   * buyer's email: where to call identify() with it, and the code to paste there.
   */
  identify?: { steps: string[]; code: string };
}

/** Code that calls identify() with `emailExpression`, queued if the tracker isn't loaded yet. */
export function identifySnippet(emailExpression: string): string {
  return [
    "<script>",
    "  window.sextant = window.sextant || function () { (sextant.q = sextant.q || []).push(arguments); };",
    `  sextant("identify", "${emailExpression}");`,
    "</script>",
  ].join("\n");
}

export const PLATFORM_GUIDES: PlatformGuide[] = [
  {
    key: "html",
    name: "Plain HTML",
    snippet: "plain",
    steps: [
      "Paste the snippet inside <head> on every page (your shared layout or header include).",
      "Deploy, then open your site: the status above turns green.",
    ],
  },
  {
    key: "nextjs",
    name: "Next.js",
    snippet: "next",
    steps: [
      "App Router: add the Script element to app/layout.tsx. Pages Router: add it to pages/_app.tsx.",
      "Client-side navigation is tracked automatically; no extra code per page.",
    ],
  },
  {
    key: "wordpress",
    name: "WordPress",
    snippet: "plain",
    steps: [
      "Install a header-code plugin such as WPCode (Insert Headers and Footers).",
      "Code Snippets → Header & Footer → paste the snippet into Header → Save.",
      "Or, with a child theme, paste it into header.php just before </head>.",
    ],
  },
  {
    key: "gtm",
    name: "Google Tag Manager",
    snippet: "gtm",
    steps: [
      "Tags → New → Tag configuration → Custom HTML, and paste the code below.",
      "Triggering → All Pages. Save, then Submit → Publish.",
    ],
  },
  {
    key: "webflow",
    name: "Webflow",
    snippet: "plain",
    steps: [
      "Site settings → Custom code → Head code: paste the snippet.",
      "Save changes, then Publish your site (custom code only runs on the published site).",
    ],
  },
  {
    key: "shopify",
    name: "Shopify",
    snippet: "plain",
    steps: [
      "Online Store → Themes → ⋯ → Edit code → layout/theme.liquid.",
      "Paste the snippet just before </head> and Save.",
      "Add your myshop.myshopify.com address to the allowed hosts in Settings if visitors see it.",
    ],
  },
  {
    key: "kajabi",
    name: "Kajabi",
    snippet: "plain",
    steps: [
      "Settings → Site Details → Page Scripts → Header page scripts: paste the snippet.",
      "Save. Add your mykajabi.com address to the allowed hosts if you use it.",
    ],
    identify: {
      steps: [
        "So Kajabi sales match the visit that brought the buyer: Settings → Site Details → Page " +
        "Scripts → Footer page scripts, paste the code below and Save.",
        "It tells Sextant who is signed in on every members' page, including the first one " +
        "after checkout. If your theme names the member differently, use the email variable " +
        "your theme editor offers.",
      ],
      code: identifySnippet("{{ member.email }}"),
    },
  },
  {
    key: "teachable",
    name: "Teachable",
    snippet: "plain",
    steps: [
      "Site → Code Snippets → Head code: paste the snippet and Save.",
      "Add your teachable.com school address to the allowed hosts if students use it.",
    ],
    identify: {
      steps: [
        "So Teachable sales match the visit that brought the student: Site → Code Snippets → " +
        "Order thank-you page (and Student login, if you have it), paste the code below and Save.",
        "Teachable fills in the student's email. If your editor offers a different variable " +
        "for it, use that one instead.",
      ],
      code: identifySnippet("{{ current_user.email }}"),
    },
  },
  {
    key: "whop",
    name: "Whop",
    snippet: "plain",
    steps: [
      "Whop pages can't run your scripts: add the snippet to your own site or landing page.",
      "When you send visitors to a Whop checkout, pass the visitor id in the checkout " +
      "configuration's metadata as sextant_visitor_id (from sextant.visitorId() in the " +
      "browser); Sextant then matches the payment exactly. Without it, the buyer's email is used.",
    ],
  },
];
