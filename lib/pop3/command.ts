/**
 * Parsing of POP3 command lines (RFC 1939 §3, RFC 2449 §5) into a
 * discriminated union. No I/O and no replies.
 *
 * @module
 */

/** A successfully parsed command. */
export type Pop3Command =
  | { verb: "USER"; name: string }
  | { verb: "PASS"; password: string }
  | { verb: "LIST" | "UIDL"; msg?: number }
  | { verb: "RETR" | "DELE"; msg: number }
  | { verb: "TOP"; msg: number; lines: number }
  | { verb: "QUIT" | "STAT" | "NOOP" | "RSET" | "CAPA" | "STLS" }
  /** RFC 5034 §4: the mechanism, upper case, and the initial response if given; neither lists the mechanisms. */
  | { verb: "AUTH"; mechanism?: string; initial?: string };

/** Why a line is not a command we carry out. */
export type Pop3CommandError = { error: "unknown"; verb: string } | { error: "syntax"; detail: string };

const NUMBER = /^\d{1,9}$/;

/**
 * Parses one command line (without its line end). Keywords are
 * case-insensitive; arguments are separated by single spaces, except that
 * PASS takes the rest of the line, spaces included (RFC 1939 §7 allows it,
 * and passwords may contain them).
 */
export function parsePop3Command(line: string): Pop3Command | Pop3CommandError {
  const space = line.indexOf(" ");
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const rest = space < 0 ? "" : line.slice(space + 1);
  if (verb === "PASS") {
    return rest === "" ? syntax("PASS needs a password") : { verb, password: rest };
  }
  const args = rest === "" ? [] : rest.split(" ");
  switch (verb) {
    case "USER":
      return args.length === 1 && args[0] !== "" ? { verb, name: args[0] } : syntax("USER needs one name");
    case "QUIT":
    case "STAT":
    case "NOOP":
    case "RSET":
    case "CAPA":
    case "STLS":
      return args.length === 0 ? { verb } : syntax(`${verb} takes no argument`);
    case "AUTH":
      if (args.length === 0) return { verb };
      if (args.length > 2 || args.includes("")) return syntax("expected AUTH mechanism [initial-response]");
      return { verb, mechanism: args[0].toUpperCase(), initial: args[1] };
    case "LIST":
    case "UIDL":
      if (args.length === 0) return { verb };
      return args.length === 1 && NUMBER.test(args[0]) ? { verb, msg: Number(args[0]) } : syntax(NEEDS_NUMBER);
    case "RETR":
    case "DELE":
      return args.length === 1 && NUMBER.test(args[0]) ? { verb, msg: Number(args[0]) } : syntax(NEEDS_NUMBER);
    case "TOP":
      if (args.length === 2 && NUMBER.test(args[0]) && NUMBER.test(args[1])) {
        return { verb, msg: Number(args[0]), lines: Number(args[1]) };
      }
      return syntax("TOP needs a message number and a line count");
  }
  return { error: "unknown", verb };
}

const NEEDS_NUMBER = "expected one message number";

function syntax(detail: string): Pop3CommandError {
  return { error: "syntax", detail };
}
