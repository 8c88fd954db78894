// The web back office in a real headless Chromium, against a real `onsite serve` with
// accounts made through the JSON API and a real technician's device (the client core, as
// the `onsite-device` test program). Run by run.sh; needs ONSITE_BIN and
// ONSITE_DEVICE_BIN.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const ONSITE_BIN = process.env.ONSITE_BIN;
const DEVICE_BIN = process.env.ONSITE_DEVICE_BIN;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SCREENSHOTS = process.env.ONSITE_SCREENSHOTS || "";
if (!ONSITE_BIN || !DEVICE_BIN) {
  throw new Error("set ONSITE_BIN (the onsite command) and ONSITE_DEVICE_BIN (onsite-device)");
}

const ADMIN = { username: "root", password: "root-password-1" };
const OFFICE = { username: "office", password: "office-password-1" };
const TECH = { username: "wang", password: "wang-password-1", display: "王磊" };

let server;
let base;
let dataDir;
let deviceDir;
let browser;

/** Starts `onsite serve` on a free port and resolves with its URL once it listens. */
function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), "onsite-browser-data-"));
  const child = spawn(ONSITE_BIN, ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"], {
    env: {
      ...process.env,
      ONSITE_ADMIN_USERNAME: ADMIN.username,
      ONSITE_ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/onsite listening on (http:\/\/[0-9.:]+)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`onsite serve exited (${code}) before listening:\n${out}\n${err}`)));
  });
}

async function api(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return json;
}

async function token(who, device) {
  const t = await api("POST", "/v1/auth/login", null, {
    username: who.username,
    password: who.password,
    device_id: device,
  });
  return t.access_token;
}

/** The technician's phone: one command of the client core. */
function device(...args) {
  const out = execFileSync(DEVICE_BIN, [deviceDir, ...args], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop());
}

async function newContext() {
  return browser.newContext({ locale: "zh-CN" });
}

async function signIn(page, who) {
  await page.goto(base + "/login");
  await page.fill("#username", who.username);
  await page.fill("#password", who.password);
  await Promise.all([page.waitForNavigation(), page.click("#signin")]);
}

async function shot(page, name) {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

let adminToken;
let officeToken;
let techId;

before(async () => {
  const started = await startServer();
  server = started.child;
  base = started.url;
  adminToken = await token(ADMIN, "browser-test-admin");
  await api("POST", "/v1/admin/users", adminToken, { username: OFFICE.username, display_name: "售后 李", role: "back_office", password: OFFICE.password });
  const tech = await api("POST", "/v1/admin/users", adminToken, { username: TECH.username, display_name: TECH.display, role: "technician", password: TECH.password });
  techId = tech.id;
  officeToken = await token(OFFICE, "browser-test-office");
  deviceDir = mkdtempSync(join(tmpdir(), "onsite-browser-device-"));
  device("sign-in", base, TECH.username, TECH.password);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    // Playwright gives every launch a fresh profile of its own (a --user-data-dir under
    // the temporary directory, removed on close); --user-data-dir itself it refuses.
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  for (const d of [dataDir, deviceDir]) if (d) rmSync(d, { recursive: true, force: true });
});

test("back office: sign in in Chinese, dispatch, see it live on the board, review, return, approve, satisfaction, English", async () => {
  const context = await newContext();
  const page = await context.newPage();
  const violations = [];
  page.on("console", (m) => {
    if (m.type() === "error") violations.push(m.text());
  });
  await page.goto(base + "/login");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.match(await page.textContent("#signin"), /登录/);
  await signIn(page, OFFICE);
  assert.match(page.url(), /\/board$/);
  assert.match(await page.textContent("h1"), /派工看板/);
  // Tokens never in the page's storage: the session is an HttpOnly cookie.
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  assert.equal(await page.evaluate(() => document.cookie.includes("onsite_session")), false);

  // Dispatch a job from a phone call.
  await page.click("text=新建工单");
  await page.fill("#name", "张三");
  await page.fill("#phone", "13800000000");
  await page.fill("#model", "KFR-35GW");
  await page.fill("#fault", "空调不制冷");
  await page.selectOption("#assignee", techId);
  await Promise.all([page.waitForNavigation(), page.click("#create")]);
  assert.match(await page.textContent("#status"), /已派工/);
  assert.match(await page.textContent("#assignee"), /王磊/);
  const job = page.url().match(/\/jobs\/([0-9a-f-]{36})/)[1];
  await shot(page, "job-assigned");

  // The board shows it under the technician; a job made elsewhere appears without a reload.
  await page.goto(base + "/board");
  await page.waitForSelector(`[data-job="${job}"]`);
  await page.waitForFunction(() => document.body.dataset.live === "ready");
  const other = await api("POST", "/v1/jobs", officeToken, {
    customer: { name: "李四", tier: "key", region: "east" },
    product: { model: "XQB-80" },
    fault: "洗衣机漏水",
    complaint: true,
  });
  await page.waitForSelector(`[data-job="${other.id}"]`, { timeout: 10000 });
  await shot(page, "board");
  await page.click("#by-status");
  await page.waitForSelector(`[data-job="${job}"]`);

  // The technician works the job on the phone, with a customer survey, and syncs.
  device("sync");
  device("complete", job, "10", "8", "8", "6", "4", "10", "8", "8", "10", "10", "10");

  // The review queue lists it (pending) without a reload.
  await page.goto(base + "/review");
  await page.waitForSelector(`[data-job="${job}"]`, { timeout: 10000 });
  await page.click(`[data-job="${job}"] a`);
  await page.waitForSelector("#approve");
  const answers = await page.textContent(".answers");
  assert.match(answers, /整体满意度/);
  assert.match(answers, /很满意/);
  assert.match(answers, /不满意/);
  assert.match(await page.textContent("#timeline"), /完工/);
  assert.match(await page.textContent("#history"), /wang|王磊/);
  await shot(page, "job-review");

  // Return with a comment: the device gets the comment by sync, the technician fixes
  // the job and resubmits, and it is back in the queue (without a reload) to approve.
  await page.fill("#comment", "请补充维修说明");
  await Promise.all([page.waitForNavigation(), page.click("#return")]);
  assert.match(await page.textContent("#review-state"), /已退回/);
  device("sync");
  const returned = device("show", job);
  assert.equal(returned.review_state, "Returned");
  assert.equal(returned.comment, "请补充维修说明");

  await page.goto(base + "/review");
  await page.waitForFunction(() => document.body.dataset.live === "ready");
  assert.equal(await page.$(`[data-job="${job}"]`), null, "not pending while returned");
  device("resubmit", job, "继电器型号 RELAY-01，试机30分钟");
  await page.waitForSelector(`[data-job="${job}"]`, { timeout: 10000 });
  await page.click(`[data-job="${job}"] a`);
  await page.waitForSelector("#approve");
  await Promise.all([page.waitForNavigation(), page.click("#approve")]);
  assert.match(await page.textContent("#review-state"), /已通过/);
  device("sync");
  assert.equal(device("show", job).review_state, "Approved");

  // Satisfaction for this month, against the JSON API's figures.
  await page.goto(base + "/reports/satisfaction");
  const month = await page.inputValue("#month");
  const figures = await api("GET", `/v1/reports/satisfaction?month=${month}`, officeToken);
  const surveyDegree = `${figures.total.survey.degree_pct.toFixed(1)} %`;
  assert.equal((await page.textContent('[data-line="survey"] .degree')).trim(), surveyDegree);
  await page.selectOption("#group_by", "technician");
  await Promise.all([page.waitForNavigation(), page.click("#show")]);
  assert.match(await page.textContent("#groups"), /王磊/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#groups-xlsx")]);
  const file = await download.path();
  assert.equal(readFileSync(file).subarray(0, 2).toString(), "PK", "an XLSX is a zip");
  await shot(page, "satisfaction");

  // The other office pages open, in Chinese, with every text translated.
  for (const [path, title] of [
    ["/reports/service-levels", "服务时效"],
    ["/reports/parts", "配件"],
    ["/corrective", "纠正措施"],
    ["/callback", "回访"],
    ["/surveys", "例行调查"],
  ]) {
    const res = await page.goto(base + path);
    assert.equal(res.status(), 200, path);
    assert.equal((await page.textContent("h1")).trim(), title, path);
    assert.doesNotMatch(await page.textContent("main"), /(^|\s)\?(\s|$)/, `${path}: an untranslated text`);
  }
  // The dissatisfied answer (4) opened a corrective action, listed with the job.
  await page.goto(base + "/corrective");
  await page.waitForSelector(`#actions a[href="/jobs/${job}"]`);
  await shot(page, "corrective");

  // English, kept while browsing.
  await page.goto(base + "/reports/satisfaction");
  await Promise.all([page.waitForNavigation(), page.click("#lang-switch")]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.match(await page.textContent("h1"), /Satisfaction/);
  await page.goto(base + "/board");
  assert.match(await page.textContent("h1"), /Dispatch board/);

  assert.deepEqual(violations.filter((v) => /Content Security Policy/i.test(v)), [], "no CSP violation");
  await context.close();
});

test("a technician, and a browser not signed in, get nothing", async () => {
  const context = await newContext();
  const page = await context.newPage();
  const res = await page.goto(base + "/review");
  assert.match(page.url(), /\/login$/);
  assert.equal(res.status(), 200);
  await signIn(page, TECH);
  assert.match(await page.textContent("#error"), /手机应用/);
  const board = await page.goto(base + "/board");
  assert.match(page.url(), /\/login$/, `a technician reaches no page (${board.status()})`);
  await context.close();
});

test("admin: sees the back office's browser among its devices and revokes it", async () => {
  const officeContext = await newContext();
  const officePage = await officeContext.newPage();
  await signIn(officePage, OFFICE);
  assert.match(officePage.url(), /\/board$/);

  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, ADMIN);
  assert.match(page.url(), /\/accounts$/);
  await page.click('[data-account="office"] a');
  const browsers = await page.$$eval("#devices tr[data-device^='web-']", (rows) =>
    rows.filter((r) => r.querySelector("button.revoke")).map((r) => r.dataset.device),
  );
  assert.ok(browsers.length >= 1, "the office's browser is listed");
  await shot(page, "account-devices");
  for (const id of browsers) {
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-device="${id}"] button.revoke`)]);
    assert.notEqual((await page.textContent(`tr[data-device="${id}"] .revoked`)).trim(), "");
  }
  // The office's page is signed out at its next request.
  await officePage.goto(base + "/board");
  assert.match(officePage.url(), /\/login\?ended=1$/);
  await officeContext.close();
  await context.close();
});
