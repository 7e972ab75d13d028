/**
 * Runs POP3 conversations written as data against a `Pop3Session`, with
 * pretend logins, retrievals, commits and TLS upgrades.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Pop3Security } from "../../lib/pop3/login.ts";
import {
  type LoginResult,
  type MaildropListing,
  type Pop3Action,
  Pop3Session,
  type Pop3Step,
} from "../../lib/pop3/session.ts";

/** One client line and the exact reply lines expected (without CRLF). */
export interface Turn {
  /** The client line, without CRLF. */
  c: string;
  /** The expected reply lines, in full. */
  s: string[];
  /** True when the server must close after this turn. */
  close?: boolean;
}

/** How the pretend world around the session behaves. */
export interface PlayOptions {
  /** Whether the QUIT commit succeeds (default true). */
  commitOk?: boolean;
  /** The session's TLS and login facts (default: a loopback client, no TLS). */
  security?: Pop3Security;
  /** STLS finds the certificate unusable. */
  tlsUnavailable?: boolean;
}

/** What a run leaves behind. */
export interface PlayResult {
  /** The session, for state checks. */
  session: Pop3Session;
  /** The credentials of each login action, in order. */
  logins: { user: string; password: string }[];
  /** How many turns had been played when TLS started, if it did. */
  tlsAfterTurn?: number;
}

const SIZES = [120, 200, 80];

/** A maildrop of three messages with ids uid1..uid3. */
export const MAILDROP: MaildropListing = {
  count: SIZES.length,
  totalSize: SIZES.reduce((a, b) => a + b),
  size: (i) => SIZES[i],
  id: (i) => `uid${i + 1}`,
};

/**
 * Plays the turns against a session. Logins succeed for Andrew/"pw" with
 * MAILDROP, report IN-USE for user "busy", fail otherwise. A retrieve is
 * shown as "<data of uidN[ top K]>"; a commit as "<commit ids>".
 */
export function play(turns: Turn[], options: PlayOptions = {}): PlayResult {
  const session = options.security ? new Pop3Session("pop.test", options.security) : new Pop3Session("pop.test");
  const result: PlayResult = { session, logins: [] };
  assert.equal(session.greeting(), "+OK pop.test POP3 server ready");
  for (const [i, turn] of turns.entries()) {
    let step = session.receive(turn.c);
    const got = [...step.replies];
    while (step.action) {
      const action = step.action;
      step = carryOut(action, session, result, options);
      if (action.type === "starttls" && !options.tlsUnavailable) result.tlsAfterTurn = i + 1;
      got.push(...step.replies);
    }
    assert.deepEqual(got, turn.s, `turn ${i + 1}: ${turn.c}`);
    assert.equal(step.close ?? false, turn.close ?? false, `turn ${i + 1}: close`);
  }
  return result;
}

function carryOut(action: Pop3Action, session: Pop3Session, result: PlayResult, options: PlayOptions): Pop3Step {
  switch (action.type) {
    case "login": {
      result.logins.push({ user: action.user, password: action.password });
      let outcome: LoginResult = { ok: false, reason: "auth" };
      if (action.user.toLowerCase() === "andrew" && action.password === "pw") {
        outcome = { ok: true, user: "Andrew", maildrop: MAILDROP };
      } else if (action.user === "busy") outcome = { ok: false, reason: "in-use" };
      return session.loggedIn(outcome);
    }
    case "retrieve": {
      const top = action.bodyLines === undefined ? "" : ` top ${action.bodyLines}`;
      return { replies: [`<data of ${MAILDROP.id(action.index)}${top}>`] };
    }
    case "starttls":
      return session.tlsReady(!options.tlsUnavailable);
    case "commit": {
      const done = session.committed({ ok: options.commitOk ?? true });
      return { ...done, replies: [`<commit ${[...action.remove].join(",")}>`, ...done.replies] };
    }
  }
}
