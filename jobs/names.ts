/** Names of jobs that other modules wake (AppContext.wake) when they create work for them. */

/** Turns stored tracker revenue events into purchases. */
export const TRACKER_REVENUE_JOB = "tracker-revenue";
