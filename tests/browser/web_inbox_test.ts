/**
 * The web inbox in a real browser: headless Chromium (Debian's package,
 * provisioned like the other test peers) driven by playwright-core, against
 * real smtpmail and popserver processes. Logs in, sees the seed mail sent
 * through our SMTP server, sees new mail appear without a reload, opens a
 * mail (with the keyboard too), opens an HTML mail whose script must not
 * run, downloads an attachment, deletes, checks that the pages fit a
 * phone's screen, and logs out.
 *
 * With `MAIL_SCREENSHOTS=DIR` it saves the list, a message and the list on
 * a phone as `web-inbox-list.png`, `web-inbox-message.png` and
 * `web-inbox-phone.png` in DIR (the README shows those of `docs/`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { withBrowser } from "../helpers/browser.ts";
import { peer, peerTest } from "../helpers/peers.ts";
import { passwordOf } from "../helpers/pop3_client.ts";
import { sendMessages } from "../helpers/pop3_server.ts";
import { withWebServers } from "../helpers/web_server.ts";

/** The assignment's mail, as its client sends it. */
const SEED = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Meeting on Monday",
  "",
  "Hi Andrew,",
  "",
  "the lab meeting moves to Monday at 10.",
  "",
  "Stallings",
  "",
].join("\r\n");

/** HTML whose script would mark the document, and a remote image that must stay blocked. */
const SCRIPTED = [
  "From: Fourouzan <fourouzan@localhost>",
  "To: andrew@localhost",
  "Subject: Newsletter with a script",
  "MIME-Version: 1.0",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<h1 id="headline">Spring issue</h1>',
  '<script>document.body.dataset.ran = "yes"; document.getElementById("headline").textContent = "hacked";</script>',
  '<img src="http://127.0.0.1:9/pixel.png" alt="remote">',
  "",
].join("\r\n");

/** A mail with a text file attached. */
const ATTACHED = [
  "From: stallings@localhost",
  "To: andrew@localhost",
  "Subject: Notes attached",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "The notes are attached.",
  "--b1",
  'Content-Type: text/plain; name="notes.txt"',
  'Content-Disposition: attachment; filename="notes.txt"',
  "Content-Transfer-Encoding: base64",
  "",
  btoa("Chapter 3: SMTP\nChapter 4: POP3\n"),
  "--b1--",
  "",
].join("\r\n");

/** The id of the newest message on the list page. */
async function firstId(page: Page): Promise<string> {
  const href = await page.locator("td.subject a").first().getAttribute("href");
  return decodeURIComponent(href!.replace(/^\/messages\//, ""));
}

peerTest(
  peer("chromium"),
  "Web inbox in Chromium: log in, read, HTML without script, download, delete, log out",
  () =>
    withWebServers(async ({ smtp, url }) => {
      await sendMessages(smtp.port, [SEED, SCRIPTED, ATTACHED]);
      await withBrowser(async (browser) => {
        const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 700 } });
        const page = await context.newPage();
        const shots = Deno.env.get("MAIL_SCREENSHOTS");

        await page.goto(url);
        await page.fill('input[name="user"]', "Andrew");
        await page.fill('input[name="password"]', passwordOf("Andrew"));
        await page.press('input[name="password"]', "Enter");
        await page.waitForURL(url);
        const subjects = () => page.locator("td.subject a").allTextContents();
        assert.deepEqual(await subjects(), ["Notes attached", "Newsletter with a script", "Meeting on Monday"]);

        // New mail shows up without a reload (the page polls the API).
        await sendMessages(smtp.port, [SEED.replace("Meeting on Monday", "Room changed")]);
        await page.locator("td.subject a", { hasText: "Room changed" }).waitFor({ timeout: 20_000 });
        assert.match(await page.locator("#new-mail").textContent() ?? "", /1 new message/);
        if (shots) await page.screenshot({ path: join(shots, "web-inbox-list.png") });

        // With the keyboard alone: Tab to the first subject, Enter opens it.
        for (let tabs = 0; tabs < 20; tabs++) {
          await page.keyboard.press("Tab");
          if (await page.evaluate("document.activeElement?.closest('td.subject') !== null")) break;
        }
        await page.keyboard.press("Enter");
        await page.locator("h1", { hasText: "Room changed" }).waitFor();
        await page.goto(url);
        await page.click("text=Meeting on Monday");
        assert.match(await page.locator("section.text pre").textContent() ?? "", /moves to Monday at 10/);
        assert.equal(await page.locator("dl.headers dd").first().textContent(), "stallings@localhost");

        await page.goto(url);
        await page.click("text=Newsletter with a script");
        const frame = page.frameLocator("iframe");
        assert.equal(await frame.locator("#headline").textContent(), "Spring issue");
        assert.equal(await frame.locator("body").getAttribute("data-ran"), null);
        assert.ok(await page.locator("text=Remote images are blocked").isVisible());
        if (shots) await page.screenshot({ path: join(shots, "web-inbox-message.png"), fullPage: true });

        await page.goto(url);
        await page.click("text=Notes attached");
        const [download] = await Promise.all([page.waitForEvent("download"), page.click("text=notes.txt")]);
        assert.equal(download.suggestedFilename(), "notes.txt");
        const saved = await download.path();
        assert.equal(await Deno.readTextFile(saved), "Chapter 3: SMTP\nChapter 4: POP3\n");

        await page.click("text=Delete");
        await page.locator("h1", { hasText: "Delete 1 message?" }).waitFor();
        await page.click('button:has-text("Delete")');
        await page.waitForURL(url);
        assert.deepEqual(await subjects(), ["Room changed", "Newsletter with a script", "Meeting on Monday"]);

        // On a phone's screen nothing runs off the side.
        const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
        await phone.addCookies(await context.cookies());
        const small = await phone.newPage();
        for (const path of ["/", `/messages/${encodeURIComponent(await firstId(page))}`]) {
          await small.goto(new URL(path, url).href);
          const overflow = await small.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
          assert.ok(overflow <= 0, `${path} is ${overflow} px too wide on a phone`);
          if (shots && path === "/") await small.screenshot({ path: join(shots, "web-inbox-phone.png") });
        }
        await phone.close();

        await page.click('button:has-text("Log out")');
        await page.waitForURL(new URL("/login", url).href);
        const response = await page.goto(url);
        assert.equal(response?.status(), 401);
        await context.close();
      });
    }),
);
