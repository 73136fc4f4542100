/**
 * Channels, following Google Analytics 4's default channel group: the same ordered rules over
 * source, medium and campaign, so numbers line up with what users already know. One deliberate
 * difference: sources we know to be email clients (Gmail, Outlook) count as Email, not Referral.
 */
import type { SourceCategory } from "./source_names.ts";

export type Channel =
  | "Direct"
  | "Cross-network"
  | "Paid Shopping"
  | "Paid Search"
  | "Paid Social"
  | "Paid Video"
  | "Display"
  | "Paid Other"
  | "Organic Shopping"
  | "Organic Social"
  | "Organic Video"
  | "Organic Search"
  | "Referral"
  | "Email"
  | "Affiliates"
  | "Audio"
  | "SMS"
  | "Mobile Push Notifications"
  | "Unassigned";

export interface ChannelInput {
  /** Normalized source name; "" for direct. */
  source: string;
  category: SourceCategory;
  medium: string;
  campaign: string;
}

const PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SHOP_CAMPAIGN = /^(.*(([^a-df-z]|^)shop|shopping).*)$/;
const SOCIAL_MEDIA = new Set([
  "social",
  "social-network",
  "social-media",
  "sm",
  "social network",
  "social media",
]);
const EMAIL = /^(email|e-mail|e_mail|e mail)$/;
const DISPLAY = new Set(["display", "banner", "expandable", "interstitial", "cpm"]);

/** The GA4 default channel for a session's source, medium and campaign. */
export function channelFor(input: ChannelInput): Channel {
  const source = input.source.toLowerCase();
  const medium = input.medium.toLowerCase();
  const campaign = input.campaign.toLowerCase();
  const cat = input.category;
  if (!source && (!medium || medium === "(none)" || medium === "(not set)")) return "Direct";
  if (campaign.includes("cross-network")) return "Cross-network";
  const paid = PAID.test(medium);
  const shopCampaign = SHOP_CAMPAIGN.test(campaign);
  if ((cat === "shopping" || shopCampaign) && paid) return "Paid Shopping";
  if (cat === "search" && paid) return "Paid Search";
  if (cat === "social" && paid) return "Paid Social";
  if (cat === "video" && paid) return "Paid Video";
  if (DISPLAY.has(medium)) return "Display";
  if (paid) return "Paid Other";
  if (cat === "shopping" || shopCampaign) return "Organic Shopping";
  if (cat === "social" || SOCIAL_MEDIA.has(medium)) return "Organic Social";
  if (cat === "video" || medium.includes("video")) return "Organic Video";
  if (cat === "search" || medium === "organic") return "Organic Search";
  if (cat === "email" || EMAIL.test(source) || EMAIL.test(medium)) return "Email";
  if (medium === "referral" || medium === "app" || medium === "link") return "Referral";
  if (medium === "affiliate") return "Affiliates";
  if (medium === "audio") return "Audio";
  if (source === "sms" || medium === "sms") return "SMS";
  if (medium.endsWith("push") || medium.includes("mobile") || medium.includes("notification")) {
    return "Mobile Push Notifications";
  }
  if (source === "firebase") return "Mobile Push Notifications";
  return "Unassigned";
}
