/** Sends the account emails with links built from PUBLIC_URL. */
import type { AppContext } from "../../http/context.ts";
import { issueToken } from "../../accounts/tokens.ts";
import { sendMail } from "../../mail/mailer.ts";
import {
  loginAlertMessage,
  passwordChangedMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "../../mail/messages.ts";

/** Emails a fresh verification link to the user's address. */
export async function sendVerificationEmail(
  app: AppContext,
  user: { id: number; email: string },
): Promise<void> {
  const token = await issueToken(app.db.sql, user.id, "verify_email", user.email.toLowerCase());
  const link = `${app.config.PUBLIC_URL}/verify?token=${encodeURIComponent(token)}`;
  await sendMail(app.db.sql, {
    to: user.email,
    kind: "verify_email",
    message: verifyEmailMessage(link),
  });
}

/** A fresh one-hour link that resets the user's password (and signs out other sessions). */
async function resetLink(app: AppContext, userId: number): Promise<string> {
  const token = await issueToken(app.db.sql, userId, "reset_password");
  return `${app.config.PUBLIC_URL}/password/reset?token=${encodeURIComponent(token)}`;
}

/** Emails a one-hour password reset link. */
export async function sendResetEmail(
  app: AppContext,
  user: { id: number; email: string },
): Promise<void> {
  await sendMail(app.db.sql, {
    to: user.email,
    kind: "reset_password",
    message: resetPasswordMessage(await resetLink(app, user.id)),
  });
}

/** Tells the user their password changed, with a way back in if it wasn't them. */
export async function sendPasswordChangedEmail(app: AppContext, email: string): Promise<void> {
  await sendMail(app.db.sql, {
    to: email,
    kind: "password_changed",
    message: passwordChangedMessage(`${app.config.PUBLIC_URL}/password/forgot`),
  });
}

/**
 * Warns the account holder that someone keeps failing to sign in, with a one-hour link that
 * resets the password and signs out every other session ("this wasn't me").
 */
export async function sendLoginAlertEmail(
  app: AppContext,
  user: { id: number; email: string },
): Promise<void> {
  await sendMail(app.db.sql, {
    to: user.email,
    kind: "login_alert",
    message: loginAlertMessage(
      await resetLink(app, user.id),
      `${app.config.PUBLIC_URL}/password/forgot`,
    ),
  });
}
