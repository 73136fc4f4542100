/** Every email the product sends about accounts, worded once. */
import { type RenderedEmail, renderEmail } from "./template.tsx";

/** "Confirm your email" with the verification link. */
export function verifyEmailMessage(link: string): RenderedEmail {
  return renderEmail({
    subject: "Confirm your email for Sextant",
    heading: "Confirm your email",
    paragraphs: [
      "Thanks for signing up for Sextant. Confirm this is your address so we can send you " +
      "password resets, invites and alerts.",
    ],
    action: { label: "Confirm my email", url: link },
    footnote:
      "This link works once and expires in 3 days. If you didn't sign up, ignore this email.",
  });
}

/** "Reset your password" with a one-hour link. */
export function resetPasswordMessage(link: string): RenderedEmail {
  return renderEmail({
    subject: "Reset your Sextant password",
    heading: "Reset your password",
    paragraphs: ["Someone (hopefully you) asked to reset the password of your Sextant account."],
    action: { label: "Choose a new password", url: link },
    footnote:
      "This link works once and expires in 1 hour. If you didn't ask for it, ignore this email: " +
      "your password stays the same.",
  });
}

/** Warns of repeated failed sign-ins, with a way to lock the account down ("this wasn't me"). */
export function loginAlertMessage(resetLink: string, forgotLink: string): RenderedEmail {
  return renderEmail({
    subject: "Someone is trying to sign in to your Sextant account",
    heading: "Failed sign-ins on your account",
    paragraphs: [
      "Someone tried to sign in to your Sextant account several times with the wrong password. " +
      "Sextant is slowing them down; you can still sign in as usual.",
      "If that was you, you can ignore this email. If it wasn't you, choose a new password: " +
      "that also signs out every other session.",
    ],
    action: { label: "This wasn't me: reset my password", url: resetLink },
    footnote: `This link works once and expires in 1 hour; after that, use ${forgotLink}.`,
  });
}

/** Tells the account holder their password changed (so a takeover does not go unnoticed). */
export function passwordChangedMessage(resetLink: string): RenderedEmail {
  return renderEmail({
    subject: "Your Sextant password was changed",
    heading: "Your password was changed",
    paragraphs: [
      "The password of your Sextant account was just changed and other devices were signed out.",
      "If this wasn't you, reset your password now.",
    ],
    action: { label: "Reset my password", url: resetLink },
  });
}

/** An invitation to join an organization. */
export function inviteMessage(input: {
  link: string;
  orgName: string;
  inviterName: string;
  role: string;
}): RenderedEmail {
  return renderEmail({
    subject: `${input.inviterName} invited you to ${input.orgName} on Sextant`,
    heading: `Join ${input.orgName} on Sextant`,
    paragraphs: [
      `${input.inviterName} invited you to the ${input.orgName} organization as ${
        article(input.role)
      } ${input.role}. You'll see its sites' visitors and revenue.`,
    ],
    action: { label: "Accept the invitation", url: input.link },
    footnote: "The invitation expires in 7 days. If you weren't expecting it, ignore this email.",
  });
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}
