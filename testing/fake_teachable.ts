/**
 * A local stand-in for Teachable's public API v1, for tests: the `apiKey` header, page-numbered
 * transaction lists filtered by `start`/`end` with `meta.number_of_pages`, users, pricing plans
 * and courses, course lists and each course's enrollments (`enrolled_in_after`, page/per), prices
 * in cents, Teachable-shaped errors, 429s with Retry-After, and webhook
 * bodies as Teachable posts them (optionally with a hex HMAC-SHA256 `teachable-signature`).
 * Teachable registers webhooks only in its admin, so there is no endpoint for that.
 * Never the real Teachable.
 */
import { hmacSha256, toHex } from "../lib/crypto.ts";

type Obj = Record<string, unknown> & { id: number };

export interface FakeTeachableKey {
  /** The school's plan includes the API. */
  api?: boolean;
}

const iso = (d: Date | number = new Date()) => new Date(d).toISOString();

export class FakeTeachable {
  readonly keys = new Map<string, FakeTeachableKey>();
  readonly transactions: Obj[] = [];
  readonly users: Obj[] = [];
  readonly plans: Obj[] = [];
  readonly courses: Obj[] = [];
  readonly enrollments: Obj[] = [];
  /** Every request as "METHOD /path?query". */
  readonly requests: string[] = [];
  /** The next this many requests are answered 429 with Retry-After: 0. */
  throttleNext = 0;
  /** Extra delay per transactions page (ms), so a test can watch a backfill progress. */
  pageDelayMs = 0;
  private nextId = 1000;
  private server!: Deno.HttpServer<Deno.NetAddr>;

  /** The API base, as TEACHABLE_API_URL. */
  get url(): string {
    return `http://127.0.0.1:${this.server.addr.port}/v1`;
  }

  /** Starts listening on a free port. */
  static start(): Promise<FakeTeachable> {
    const fake = new FakeTeachable();
    fake.server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => fake.handle(req),
    );
    return Promise.resolve(fake);
  }

  async close(): Promise<void> {
    await this.server.shutdown();
  }

  /** Adds an API key. */
  addKey(opts: FakeTeachableKey = {}): string {
    const key = crypto.randomUUID().replaceAll("-", "").slice(0, 32);
    this.keys.set(key, { api: opts.api ?? true });
    return key;
  }

  private id(): number {
    return this.nextId++;
  }

  /** A course. */
  course(name: string): Obj {
    const c: Obj = { id: this.id(), name, heading: null, is_published: true };
    this.courses.push(c);
    return c;
  }

  /** A pricing plan of a course; `price` in cents. */
  plan(o: {
    courseId: number;
    price: number;
    currency?: string;
    type?: "one_time" | "subscription" | "payment_plan";
    interval?: "month" | "year";
    name?: string;
  }): Obj {
    const type = o.type ?? "one_time";
    const p: Obj = {
      id: this.id(),
      name: o.name ?? (type === "one_time" ? "One-time" : "Monthly"),
      price: o.price,
      currency: o.currency ?? "USD",
      course_id: o.courseId,
      frequency: {
        type,
        billing_interval: type === "one_time" ? null : o.interval ?? "month",
        billing_interval_count: type === "one_time" ? null : 1,
      },
    };
    this.plans.push(p);
    return p;
  }

  /** A school user. */
  user(email: string): Obj {
    const u: Obj = { id: this.id(), email, name: email.split("@")[0], src: null };
    this.users.push(u);
    return u;
  }

  /** A charge; a new sale unless `saleId` continues one (a renewal). */
  transaction(o: {
    userId: number;
    planId: number;
    createdAt?: Date;
    saleId?: number;
    price?: number;
  }): Obj {
    const plan = this.plans.find((p) => p.id === o.planId)!;
    const t: Obj = {
      id: this.id(),
      sale_id: o.saleId ?? this.id(),
      user_id: o.userId,
      course_id: plan.course_id,
      pricing_plan_id: plan.id,
      final_price: o.price ?? plan.price,
      currency: plan.currency,
      created_at: iso(o.createdAt),
      refunded_at: null,
      status: "paid",
      affiliate_fees: 0,
      author_fees: 0,
    };
    this.transactions.push(t);
    return t;
  }

  /** Enrolls a user in a course (an `Enrollment.created` object). */
  enroll(o: { userId: number; courseId: number; at?: Date }): Obj {
    const course = this.courses.find((c) => c.id === o.courseId)!;
    const e: Obj = {
      id: this.id(),
      user_id: o.userId,
      course_id: o.courseId,
      created_at: iso(o.at),
      enrolled_at: iso(o.at),
      expires_at: null,
      completed_at: null,
      percent_complete: 0,
      is_active: true,
      course: { id: course.id, name: course.name },
    };
    this.enrollments.push(e);
    return e;
  }

  /** Disables an enrollment (an `Enrollment.disabled` object). */
  unenroll(enrollmentId: number): Obj {
    const e = this.enrollments.find((x) => x.id === enrollmentId)!;
    e.is_active = false;
    return e;
  }

  /** Refunds a charge, in full or `amount` cents of it. */
  refund(transactionId: number, amount?: number): Obj {
    const t = this.transactions.find((x) => x.id === transactionId)!;
    t.refunded_at = iso();
    t.status = "refunded";
    if (amount !== undefined) t.refunded_amount = amount;
    return t;
  }

  /** The body Teachable posts for an event about `object`. */
  event(type: string, object: Obj) {
    const user = this.users.find((u) => u.id === object.user_id);
    return {
      id: this.id(),
      hook_event_id: this.id(),
      type,
      created: iso(),
      object: { ...object, user: user ? { id: user.id, email: user.email } : undefined },
    };
  }

  /** The hex HMAC-SHA256 of a body under `secret`. */
  async sign(body: string, secret: string): Promise<string> {
    return toHex(await hmacSha256(secret, body));
  }

  /** Posts an event to `url`, signed when `secret` is given; returns the response. */
  async deliver(
    url: string,
    type: string,
    object: Obj,
    secret?: string,
  ): Promise<{ status: number; body: string }> {
    const body = JSON.stringify(this.event(type, object));
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (secret) headers["teachable-signature"] = await this.sign(body, secret);
    const res = await fetch(url, { method: "POST", headers, body });
    return { status: res.status, body: await res.text() };
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.replace(/^\/v1/, "");
    this.requests.push(`${req.method} ${path}${url.search}`);
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return Response.json({ message: "Rate limit exceeded" }, {
        status: 429,
        headers: { "retry-after": "0" },
      });
    }
    const key = this.keys.get(req.headers.get("apikey") ?? "");
    if (!key) return Response.json({ message: "Invalid API key" }, { status: 401 });
    if (!key.api) {
      return Response.json({ message: "Your plan does not include API access" }, { status: 403 });
    }
    if (req.method !== "GET") return Response.json({ message: "Not found" }, { status: 404 });
    const one = /^\/(users|pricing_plans|courses)\/(\d+)$/.exec(path);
    if (one) {
      const list = one[1] === "users"
        ? this.users
        : one[1] === "courses"
        ? this.courses
        : this.plans;
      const found = list.find((x) => x.id === Number(one[2]));
      if (!found) return Response.json({ message: "Not found" }, { status: 404 });
      if (one[1] === "pricing_plans") return Response.json({ pricing_plan: found });
      if (one[1] === "courses") return Response.json({ course: found });
      return Response.json(found);
    }
    if (path === "/courses") return this.page(url.searchParams, "courses", this.courses);
    const ofCourse = /^\/courses\/(\d+)\/enrollments$/.exec(path);
    if (ofCourse) {
      const after = url.searchParams.get("enrolled_in_after");
      const rows = this.enrollments
        .filter((e) =>
          e.course_id === Number(ofCourse[1]) && e.is_active &&
          (!after || String(e.enrolled_at) >= after)
        )
        .map((e) => ({
          user_id: e.user_id,
          enrolled_at: e.enrolled_at,
          expires_at: e.expires_at,
          completed_at: e.completed_at,
          percent_complete: e.percent_complete,
        }));
      return this.page(url.searchParams, "enrollments", rows);
    }
    if (path === "/transactions") {
      if (this.pageDelayMs) await new Promise((r) => setTimeout(r, this.pageDelayMs));
      const q = url.searchParams;
      const start = q.get("start");
      const end = q.get("end");
      const items = this.transactions
        .filter((t) =>
          (!start || String(t.created_at) >= start) && (!end || String(t.created_at) <= end)
        )
        .sort((a, b) => (String(a.created_at) < String(b.created_at) ? 1 : -1));
      return this.page(q, "transactions", items);
    }
    return Response.json({ message: "Not found" }, { status: 404 });
  }

  /** One page of a list, as `{<name>: [...], meta}`. */
  private page(q: URLSearchParams, name: string, items: unknown[]): Response {
    const per = Math.min(100, Number(q.get("per") ?? 20));
    const page = Math.max(1, Number(q.get("page") ?? 1));
    const slice = items.slice((page - 1) * per, page * per);
    return Response.json({
      [name]: slice,
      meta: {
        total: items.length,
        page,
        from: (page - 1) * per + 1,
        to: (page - 1) * per + slice.length,
        per_page: per,
        number_of_pages: Math.max(1, Math.ceil(items.length / per)),
      },
    });
  }
}
