/**
 * Signed-out pages: sign up, sign in, sign out, email verification, forgotten password and reset.
 * Every form carries its CSRF token; mistakes come back as sentences beside the form.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { csrfToken } from "../../http/middleware/csrf.ts";
import { loadUser, requireUser } from "../../http/middleware/auth.ts";
import { clientKey } from "../../http/client_ip.ts";
import { signIn, signOut } from "../../http/session_cookie.ts";
import { AuthCard, Notice } from "../../components/AuthCard.tsx";
import { Field, Form } from "../../components/Form.tsx";
import { safeRedirectPath } from "../../lib/redirect.ts";
import { Unauthorized } from "../../lib/errors.ts";
import { MIN_PASSWORD_LENGTH } from "../../accounts/passwords.ts";
import { authenticate, resetPasswordWithToken, signUp, verifyEmail } from "../../accounts/auth.ts";
import { linkProblemSentence } from "../../accounts/auth.ts";
import { findUserByEmail } from "../../accounts/users.ts";
import { workingDemoLogin } from "../../demo/credentials.ts";
import { peekToken } from "../../accounts/tokens.ts";
import {
  assertLoginAllowed,
  clearLoginFailures,
  limitAction,
  recordLoginFailure,
} from "../../accounts/rate_limits.ts";
import { type FormProblem, readForm, tryForm } from "../forms.ts";
import {
  sendLoginAlertEmail,
  sendPasswordChangedEmail,
  sendResetEmail,
  sendVerificationEmail,
} from "./mailers.ts";

const NOTICES: Record<string, string> = {
  "signed-out": "You're signed out.",
  "password-reset": "Your password is changed and other devices are signed out.",
  "account-deleted": "Your account and its data are deleted. Thanks for trying Sextant.",
};

function nextParam(c: Context<AppEnv>, form?: Record<string, string>): string {
  return safeRedirectPath(form?.next ?? c.req.query("next"), "/");
}

async function signupPage(
  c: Context<AppEnv>,
  values: { email?: string; name?: string } = {},
  problem?: FormProblem,
) {
  const next = nextParam(c);
  return renderPage(
    c,
    <AuthCard
      title="Create your account"
      intro="See which traffic source makes you money, live. Free to self-host."
    >
      {problem && !problem.field && <Notice kind="error">{problem.message}</Notice>}
      <Form
        action={`/signup${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}
        csrf={await csrfToken(c)}
      >
        <Field label="Your name" name="name" value={values.name} autocomplete="name" />
        <Field
          label="Email"
          name="email"
          type="email"
          value={values.email}
          required
          autocomplete="email"
          error={problem?.field === "email" ? problem.message : undefined}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          autocomplete="new-password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
          error={problem?.field === "password" ? problem.message : undefined}
        />
        <button type="submit" class="wide">Create account</button>
      </Form>
      <p class="muted small">
        Already have an account?{" "}
        <a href={`/login${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`}>Sign in</a>
      </p>
    </AuthCard>,
    { title: "Sign up", status: problem?.status },
  );
}

async function loginPage(c: Context<AppEnv>, email = "", problem?: FormProblem) {
  const next = nextParam(c);
  const notice = NOTICES[c.req.query("notice") ?? ""];
  const suffix = next !== "/" ? `?next=${encodeURIComponent(next)}` : "";
  const demo = await workingDemoLogin(c.get("app"));
  return renderPage(
    c,
    <AuthCard title="Sign in to Sextant">
      {notice && !problem && <Notice kind="success">{notice}</Notice>}
      {demo && (
        <Notice kind="info">
          This is a demo: sign in as <strong>{demo.email}</strong> with the password{" "}
          <code>{demo.password}</code>.
        </Notice>
      )}
      {problem && <Notice kind="error">{problem.message}</Notice>}
      <Form action={`/login${suffix}`} csrf={await csrfToken(c)}>
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          required
          autocomplete="email"
        />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          autocomplete="current-password"
        />
        <button type="submit" class="wide">Sign in</button>
      </Form>
      <p class="muted small row spread">
        <a href="/password/forgot">Forgot your password?</a>
        <span>
          New here? <a href={`/signup${suffix}`}>Create an account</a>
        </span>
      </p>
    </AuthCard>,
    { title: "Sign in", status: problem?.status },
  );
}

async function forgotPage(
  c: Context<AppEnv>,
  opts: { sent?: boolean; problem?: FormProblem; intro?: string } = {},
) {
  return renderPage(
    c,
    <AuthCard
      title="Reset your password"
      intro={opts.intro ?? "Enter your email and we'll send you a link to choose a new password."}
    >
      {opts.sent && (
        <Notice kind="success">
          If an account uses that address, a reset link is on its way. It works for 1 hour.
        </Notice>
      )}
      {opts.problem && <Notice kind="error">{opts.problem.message}</Notice>}
      <Form action="/password/forgot" csrf={await csrfToken(c)}>
        <Field label="Email" name="email" type="email" required autocomplete="email" />
        <button type="submit" class="wide">Send reset link</button>
      </Form>
      <p class="muted small">
        <a href="/login">Back to sign in</a>
      </p>
    </AuthCard>,
    { title: "Reset password", status: opts.problem?.status },
  );
}

async function resetPage(c: Context<AppEnv>, token: string, problem?: FormProblem) {
  return renderPage(
    c,
    <AuthCard title="Choose a new password">
      {problem && !problem.field && <Notice kind="error">{problem.message}</Notice>}
      <Form action="/password/reset" csrf={await csrfToken(c)}>
        <input type="hidden" name="token" value={token} />
        <Field
          label="New password"
          name="password"
          type="password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          autocomplete="new-password"
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
          error={problem?.field === "password" ? problem.message : undefined}
        />
        <button type="submit" class="wide">Save password and sign in</button>
      </Form>
    </AuthCard>,
    { title: "New password", status: problem?.status },
  );
}

function messagePage(
  c: Context<AppEnv>,
  title: string,
  message: string,
  status: number,
  action?: { href: string; label: string },
) {
  return renderPage(
    c,
    <AuthCard title={title}>
      <Notice kind={status < 400 ? "success" : "error"}>{message}</Notice>
      {action && (
        <p>
          <a class="button" href={action.href}>{action.label}</a>
        </p>
      )}
    </AuthCard>,
    { title, status },
  );
}

export function registerAuthPages(app: Hono<AppEnv>): void {
  app.get("/signup", loadUser(), (c) => {
    if (c.get("user")) return c.redirect(nextParam(c), 303);
    return signupPage(c, { email: c.req.query("email") ?? "" });
  });

  app.post("/signup", async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const result = await tryForm(async () => {
      await limitAction(ctx.bus.kv, "signup", 20, await clientKey(c));
      const { user } = await signUp(ctx.db.sql, {
        email: form.email ?? "",
        password: form.password ?? "",
        name: form.name,
      });
      await sendVerificationEmail(ctx, user);
      await signIn(c, user.id);
      return user;
    });
    if (!result.ok) {
      if (result.problem.status === 409) {
        result.problem = {
          ...result.problem,
          field: "email",
          message:
            "An account with that email already exists. Sign in instead, or reset your password.",
        };
      }
      return signupPage(c, { email: form.email, name: form.name }, result.problem);
    }
    const next = nextParam(c);
    return c.redirect(next === "/" ? "/sites/new?welcome=1" : next, 303);
  });

  app.get("/login", loadUser(), (c) => {
    if (c.get("user")) return c.redirect(nextParam(c), 303);
    return loginPage(c);
  });

  app.post("/login", async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const email = (form.email ?? "").trim();
    const address = await clientKey(c);
    const result = await tryForm(async () => {
      await assertLoginAllowed(ctx.bus.kv, address, email);
      const user = await authenticate(ctx.db.sql, email, form.password ?? "");
      if (!user) {
        const { warnOwner } = await recordLoginFailure(ctx.bus.kv, address, email);
        const owner = warnOwner ? await findUserByEmail(ctx.db.sql, email) : null;
        if (owner) await sendLoginAlertEmail(ctx, owner);
        throw new Unauthorized("That email and password don't match. Check them and try again.");
      }
      await clearLoginFailures(ctx.bus.kv, address, email);
      await signIn(c, user.id);
    });
    if (!result.ok) {
      const res = await loginPage(c, email, result.problem);
      if (result.problem.retryAfter) {
        res.headers.set("Retry-After", String(result.problem.retryAfter));
      }
      return res;
    }
    return c.redirect(nextParam(c), 303);
  });

  app.post("/logout", async (c) => {
    await signOut(c);
    return c.redirect("/login?notice=signed-out", 303);
  });

  app.get("/verify", loadUser(), async (c) => {
    const result = await verifyEmail(c.get("app").db.sql, c.req.query("token") ?? "");
    const signedIn = Boolean(c.get("user"));
    if (!result.ok) {
      return messagePage(c, "That link didn't work", result.message, 400, {
        href: signedIn ? "/account" : "/login",
        label: signedIn ? "Go to your account" : "Sign in",
      });
    }
    return messagePage(c, "Email confirmed", "Thanks — your email address is confirmed.", 200, {
      href: signedIn ? "/" : "/login",
      label: signedIn ? "Continue" : "Sign in",
    });
  });

  app.post("/verify/resend", requireUser(), async (c) => {
    const ctx = c.get("app");
    const user = c.get("user")!;
    if (user.email_verified_at) return c.redirect("/account?done=already-verified", 303);
    await limitAction(ctx.bus.kv, "verify-resend", 5, await clientKey(c), user.email);
    await sendVerificationEmail(ctx, user);
    return c.redirect("/account?done=verification-sent", 303);
  });

  app.get("/password/forgot", (c) => forgotPage(c));

  app.post("/password/forgot", async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const email = (form.email ?? "").trim();
    const result = await tryForm(async () => {
      await limitAction(ctx.bus.kv, "reset", 5, await clientKey(c), email || undefined);
      const user = email ? await findUserByEmail(ctx.db.sql, email) : null;
      // The answer is the same whether or not the account exists, so nobody can probe emails.
      if (user) await sendResetEmail(ctx, user);
    });
    if (!result.ok) return forgotPage(c, { problem: result.problem });
    return forgotPage(c, { sent: true });
  });

  app.get("/password/reset", async (c) => {
    const token = c.req.query("token") ?? "";
    const check = await peekToken(c.get("app").db.sql, "reset_password", token);
    if (!check.ok) {
      return forgotPage(c, {
        problem: { message: linkProblemSentence(check.problem, "reset"), status: 400 },
        intro: "",
      });
    }
    return resetPage(c, token);
  });

  app.post("/password/reset", async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const token = form.token ?? "";
    const result = await tryForm(() =>
      resetPasswordWithToken(ctx.db.sql, token, form.password ?? "")
    );
    if (!result.ok) return resetPage(c, token, result.problem);
    if (!result.value.ok) {
      return forgotPage(c, { problem: { message: result.value.message, status: 400 }, intro: "" });
    }
    const [user] = await ctx.db.sql<{ email: string }[]>`
      select email from users where id = ${result.value.userId}`;
    await sendPasswordChangedEmail(ctx, user.email);
    await signIn(c, result.value.userId);
    return c.redirect("/?notice=password-reset", 303);
  });
}
