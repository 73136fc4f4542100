/**
 * What the demo site is made of: a course creator's site, the places its visitors come from,
 * where they live, what they browse with and what they buy. Weights are relative.
 */

export interface Weighted {
  weight: number;
}

/** A way visitors arrive: the landing URL's query and the referrer, as a browser would send. */
export interface TrafficSource extends Weighted {
  label: string;
  query: string;
  referrer: string;
  /** Chance that a session from here ends in a purchase. */
  conversion: number;
  /** Pages visitors from here tend to land on. */
  landings: string[];
}

export const DEMO_DOMAIN = "northstar-courses.com";

export const SOURCES: TrafficSource[] = [
  {
    label: "YouTube video",
    weight: 18,
    query: "utm_source=youtube&utm_medium=video&utm_campaign=launch-video",
    referrer: "https://www.youtube.com/",
    conversion: 0.045,
    landings: ["/courses/launch-your-course", "/"],
  },
  {
    label: "YouTube description",
    weight: 6,
    query: "",
    referrer: "https://m.youtube.com/",
    conversion: 0.035,
    landings: ["/courses/launch-your-course", "/free-workshop"],
  },
  {
    label: "Google search",
    weight: 20,
    query: "",
    referrer: "https://www.google.com/",
    conversion: 0.018,
    landings: ["/blog/price-your-online-course", "/blog/course-launch-checklist", "/"],
  },
  {
    label: "Google Ads",
    weight: 6,
    query: "utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0KCQiA",
    referrer: "https://www.google.com/",
    conversion: 0.03,
    landings: ["/courses/launch-your-course", "/pricing"],
  },
  {
    label: "Instagram",
    weight: 12,
    query: "",
    referrer: "https://l.instagram.com/",
    conversion: 0.005,
    landings: ["/", "/free-workshop"],
  },
  {
    label: "X",
    weight: 6,
    query: "",
    referrer: "https://t.co/",
    conversion: 0.01,
    landings: ["/blog/course-launch-checklist", "/"],
  },
  {
    label: "Newsletter",
    weight: 8,
    query: "utm_source=newsletter&utm_medium=email&utm_campaign=weekly-digest",
    referrer: "",
    conversion: 0.06,
    landings: ["/courses/launch-your-course", "/blog/price-your-online-course"],
  },
  {
    label: "Facebook Ads",
    weight: 5,
    query: "utm_source=facebook&utm_medium=paid_social&utm_campaign=retargeting&fbclid=IwAR2",
    referrer: "https://l.facebook.com/",
    conversion: 0.015,
    landings: ["/pricing", "/courses/launch-your-course"],
  },
  {
    label: "Reddit",
    weight: 4,
    query: "",
    referrer: "https://www.reddit.com/",
    conversion: 0.008,
    landings: ["/blog/price-your-online-course"],
  },
  {
    label: "Product Hunt",
    weight: 2,
    query: "ref=producthunt",
    referrer: "https://www.producthunt.com/",
    conversion: 0.015,
    landings: ["/"],
  },
  {
    label: "LinkedIn",
    weight: 3,
    query: "",
    referrer: "https://www.linkedin.com/",
    conversion: 0.012,
    landings: ["/blog/course-launch-checklist", "/"],
  },
  {
    label: "ChatGPT",
    weight: 2,
    query: "utm_source=chatgpt.com",
    referrer: "https://chatgpt.com/",
    conversion: 0.02,
    landings: ["/blog/price-your-online-course"],
  },
  {
    label: "Direct",
    weight: 14,
    query: "",
    referrer: "",
    conversion: 0.025,
    landings: ["/", "/pricing", "/courses/launch-your-course"],
  },
];

export interface PageInfo {
  path: string;
  title: string;
}

export const PAGES: PageInfo[] = [
  { path: "/", title: "Northstar Courses — launch your online course" },
  { path: "/pricing", title: "Pricing — Northstar Courses" },
  { path: "/courses/launch-your-course", title: "Launch Your Course — Northstar" },
  { path: "/courses/creator-membership", title: "Creator Membership — Northstar" },
  { path: "/free-workshop", title: "Free workshop — Northstar" },
  { path: "/blog/price-your-online-course", title: "How to price your online course" },
  { path: "/blog/course-launch-checklist", title: "The course launch checklist" },
  { path: "/about", title: "About — Northstar Courses" },
  { path: "/checkout", title: "Checkout — Northstar" },
];

/** Real addresses (public networks) the offline geo database places in these countries. */
export const PLACES: Array<Weighted & { ip: string }> = [
  { ip: "69.218.79.43", weight: 9 },
  { ip: "47.185.210.85", weight: 9 },
  { ip: "71.85.171.140", weight: 7 },
  { ip: "74.195.49.158", weight: 4 },
  { ip: "151.240.195.10", weight: 7 },
  { ip: "206.69.154.180", weight: 3 },
  { ip: "212.21.42.124", weight: 4 },
  { ip: "79.246.163.174", weight: 2 },
  { ip: "77.196.160.55", weight: 3 },
  { ip: "80.9.163.49", weight: 2 },
  { ip: "205.189.178.162", weight: 5 },
  { ip: "142.28.132.93", weight: 2 },
  { ip: "120.23.67.249", weight: 4 },
  { ip: "110.33.70.90", weight: 1 },
  { ip: "27.61.39.152", weight: 5 },
  { ip: "115.248.40.133", weight: 2 },
  { ip: "64.215.19.229", weight: 3 },
  { ip: "201.32.122.124", weight: 1 },
  { ip: "86.95.13.102", weight: 3 },
  { ip: "83.48.235.89", weight: 2 },
  { ip: "95.205.130.72", weight: 2 },
  { ip: "122.133.203.148", weight: 2 },
  { ip: "189.228.155.130", weight: 2 },
  { ip: "102.89.30.208", weight: 2 },
  { ip: "45.222.80.34", weight: 2 },
  { ip: "58.185.254.126", weight: 2 },
  { ip: "87.31.31.20", weight: 2 },
  { ip: "89.69.75.129", weight: 1 },
  { ip: "31.213.234.102", weight: 2 },
  { ip: "202.49.22.110", weight: 1 },
  { ip: "148.253.57.45", weight: 1 },
  { ip: "154.154.114.194", weight: 1 },
  { ip: "181.165.195.235", weight: 1 },
  { ip: "14.63.100.117", weight: 1 },
];

export const USER_AGENTS: Array<Weighted & { ua: string; screen: string }> = [
  {
    weight: 26,
    screen: "1440x900",
    ua:
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  },
  {
    weight: 18,
    screen: "1920x1080",
    ua:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36",
  },
  {
    weight: 22,
    screen: "390x844",
    ua:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
  },
  {
    weight: 14,
    screen: "412x915",
    ua:
      "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36",
  },
  {
    weight: 7,
    screen: "1512x982",
    ua:
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15",
  },
  {
    weight: 5,
    screen: "1920x1080",
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0",
  },
  {
    weight: 4,
    screen: "1366x768",
    ua:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0",
  },
  {
    weight: 4,
    screen: "820x1180",
    ua:
      "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1",
  },
];

export interface Product extends Weighted {
  name: string;
  amountMinor: number;
  currency: string;
  subscription: boolean;
}

export const PRODUCTS: Product[] = [
  {
    name: "Launch Your Course",
    amountMinor: 19900,
    currency: "USD",
    subscription: false,
    weight: 50,
  },
  {
    name: "Creator Membership",
    amountMinor: 2900,
    currency: "USD",
    subscription: true,
    weight: 30,
  },
  {
    name: "Course Pricing Playbook",
    amountMinor: 1900,
    currency: "USD",
    subscription: false,
    weight: 12,
  },
  {
    name: "Launch Your Course",
    amountMinor: 18900,
    currency: "EUR",
    subscription: false,
    weight: 8,
  },
];

export const LANGUAGES = ["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "en-IN", "ja-JP"];

/** A small deterministic random generator (mulberry32), so the demo looks the same each time. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    weighted: <T extends Weighted>(items: readonly T[]) => {
      const total = items.reduce((s, i) => s + i.weight, 0);
      let r = next() * total;
      for (const i of items) if ((r -= i.weight) < 0) return i;
      return items[items.length - 1];
    },
    id: (len = 16) => {
      const abc = "abcdefghijklmnopqrstuvwxyz0123456789";
      let s = "";
      for (let i = 0; i < len; i++) s += abc[Math.floor(next() * abc.length)];
      return s;
    },
    uuid: () => {
      const h = () => Math.floor(next() * 0x10000).toString(16).padStart(4, "0");
      return `${h()}${h()}-${h()}-4${h().slice(1)}-${(8 + Math.floor(next() * 4)).toString(16)}${
        h().slice(1)
      }-${h()}${h()}${h()}`;
    },
  };
}

export type Rng = ReturnType<typeof rng>;
