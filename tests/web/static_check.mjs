// Checks of the web front end that need no browser: the two message
// catalogues have the same keys and no empty entries, every literal
// t('key') in the code has an entry, dynamic key families used by the
// views are complete, nothing loads from another host (no CDN), and every
// ES module import resolves to a file. Prints "N passed, M failed".
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(process.argv[2] || join(here, '..', '..', 'web'));
let passed = 0;
let failed = 0;
function check(name, problems) {
  if (problems.length === 0) { passed++; console.log(`ok   ${name}`); return; }
  failed++;
  console.log(`FAIL ${name}`);
  for (const p of problems.slice(0, 30)) console.log(`     ${p}`);
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out); else out.push(path);
  }
  return out;
}

const ar = JSON.parse(readFileSync(join(web, 'i18n', 'ar.json'), 'utf8'));
const en = JSON.parse(readFileSync(join(web, 'i18n', 'en.json'), 'utf8'));
check('catalogues have the same keys', [
  ...Object.keys(ar).filter((k) => !(k in en)).map((k) => `only in ar.json: ${k}`),
  ...Object.keys(en).filter((k) => !(k in ar)).map((k) => `only in en.json: ${k}`),
]);
check('no empty catalogue entries', Object.entries({ ...ar }).filter(([, v]) => !String(v).trim()).map(([k]) => `ar ${k}`)
  .concat(Object.entries(en).filter(([, v]) => !String(v).trim()).map(([k]) => `en ${k}`)));
check('Arabic entries are written in Arabic', Object.entries(ar)
  .filter(([k, v]) => !/[\u0600-\u06FF]/.test(v) && !['lang.switch_to', 'send.kind.iban', 'ops.fault_set'].includes(k))
  .map(([k, v]) => `${k}: ${v}`));
check('placeholders match between languages', Object.keys(ar).filter((k) => k in en).filter((k) => {
  const names = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  return names(ar[k]) !== names(en[k]);
}).map((k) => k));

const files = walk(web);
const code = files.filter((f) => f.endsWith('.js'));
const used = new Set();
for (const file of code) for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([a-z_.\-]+)'/g)) used.add(m[1]);
for (const file of files.filter((f) => f.endsWith('.html'))) for (const m of readFileSync(file, 'utf8').matchAll(/data-i18n="([^"]+)"/g)) used.add(m[1]);
check(`every literal key in the code is in the catalogues (${used.size} keys)`, [...used].filter((k) => !(k in ar) || !(k in en)));

// Families the views build as prefix + value from the server's vocabulary.
const families = {
  state: ['initiated', 'debited', 'credited', 'completed', 'rejected', 'failed', 'timed_out_after_debit', 'reversed', 'disputed'],
  case: ['open', 'waiting_customer', 'in_progress', 'escalated', 'resolved', 'closed'],
  category: ['registration_activation', 'app_error', 'how_to', 'failed_or_stuck_transfer', 'money_not_received',
    'debited_without_completion', 'linking_accounts_cards', 'limits', 'security_unusual_activity', 'other'],
  party: ['bank', 'app_support', 'both'],
  priority: ['normal', 'high', 'urgent'],
  sla: ['ok', 'soon', 'breached', 'done'],
  fault: ['none', 'slow', 'down', 'reject', 'timeout_after_debit'],
  item: ['ir_reference', 'transaction_time', 'amount', 'counterparty', 'screenshot', 'national_id', 'bank', 'description'],
  'history.type': ['transfer', 'collect', 'bill', 'donation'],
  'send.kind': ['mobile', 'ipa', 'account', 'iban', 'wallet', 'card'],
};
const participants = join(web, '..', 'data', 'ipn', 'participants.json');
if (existsSync(participants)) {
  const data = JSON.parse(readFileSync(participants, 'utf8'));
  const list = Array.isArray(data) ? data : data.participants;
  families.bank = list.map((p) => p.code);
  families.kind = [...new Set(list.map((p) => p.kind))];
}
const articles = join(web, '..', 'data', 'care', 'articles');
if (existsSync(articles)) {
  const categories = new Set();
  for (const f of readdirSync(articles).filter((n) => n.endsWith('.json'))) {
    const body = JSON.parse(readFileSync(join(articles, f), 'utf8'));
    for (const a of Array.isArray(body) ? body : body.articles || [body]) if (a.category) categories.add(a.category);
  }
  families['help.category'] = [...categories];
}
check('key families are complete', Object.entries(families).flatMap(([prefix, values]) =>
  values.map((v) => `${prefix}.${v}`).filter((k) => !(k in ar) || !(k in en))));

// No CDN: nothing in the front end may name another host.
check('no external URLs (everything is served locally)', files.filter((f) => /\.(html|js|css|json|svg)$/.test(f)).flatMap((f) => {
  const text = readFileSync(f, 'utf8');
  return [...text.matchAll(/(?:src|href)\s*=\s*["'](?:https?:)?\/\/[^"']+|@import\s+url\(["']?https?:|from\s+["']https?:/g)]
    .filter((m) => !m[0].includes('www.w3.org'))
    .map((m) => `${f}: ${m[0]}`);
}));

// Every relative import resolves.
check('ES module imports resolve', code.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)]
  .map((m) => resolve(dirname(f), m[1])).filter((p) => !existsSync(p)).map((p) => `${f} → ${p}`)));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
