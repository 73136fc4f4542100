/**
 * Typed domain errors. Domain code throws these; the HTTP error handler turns them into a status
 * and a sentence a person understands.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing does not exist, or the caller may not know it exists. */
export class NotFound extends AppError {
  constructor(message = "We couldn't find that page.") {
    super(404, message, "not_found");
  }
}

/** The caller is known but may not do this. */
export class Forbidden extends AppError {
  constructor(message = "You don't have permission to do that.") {
    super(403, message, "forbidden");
  }
}

/** The caller is not signed in or the credentials are wrong. */
export class Unauthorized extends AppError {
  constructor(message = "Please sign in to continue.") {
    super(401, message, "unauthorized");
  }
}

/** Input is wrong; `field` names what to fix. */
export class Invalid extends AppError {
  constructor(readonly field: string, message: string) {
    super(400, message, "invalid", { field });
  }
}

/** The request conflicts with existing state (duplicate email, domain taken…). */
export class Conflict extends AppError {
  constructor(message: string) {
    super(409, message, "conflict");
  }
}

/** Too many requests; `retryAfter` in seconds. */
export class TooManyRequests extends AppError {
  constructor(readonly retryAfter: number, message = "Too many requests. Please slow down.") {
    super(429, message, "rate_limited", { retryAfter });
  }
}

/** We are temporarily unable to accept work; `retryAfter` in seconds. */
export class Unavailable extends AppError {
  constructor(readonly retryAfter: number, message = "Sextant is busy. Please retry shortly.") {
    super(503, message, "unavailable", { retryAfter });
  }
}

/** The request body is larger than we accept. */
export class PayloadTooLarge extends AppError {
  constructor(message = "That request is too large.") {
    super(413, message, "payload_too_large");
  }
}
