/**
 * The web inbox's stylesheet and script, served from memory at
 * `/static/…`: no build step, no files to find at run time, nothing from
 * elsewhere.
 *
 * @module
 */

/** The stylesheet: plain, readable on a phone (the table folds into lines), visible focus for the keyboard. */
const STYLE = `
:root { color-scheme: light dark; --line: #8884; --accent: #2563eb; font-family: system-ui, sans-serif; }
body { margin: 0; line-height: 1.4; }
header { display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
header .home { font-weight: bold; }
header .who { margin-left: auto; }
header form { margin: 0; }
main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button, .button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--line); border-radius: .3rem;
  background: transparent; color: inherit; text-decoration: none; cursor: pointer; display: inline-block; }
.danger { border-color: #dc2626; color: #dc2626; }
.login { display: grid; gap: .8rem; max-width: 20rem; }
.login label { display: grid; gap: .2rem; }
input { font: inherit; padding: .3rem; }
.search { display: flex; gap: .5rem; margin-bottom: 1rem; }
.search input { flex: 1; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.size, td.date { white-space: nowrap; }
.pages, .actions { display: flex; gap: 1rem; align-items: center; margin: 1rem 0; flex-wrap: wrap; }
.notice { padding: .5rem; border: 1px solid var(--accent); border-radius: .3rem; }
.error { color: #dc2626; }
dl.headers { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.headers dt { font-weight: bold; }
dl.headers dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
iframe { width: 100%; height: 60vh; border: 1px solid var(--line); background: #fff; }
.meta { opacity: .7; margin-left: .5rem; }
@media (max-width: 40rem) {
  thead { display: none; }
  tr { display: grid; grid-template-columns: 2rem 1fr auto; border-bottom: 1px solid var(--line); padding: .3rem 0; }
  td { border: 0; padding: .1rem .3rem; }
  td:first-child { grid-row: span 3; }
  td.from { grid-column: 2 / 4; font-weight: bold; }
  td.subject { grid-column: 2 / 4; }
  td.date { grid-column: 2; opacity: .7; }
  td.size { grid-column: 3; opacity: .7; }
}
`;

/**
 * The script: on the list, asks the API for the newest message every few
 * seconds (with the session cookie; reading needs no CSRF token: one
 * message, cheap even for a large mailbox), and when it is another than the
 * page's `data-newest`, shows new mail without a reload: on the first page
 * the page is fetched again (a search, only then) and its rows rebuilt (as
 * text, never markup), elsewhere a notice links to the newest. The pages
 * work without it.
 */
const SCRIPT = `
"use strict";
(() => {
  const table = document.getElementById("inbox");
  if (!table) return;
  const notice = document.getElementById("new-mail");
  const { start, limit, query } = table.dataset;
  const size = (n) => n < 1024 ? n + (n === 1 ? " byte" : " bytes")
    : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : (n / 1048576).toFixed(1) + " MiB";
  const cell = (cls, child) => {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.append(child);
    return td;
  };
  const row = (m, checked) => {
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", name: "id", value: m.id, checked: checked.has(m.id) });
    box.setAttribute("form", "selection");
    box.setAttribute("aria-label", "Select");
    const link = document.createElement("a");
    link.href = "/messages/" + encodeURIComponent(m.id);
    link.textContent = m.subject || "(no subject)";
    const time = document.createElement("time");
    time.dateTime = m.date;
    time.textContent = m.date.slice(0, 16).replace("T", " ");
    const tr = document.createElement("tr");
    tr.append(cell("", box), cell("from", m.from || "(no sender)"), cell("subject", link), cell("date", time),
      cell("size", size(m.size)));
    return tr;
  };
  const ask = async (params) => {
    const response = await fetch("/api/v1/messages?" + new URLSearchParams(params), { credentials: "same-origin" });
    return response.ok ? await response.json() : undefined;
  };
  const check = async () => {
    const probe = await ask({ limit: "1" });
    const newest = probe?.messages[0]?.id ?? "";
    if (probe === undefined || newest === table.dataset.newest) return;
    table.dataset.newest = newest;
    if (start !== "0") {
      notice.hidden = false;
      notice.replaceChildren("New mail has arrived. ");
      const link = document.createElement("a");
      link.href = "/" + (query ? "?" + new URLSearchParams({ query }) : "");
      link.textContent = "Show the newest";
      notice.append(link);
      return;
    }
    const list = await ask({ start: "0", limit, query });
    if (list === undefined) return;
    const added = list.total - Number(table.dataset.total);
    table.dataset.total = String(list.total);
    const checked = new Set([...table.querySelectorAll("input:checked")].map((box) => box.value));
    table.tBodies[0].replaceChildren(...list.messages.map((m) => row(m, checked)));
    const range = document.querySelector(".pages span");
    if (range) range.textContent = list.total === 0 ? "No messages" : "1–" + list.messages.length + " of " + list.total;
    if (added > 0) {
      notice.hidden = false;
      notice.textContent = added + " new message" + (added === 1 ? "" : "s");
    }
  };
  setInterval(() => check().catch(() => {}), 3000);
})();
`;

/** The static files by name, with their types. */
export const STATIC_FILES: Readonly<Record<string, { type: string; body: string }>> = {
  "style.css": { type: "text/css; charset=utf-8", body: STYLE },
  "inbox.js": { type: "text/javascript; charset=utf-8", body: SCRIPT },
};
