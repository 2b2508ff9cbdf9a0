// The browser journey: a real `lahza serve` on a fresh SQLite database seeded
// by `lahza seed-demo`, Debian chromium driven by playwright-core, clicking
// through what a customer, an operator and an agent do:
//   sign in (PIN, then the OTP that binds this browser), home, a transfer with
//   its receipt, the help centre, a fault injected from the operations view,
//   a failed transfer, "I have a problem" (triage, channel, details,
//   screenshot) that opens a case, the agent resolving it, the customer
//   seeing the answer, and the English switch.
// Each step is a check; a step that cannot run because an earlier one failed
// is counted as failed too (never silently skipped). Screenshots are saved
// under --artifacts. The last line is "web journey: N passed, M failed".
//
// node tests/web/journey.mjs --lahza build/src/cli/lahza --web web --artifacts build/test-artifacts/web
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, value, i, all) => {
  if (value.startsWith('--')) pairs.push([value.slice(2), all[i + 1]]);
  return pairs;
}, []));
const lahza = resolve(args.lahza || join(here, '..', '..', 'build', 'src', 'cli', 'lahza'));
const webDir = resolve(args.web || join(here, '..', '..', 'web'));
const artifacts = resolve(args.artifacts || join(here, '..', '..', 'test-artifacts', 'web'));
mkdirSync(artifacts, { recursive: true });

// playwright-core lives in web/node_modules (npm ci there).
const require = createRequire(join(webDir, 'package.json'));
const { chromium } = require('playwright-core');

const ADMIN = `adm_journey_${process.pid}_${Date.now()}`;
const results = [];
let broken = null;
let seedOutput = '';  // the first failure: later steps that depend on it fail with its name

async function step(name, fn, { independent = false } = {}) {
  if (broken && !independent) {
    results.push([name, false, `not run: depends on "${broken}"`]);
    console.log(`FAIL ${name} — not run: depends on "${broken}"`);
    return undefined;
  }
  const started = Date.now();
  try {
    const value = await fn();
    results.push([name, true, '']);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return value;
  } catch (error) {
    results.push([name, false, error.message]);
    console.log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
    if (!independent) broken = name;
    return undefined;
  }
}

function assert(condition, message) { if (!condition) throw new Error(message); }

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => ok(port)); });
  });
}

const work = mkdtempSync(join(tmpdir(), 'lahza-web-'));
const db = `sqlite:${join(work, 'lahza.db')}`;
let server = null;
let browser = null;
let base = '';

async function api(method, path, body, bearer = ADMIN, device = '') {
  const headers = { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' };
  if (device) headers['X-Device-Id'] = device;
  const response = await fetch(base + path, {
    method, headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: response.status, data };
}

// A clear message when the server lacks a route a step needs (404 from the
// router), rather than a selector timeout.
async function requireRoute(method, path, body) {
  const answer = await api(method, path, body, 'none');
  const code = answer.data && answer.data.error ? answer.data.error.code : '';
  if (answer.status === 404 && (code === 'http.not_found' || code === '')) throw new Error(`the server has no route ${method} ${path} (404 ${code})`);
}

// Agent tokens are issued by the administrator; the server offers it over the
// admin API (POST /api/v1/admin/agents) or the CLI (lahza agent-token).
async function issueAgentToken(agentId, bank) {
  const viaApi = await api('POST', '/api/v1/admin/agents', { agent_id: agentId, bank_code: bank });
  if ((viaApi.status === 200 || viaApi.status === 201) && viaApi.data && viaApi.data.token) return viaApi.data.token;
  // seed-demo may print demo agents' tokens, one line per agent naming its bank.
  for (const line of seedOutput.split('\n')) {
    if (!/agent/i.test(line) || !new RegExp(`\\b${bank}\\b`, 'i').test(line)) continue;
    const token = (line.match(/[A-Za-z0-9_\-]{24,}/g) || []).pop();
    if (token) return token;
  }
  const run = spawnSync(lahza, ['agent-token', '--db', db, '--agent', agentId, '--bank', bank], { encoding: 'utf8', timeout: 60000 });
  const token = run.status === 0 ? run.stdout.trim().split(/\s+/).pop() : '';
  if (token) return token;
  throw new Error(`no way to issue an agent token: POST /api/v1/admin/agents answered ${viaApi.status}; lahza agent-token: ${(run.stderr || '').trim().split('\n')[0]}`);
}

// Saves the screenshot, and on a phone-sized page fails when the content is
// wider than the screen (a layout that breaks at 360 px).
async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (width <= 400 && scroll > width + 1) throw new Error(`${name}: content is ${scroll}px wide on a ${width}px screen`);
  // Every visible form control has an accessible name (a <label>, aria-label
  // or aria-labelledby), and every image a text alternative.
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button, img')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
    .filter((el) => el.tagName === 'IMG' ? !el.hasAttribute('alt')
      : el.tagName === 'BUTTON' ? !(el.textContent.trim() || el.getAttribute('aria-label'))
        : !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !el.closest('label'))
    .map((el) => el.outerHTML.slice(0, 80)));
  if (unnamed.length) throw new Error(`${name}: controls without an accessible name: ${unnamed.join(' | ')}`);
}

async function main() {
  let signIn = null;
  await step('seed a fresh SQLite database (lahza seed-demo)', () => {
    const run = spawnSync(lahza, ['seed-demo', '--db', db, '--customers', '60', '--transfers', '80', '--admin-token', ADMIN],
      { encoding: 'utf8', timeout: 180000 });
    assert(run.status === 0, `seed-demo exited ${run.status}: ${run.stderr || run.stdout}`);
    const match = /sign in as (\d+) \/ PIN (\d+)/.exec(run.stdout);
    assert(match, `no sign-in line in: ${run.stdout}`);
    signIn = { mobile: match[1], pin: match[2] };
    seedOutput = run.stdout;
  });

  await step('start lahza serve on a free loopback port', async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Reconciliation off: the stuck transfer stays stuck until the agent answers.
    server = spawn(lahza, ['serve', '--port', String(port), '--address', '127.0.0.1', '--db', db, '--web', webDir,
      '--quiet', '--pin-hash', 'min', '--admin-token', ADMIN, '--reconcile-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stdout.on('data', (d) => { log += d; });
    server.stderr.on('data', (d) => { log += d; });
    for (let i = 0; i < 150; i++) {
      if (server.exitCode !== null) throw new Error(`lahza serve exited: ${log}`);
      try { if ((await fetch(`${base}/healthz`)).ok) return; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`lahza serve did not answer /healthz: ${log}`);
  });

  await step('launch Debian chromium', async () => {
    browser = await chromium.launch({
      executablePath: process.env.LAHZA_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'],
    });
  });

  // The customer on a phone-sized screen (360 px wide).
  const phone = browser ? await browser.newContext({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 1, locale: 'ar-EG' }) : null;
  const page = phone ? await phone.newPage() : null;
  const pageErrors = [];
  if (page) page.on('pageerror', (e) => pageErrors.push(e.message));

  await step('sign-in page is Arabic, right-to-left', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('input[name=mobile]');
    assert(await page.getAttribute('html', 'dir') === 'rtl', 'html dir is not rtl');
    assert(await page.getAttribute('html', 'lang') === 'ar', 'html lang is not ar');
    assert(/تسجيل الدخول/.test(await page.textContent('h1')), 'no Arabic heading');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `page is ${overflow}px wider than a 360px phone`);
    await shot(page, '01-sign-in-ar');
    // Keyboard: the skip link is the first focusable element and shows when
    // focused; Tab moves from the mobile field to the PIN field.
    const skip = await page.evaluate(() => {
      const first = document.querySelector('a[href], button, input, select, textarea');
      if (!first || !first.classList.contains('skip-link')) return false;
      first.focus();
      return first.getBoundingClientRect().top >= 0;
    });
    assert(skip, 'no visible skip link first in the tab order');
    await page.focus('input[name=mobile]');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.name) === 'pin', 'Tab from the mobile field does not reach the PIN');
  });

  await step('sign in with mobile + PIN, then the OTP for a new browser', async () => {
    await page.fill('input[name=mobile]', signIn.mobile);
    await page.fill('input[name=pin]', signIn.pin);
    await page.click('form button[type=submit]');
    await page.waitForSelector('input[name=otp]:visible', { timeout: 15000 });
    const outbox = await api('GET', `/api/v1/admin/outbox?mobile=${signIn.mobile}`);
    assert(outbox.status === 200, `outbox ${outbox.status}`);
    const code = /\b(\d{6})\b/.exec((outbox.data.messages[0] || {}).body || '');
    assert(code, 'no OTP in the SMS outbox');
    await page.fill('input[name=otp]', code[1]);
    await page.click('form button[type=submit]');
    await page.waitForSelector('#accounts .balance', { timeout: 15000 });
  });

  let payer = null;
  await step('home shows linked accounts with balances', async () => {
    const balance = await page.textContent('#accounts .balance');
    assert(/ج\.م/.test(balance) && /[٠-٩]/.test(balance), `balance not in Arabic EGP: ${balance}`);
    const [token, device] = await page.evaluate(() => [sessionStorage.getItem('lahza.token'), localStorage.getItem('lahza.device')]);
    const accounts = await api('GET', '/api/v1/accounts', undefined, token, device);
    assert(accounts.status === 200, `accounts ${accounts.status} ${JSON.stringify(accounts.data)}`);
    payer = accounts.data.accounts[0];
    assert(payer && payer.available > 0, 'the payer has no funded account');
    await shot(page, '02-home');
  });

  // Two payees opened at two banks through the admin API; the failing one is
  // at a bank other than the payer's.
  const healthyBank = payer && payer.participant === 'NBE' ? 'BM' : 'NBE';
  const faultyBank = payer && ['CIB', 'NBE', 'BM'].includes(payer.participant) ? 'QNB' : 'CIB';
  const payees = {};
  await step('open two payee accounts (admin API)', async () => {
    for (const [key, bank, suffix] of [['good', healthyBank, '1'], ['bad', faultyBank, '2']]) {
      const number = `77${String(Date.now()).slice(-9)}${suffix}`;
      const opened = await api('POST', '/api/v1/admin/institution-accounts', {
        participant: bank, account_number: number, name_ar: 'سلمى حسن عبد الله', name_en: 'Salma Hassan Abdallah',
        mobile: `0128${String(Date.now()).slice(-6)}${suffix}`, opening_balance: 0,
      });
      assert(opened.status === 201, `institution account at ${bank}: ${opened.status} ${JSON.stringify(opened.data)}`);
      payees[key] = { bank, number };
    }
  });

  async function sendMoney(payee, amount) {
    await page.goto(`${base}/#/send`);
    await page.waitForSelector('select[name=kind]');
    await page.selectOption('select[name=kind]', 'account');
    await page.selectOption('select[name=participant]', payee.bank);
    await page.fill('input[name=payee]', payee.number);
    await page.click('text=تحقق من المستلم');
    await page.waitForSelector('#masked-name');
    const masked = await page.textContent('#masked-name');
    assert(/\*/.test(masked), `payee name is not masked: ${masked}`);
    await page.fill('input[name=amount]', amount);
    await page.fill('input[name=pin]', signIn.pin);
    await page.click('text=تأكيد الإرسال');
    await page.waitForSelector('#receipt', { timeout: 20000 });
    return { ir: (await page.textContent('#receipt-ir')).trim(), state: await page.getAttribute('#receipt [data-state]', 'data-state') };
  }

  await step('send money: lookup shows the masked name, PIN confirms, receipt has the IR reference', async () => {
    const { ir, state } = await sendMoney(payees.good, '150.50');
    assert(/^[A-Z0-9]{8,}/.test(ir), `no IR reference on the receipt: ${ir}`);
    assert(state === 'completed', `transfer state ${state}`);
    await shot(page, '03-receipt');
    await page.click('text=تفاصيل المعاملة >> nth=-1');
    await page.waitForSelector('.timeline li');
    assert(await page.locator('.timeline li').count() >= 2, 'timeline has fewer than two steps');
    await shot(page, '04-transaction-timeline');
  });

  await step('help centre: search as you type finds articles', async () => {
    await requireRoute('GET', '/api/v1/help/search?q=otp');
    await page.goto(`${base}/#/help`);
    await page.waitForSelector('input[name=q]');
    await page.type('input[name=q]', 'الفلوس اتخصمت', { delay: 30 });
    await page.waitForSelector('#help-hits a.list-item', { timeout: 10000 });
    assert(await page.locator('#help-hits mark').count() > 0, 'no highlighted words in the snippets');
    await shot(page, '05-help-search');
    await page.click('#help-hits a.list-item >> nth=0');
    await page.waitForSelector('article h1');
    assert((await page.textContent('article .article-body')).length > 100, 'the article has no body');
    await shot(page, '05b-help-article');
  }, { independent: true });

  // The operator injects the fault from the operations view (desktop size).
  const desk = browser ? await browser.newContext({ viewport: { width: 1280, height: 900 } }) : null;
  const ops = desk ? await desk.newPage() : null;
  await step(`operations view: inject "timeout after debit" at ${faultyBank}`, async () => {
    await ops.goto(`${base}/#/ops`);
    await ops.fill('input[name=admin-token]', ADMIN);
    await ops.click('form button[type=submit]');
    await ops.waitForSelector(`form[data-participant=${faultyBank}]`);
    await ops.selectOption(`select[name=fault-${faultyBank}]`, 'timeout_after_debit');
    await ops.click(`form[data-participant=${faultyBank}] button[type=submit]`);
    await ops.waitForSelector(`form[data-participant=${faultyBank}][data-fault=timeout_after_debit]`);
    const participants = await api('GET', '/api/v1/admin/participants');
    const p = participants.data.participants.find((x) => x.code === faultyBank);
    assert(p.fault.kind === 'timeout_after_debit', `fault at the switch is ${p.fault.kind}`);
    const cards = await ops.locator('form.participant').count();
    assert(cards === participants.data.participants.length, `${cards} participant cards for ${participants.data.participants.length} participants`);
    await shot(ops, '06-operations');
  });

  let failedIr = '';
  await step('a transfer to the faulty bank does not complete', async () => {
    const { ir, state } = await sendMoney(payees.bad, '75');
    assert(state !== 'completed', 'transfer completed despite the fault');
    failedIr = ir;
    assert(await page.locator('#report-problem').count() === 1, 'no "report a problem" on the receipt');
    await shot(page, '07-failed-receipt');
  });

  // With the payee's bank now down, the switch cannot learn what happened to
  // the held money: the case cannot answer itself and waits for an agent.
  await step(`operations view: ${faultyBank} goes down`, async () => {
    await ops.selectOption(`select[name=fault-${faultyBank}]`, 'down');
    await ops.click(`form[data-participant=${faultyBank}] button[type=submit]`);
    await ops.waitForSelector(`form[data-participant=${faultyBank}][data-fault=down]`);
  });

  // The end of a settlement cycle, from the operations view: two clicks
  // close the open window; its nets are fixed and the next window opens.
  await step('operations view: close the settlement window', async () => {
    const before = await api('GET', '/api/v1/admin/settlement');
    assert(before.status === 200 && before.data.status === 'open', `settlement answered ${before.status}`);
    const id = before.data.window_id;
    await ops.waitForSelector(`#window-line[data-window="${id}"]`);
    await ops.click('#close-window');
    await ops.waitForSelector('#close-window[data-armed=true]');
    await ops.click('#close-window');
    await ops.waitForSelector(`#window-line[data-window="${id + 1}"]`, { timeout: 10000 });
    const closed = await api('GET', `/api/v1/admin/settlement/${id}`);
    assert(closed.status === 200 && closed.data.status === 'settled', `window ${id} is ${closed.data.status}`);
    assert(closed.data.net_sum === 0, `window ${id} nets sum to ${closed.data.net_sum}`);
    await shot(ops, '06b-settlement-closed');
  }, { independent: true });

  await step('history: filtering by state finds the transfer that did not complete', async () => {
    await page.goto(`${base}/#/history`);
    await page.waitForSelector('select[name=status]');
    await page.selectOption('select[name=status]', 'timed_out_after_debit');
    await page.waitForSelector(`a[href="#/tx/${failedIr}"]`, { timeout: 10000 });
    const others = await page.locator('#view a.list-item').count();
    assert(others === 1, `${others} transactions listed for the filter, expected 1`);
    await shot(page, '07b-history-filtered');
    await page.click(`a[href="#/tx/${failedIr}"]`);
    await page.waitForSelector('#tx-summary');
    await shot(page, '07c-failed-timeline');
    await page.goto(`${base}/#/problem?ir=${failedIr}`);
    await page.waitForSelector('textarea[name=description]');
  });

  let caseId = '';
  await step('"I have a problem": triage shows the party and the channel open now', async () => {
    await requireRoute('POST', '/api/v1/care/triage', { text: 'otp' });
    assert(await page.inputValue('select[name=ir]') === failedIr, 'the failed transaction is not preselected');
    await page.fill('textarea[name=description]', 'حولت ٧٥ جنيه والفلوس اتخصمت من حسابي ومتحولتش للمستلم');
    await page.click('text=التالي');
    await page.waitForSelector('#triage-result', { timeout: 15000 });
    const category = await page.getAttribute('#triage-category', 'data-category');
    assert(['debited_without_completion', 'failed_or_stuck_transfer', 'money_not_received'].includes(category), `triage category ${category}`);
    assert(await page.locator('.channel').count() > 0, 'no channel shown');
    await shot(page, '08-problem-advice');
  });

  await step('the case opens with the details and a screenshot', async () => {
    await page.click('#open-case');
    await page.waitForSelector('input[name=screenshots]');
    await page.setInputFiles('input[name=screenshots]', join(artifacts, '07-failed-receipt.png'));
    await page.waitForSelector('.thumbs img');
    await shot(page, '08b-problem-details');
    await page.click('#submit-case');
    await page.waitForSelector('#case-id', { timeout: 20000 });
    caseId = (await page.textContent('#case-id')).trim();
    assert(/^C-\d{10}$/.test(caseId), `case id ${caseId}`);
    const status = await page.getAttribute('#case-status [data-state]', 'data-state');
    assert(!['resolved', 'closed'].includes(status), `the case is already ${status}: nothing left for the agent`);
    await shot(page, '09-case-opened');
  });

  const agentPage = desk ? await desk.newPage() : null;
  const answer = 'راجعنا المعاملة مع البنك: المبلغ سيُعاد إلى حسابك خلال يوم عمل.';
  let agentToken = '';
  await step(`issue an agent token for the ${payer ? payer.participant : ''} queue`, async () => {
    agentToken = await issueAgentToken('agent.journey', payer.participant);
  });

  await step('agent console: the case is in the queue with an SLA colour', async () => {
    await agentPage.goto(`${base}/#/agent`);
    await agentPage.waitForSelector('input[name=token]');
    await agentPage.fill('input[name=token]', agentToken);
    await agentPage.click('form button[type=submit]');
    await agentPage.waitForSelector('#queue table, #queue p', { timeout: 10000 });
    await agentPage.waitForSelector(`tr[data-case="${caseId}"]`, { timeout: 10000 });
    const sla = await agentPage.getAttribute(`tr[data-case="${caseId}"]`, 'data-sla');
    assert(['ok', 'soon', 'breached'].includes(sla), `sla ${sla}`);
    await shot(agentPage, '10-agent-queue');
    // Search across the queue (finished cases included) narrows to the case.
    await agentPage.fill('input[name=q]', caseId);
    await agentPage.press('input[name=q]', 'Enter');
    await agentPage.waitForFunction((id) => {
      const rows = document.querySelectorAll('#queue tr[data-case]');
      return rows.length === 1 && rows[0].dataset.case === id;
    }, caseId, { timeout: 10000 });
  });

  await step('agent opens the case (dossier, timeline) and resolves it', async () => {
    await agentPage.click(`a[href="#/agent/case/${caseId}"]`);
    await agentPage.waitForSelector('#dossier');
    await agentPage.fill('#resolve-answer', answer);
    await shot(agentPage, '11-agent-case');
    await agentPage.click('#resolve');
    await agentPage.waitForFunction(() => !document.querySelector('#resolve'), null, { timeout: 10000 });
  });

  await step('the customer sees the answer', async () => {
    await page.goto(`${base}/#/cases/${caseId}`);
    await page.waitForSelector('#case-answer', { timeout: 15000 });
    assert((await page.textContent('#case-answer')).includes('سيُعاد'), 'answer text differs');
    assert(await page.getAttribute('#case-status [data-state]', 'data-state') === 'resolved', 'case not shown as resolved');
    await shot(page, '12-customer-answer');
  });

  await step('English switch flips the page to left-to-right', async () => {
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');
    assert(await page.getAttribute('html', 'lang') === 'en', 'lang is not en');
    await page.waitForSelector('h1');
    await shot(page, '13-english');
  }, { independent: true });

  await step('no JavaScript errors in the pages', () => {
    assert(page, 'no page was opened');
    assert(pageErrors.length === 0, pageErrors.join('; '));
  }, { independent: true });

  if (ops) await api('PUT', `/api/v1/admin/participants/${faultyBank}/fault`, { kind: 'none' });
}

try {
  await main();
} catch (error) {
  results.push(['journey', false, error.stack || String(error)]);
  console.log(`FAIL journey: ${error.stack || error}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000); });
  }
  rmSync(work, { recursive: true, force: true });
  const passed = results.filter((r) => r[1]).length;
  const failed = results.length - passed;
  writeFileSync(join(artifacts, 'summary.txt'), results.map(([n, ok, why]) => `${ok ? 'ok  ' : 'FAIL'} ${n}${why ? ` — ${why}` : ''}`).join('\n') + '\n');
  console.log(`screenshots: ${artifacts}`);
  console.log(`web journey: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
