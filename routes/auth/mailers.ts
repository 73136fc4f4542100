/** Sends the account emails with links built from PUBLIC_URL. */
import type { AppContext } from "../../http/context.ts";
import { issueToken } from "../../accounts/tokens.ts";
import { sendMail } from "../../mail/mailer.ts";
import {
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

/** Emails a one-hour password reset link. */
export async function sendResetEmail(
  app: AppContext,
  user: { id: number; email: string },
): Promise<void> {
  const token = await issueToken(app.db.sql, user.id, "reset_password");
  const link = `${app.config.PUBLIC_URL}/password/reset?token=${encodeURIComponent(token)}`;
  await sendMail(app.db.sql, {
    to: user.email,
    kind: "reset_password",
    message: resetPasswordMessage(link),
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
