/**
 * Runs named jobs on intervals, never two runs of the same job at once. Stopping waits for runs
 * in progress. Jobs that must run on only one instance take an advisory lock themselves.
 */
import type { Logger } from "../lib/log.ts";

export interface Scheduler {
  every(name: string, intervalMs: number, run: () => Promise<unknown>): void;
  /** Runs a job now (waiting for a run in progress first); for tests and admin commands. */
  runNow(name: string): Promise<void>;
  /** Starts a run now, or right after the one in progress; unknown names are ignored. */
  kick(name: string): void;
  stop(): Promise<void>;
}

export function createScheduler(log: Logger): Scheduler {
  interface Job {
    run: () => Promise<unknown>;
    timer?: ReturnType<typeof setInterval>;
    current?: Promise<void>;
    /** Kicked during a run: the work that kick announced may have arrived after it began. */
    again?: boolean;
  }
  const jobs = new Map<string, Job>();
  let stopped = false;

  const execute = (name: string) => {
    const job = jobs.get(name);
    if (!job || stopped) return Promise.resolve();
    if (job.current) return job.current;
    const started = performance.now();
    job.current = job.run()
      .then(() =>
        log.debug("job finished", { job: name, ms: Math.round(performance.now() - started) })
      )
      .catch((error) => log.error("job failed", { job: name, error }))
      .finally(() => {
        job.current = undefined;
        if (job.again) {
          job.again = false;
          execute(name);
        }
      });
    return job.current;
  };

  return {
    every(name, intervalMs, run) {
      if (jobs.has(name)) throw new Error(`Job ${name} is already scheduled`);
      const job: Job = { run };
      jobs.set(name, job);
      job.timer = setInterval(() => execute(name), intervalMs);
    },
    async runNow(name) {
      const job = jobs.get(name);
      if (!job) throw new Error(`No job named ${name}`);
      if (job.current) await job.current;
      await execute(name);
    },
    kick(name) {
      const job = jobs.get(name);
      if (!job || stopped) return;
      if (job.current) job.again = true;
      else execute(name);
    },
    async stop() {
      stopped = true;
      for (const job of jobs.values()) clearInterval(job.timer);
      await Promise.all([...jobs.values()].map((j) => j.current));
    },
  };
}
