/**
 * The version the three programs report with `--version`.
 *
 * @module
 */

/** This release of smtpmail, popserver and mailclient. */
export const VERSION = "0.9.0";
