/**
 * Headless Chromium (Debian's `chromium`) driven by npm `playwright-core`,
 * for the web inbox's browser test. Playwright's own browser download does
 * not work here, so it launches the installed one by path, with the flags
 * that keep it off the (closed) network (see DENO.md).
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Runs `fn` with a fresh headless Chromium (Playwright gives it a new profile of its own), closing it afterwards. */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}
