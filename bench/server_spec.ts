/**
 * What the SMTP benchmark knows of a server under test: how to start it, how
 * to stop and measure it once started, and what it stored. Types only, shared
 * by the runner (`smtp_bench.ts`, `process.ts`) and the servers
 * (`servers.ts`, `postfix_peer.ts`, the POP3 bench's Dovecot).
 *
 * @module
 */

/** How to start one server process. */
export interface Launch {
  /** Program to run; its process is the one whose memory is measured. */
  cmd: string;
  /** Arguments for `cmd`. */
  args: string[];
  /** When set, the server is ready once a stdout line contains this. */
  readyText?: string;
}

/** One benchmark run of a server: its processes, one per port, and what it stored. */
export interface Prepared {
  /** The processes to start, the i-th listening on the i-th port given to `prepare`. */
  launches: Launch[];
  /**
   * Starts a server that is not one process the bench launches (Postfix: a
   * master that forks its daemons) on the first port, and resolves once it
   * accepts connections; `launches` is then empty.
   */
  start?: () => Promise<StartedServer>;
  /**
   * For a server that queues a message before its 250 and delivers it
   * later: resolves once all `messages` are in the mailbox.
   *
   * @throws {Error} when they are not by `deadline` (a `Date.now()` value), or the mailbox holds a wrong count
   */
  delivered?: (messages: number, deadline: number) => Promise<void>;
  /** Resolves to how many messages were stored, when the server stores any. */
  stored?: () => Promise<number>;
  /** Undoes what `prepare` made outside the temporary directory. */
  cleanup?: () => Promise<void>;
}

/** A server the bench started, however many processes it runs. */
export interface StartedServer {
  /** The last lines it wrote (on stdout and stderr, or to its log), for error reports. */
  output(): string;
  /** Resolves to its peak resident set size in bytes, read while it runs. */
  peakRss(): Promise<number>;
  /** Stops it, and resolves once none of its processes is left. */
  stop(): Promise<void>;
}

/** A server under test. */
export interface ServerSpec {
  /** Short name used in flags and in the table. */
  name: string;
  /** Processes it runs, each on its own port, sharing the load; 1 when unset. */
  processes?: number;
  /** Resolves to why the server cannot run here, or `null` when it can. */
  unavailable(): Promise<string | null>;
  /**
   * Prepares `dir` (an empty temporary directory) and says how to start the
   * server's processes on 127.0.0.1:`ports`.
   */
  prepare(ports: number[], dir: string): Promise<Prepared>;
}
