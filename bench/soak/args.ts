/**
 * The soak's command line.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The servers the soak knows. */
export const SERVERS = ["smtp", "pop3"] as const;

/** One of `SERVERS`. */
export type ServerName = typeof SERVERS[number];

/** What the command line asks for. */
export interface SoakOptions {
  /** Sessions per server. */
  sessions: number;
  /** Sessions open at once. */
  concurrency: number;
  /** Servers to soak, in order. */
  servers: ServerName[];
  /** Directory for the pictures and CSV files. */
  out: string;
  /** Session kinds to keep (all when empty), to isolate a leak. */
  only: string[];
  /** Seconds between progress lines. */
  intervalSeconds: number;
  /** Minutes after which a server's load stops starting sessions, however many are left; undefined for no limit. */
  maxMinutes?: number;
}

/** One-line usage. */
export const SOAK_USAGE = "usage: deno task soak [--sessions N] [--concurrency N] [--servers smtp,pop3] " +
  "[--out DIR] [--only KIND,...] [--interval SECONDS] [--max-minutes M]";

/** Parses a positive integer flag; undefined when it is not one. */
function positive(text: string): number | undefined {
  return /^\d{1,12}$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

/**
 * Parses the soak's flags.
 *
 * @returns the options, or one line saying what is wrong
 */
export function parseSoakArgs(args: string[]): { options: SoakOptions } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        sessions: { type: "string", default: "1000000" },
        concurrency: { type: "string", default: "100" },
        servers: { type: "string", default: SERVERS.join(",") },
        out: { type: "string", default: "bench/soak-results" },
        only: { type: "string", default: "" },
        interval: { type: "string", default: "10" },
        "max-minutes": { type: "string" },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message.replace(/\s*\n\s*/g, " ") };
  }
  const sessions = positive(values.sessions);
  if (sessions === undefined) return { error: `Cannot parse --sessions: ${values.sessions}` };
  const concurrency = positive(values.concurrency);
  if (concurrency === undefined) return { error: `Cannot parse --concurrency: ${values.concurrency}` };
  const intervalSeconds = positive(values.interval);
  if (intervalSeconds === undefined) return { error: `Cannot parse --interval: ${values.interval}` };
  const maxText = values["max-minutes"];
  const maxMinutes = maxText === undefined ? undefined : positive(maxText);
  if (maxText !== undefined && maxMinutes === undefined) return { error: `Cannot parse --max-minutes: ${maxText}` };
  const servers = values.servers.split(",").map((s) => s.trim());
  const unknown = servers.find((s) => !(SERVERS as readonly string[]).includes(s));
  if (unknown !== undefined || servers.length === 0) {
    return { error: `Cannot parse --servers: ${values.servers} (choose from ${SERVERS.join(",")})` };
  }
  if (values.out === "") return { error: "Cannot use an empty --out" };
  const only = values.only === "" ? [] : values.only.split(",").map((s) => s.trim());
  return {
    options: {
      sessions,
      concurrency,
      servers: [...new Set(servers)] as ServerName[],
      out: values.out,
      only,
      intervalSeconds,
      maxMinutes,
    },
  };
}
