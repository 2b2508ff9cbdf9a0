// "I have a problem": a guided flow. 1) the customer describes it (and picks
// the transaction); 2) triage says what kind of problem it is, who can solve
// it and which channel is open now, with what to prepare; 3) the details the
// category requires and screenshots; 4) the case is opened and shown.
import { asciiDigits, field, h, mount, parseAmountToPiastres, shrinkImage } from '../dom.js';
import { formatTime, lang, money, t, tr } from '../i18n.js';
import { ROUTES, get, post } from '../api.js';
import { alertBox, busy, errorBox, loading } from '../ui.js';
import { snippet } from './help.js';

const STEPS = ['describe', 'advice', 'details', 'done'];

export async function render(view, { query }) {
  const state = { text: '', ir: query.get('ir') || '', triage: null, files: [] };
  mount(view, loading());
  const [recent, accounts] = await Promise.all([get(ROUTES.history('limit=20')), get(ROUTES.accounts())]);
  state.recent = recent.ok ? recent.data.transactions : [];
  // The customer's bank: money problems belong to the bank holding the account used.
  const list = accounts.ok ? accounts.data.accounts : [];
  const own = list.find((a) => a.default) || list[0];
  state.bank = own ? own.participant : '';
  describe(view, state);
}

function stepper(current) {
  const index = STEPS.indexOf(current);
  return h('ol', { class: 'steps', 'aria-label': t('problem.steps') }, STEPS.map((s, i) =>
    h('li', { class: i < index ? 'done' : '', 'aria-current': i === index ? 'step' : undefined }, `${i + 1}. ${t(`problem.step.${s}`)}`)));
}

function describe(view, state) {
  const text = h('textarea', { name: 'description', required: true, maxlength: 4000 }, state.text);
  const tx = h('select', { name: 'ir' },
    h('option', { value: '' }, t('problem.no_transaction')),
    state.recent.map((r) => h('option', { value: r.ir, selected: r.ir === state.ir },
      `${formatTime(r.created_ms)} · ${money(r.amount)} · ${t(`state.${r.state}`)} · ${r.ir}`)));
  if (state.ir && !state.recent.some((r) => r.ir === state.ir)) tx.appendChild(h('option', { value: state.ir, selected: true }, state.ir));
  const message = h('div', { 'aria-live': 'assertive' });
  const next = h('button', { class: 'btn', type: 'submit' }, t('problem.next'));
  mount(view, stepper('describe'), h('form', { class: 'card', onsubmit: async (event) => {
    event.preventDefault();
    state.text = text.value.trim();
    state.ir = tx.value;
    if (!state.text) { text.setAttribute('aria-invalid', 'true'); mount(message, alertBox('error', t('problem.describe_required'))); text.focus(); return; }
    const body = { text: state.text };
    if (state.bank) body.bank_code = state.bank;
    // Triage and the help centre at once: an article may answer it already.
    const both = await busy(next, () => Promise.all([
      post(ROUTES.triage(), body), get(ROUTES.helpSearch(state.text.slice(0, 400), lang()))]));
    if (!both) return;
    const [result, articles] = both;
    if (!result.ok) { mount(message, errorBox(result.error)); return; }
    state.triage = result.data;
    state.articles = articles.ok ? (articles.data.hits || []).slice(0, 3) : [];
    advice(view, state);
  } },
  h('h1', {}, t('problem.title')),
  h('p', { class: 'muted' }, t('problem.intro')),
  field(t('problem.describe'), text, t('problem.describe_hint')),
  field(t('problem.transaction'), tx, t('problem.transaction_hint')),
  message, next));
  text.focus();
}

// Triage answer (POST /api/v1/care/triage): {category, party, institution,
// urgency, confidence, entities, advice: {summary, best_now, options[],
// checklist[]}} with words as {ar, en}.
function advice(view, state) {
  const triage = state.triage;
  const adv = triage.advice || {};
  const urgent = triage.urgency === 'urgent' || adv.urgent;
  const articles = state.articles || [];
  mount(view, stepper('advice'),
    h('h1', {}, t('problem.advice_title')),
    urgent ? alertBox('error', t('problem.urgent')) : null,
    h('section', { class: 'card', id: 'triage-result' },
      h('dl', { class: 'facts' },
        h('dt', {}, t('problem.category')), h('dd', { id: 'triage-category', dataset: { category: triage.category } }, t(`category.${triage.category}`)),
        h('dt', {}, t('problem.party')), h('dd', { id: 'triage-party' }, t(`party.${triage.party}`),
          triage.institution ? ` — ${t(`bank.${triage.institution}`)}` : '')),
      adv.summary ? h('p', { style: 'margin-top:.6rem', id: 'advice-summary' }, tr(adv.summary)) : null),
    adv.best_now ? h('section', { class: 'card', 'aria-labelledby': 'best-h' },
      h('h2', { id: 'best-h' }, t('problem.best_now')), channel(adv.best_now, true)) : alertBox('warn', t('problem.none_open')),
    (adv.options || []).length > 1 ? h('details', { class: 'card' },
      h('summary', {}, t('problem.other_channels')),
      h('ul', { class: 'list' }, adv.options.filter((o) => !adv.best_now || o.id !== adv.best_now.id).map((o) => h('li', { style: 'padding:.5rem 0' }, channel(o, false))))) : null,
    (adv.checklist || []).length ? h('section', { class: 'card' },
      h('h2', {}, t('problem.prepare')),
      h('ul', {}, adv.checklist.map((c) => h('li', {}, tr(c))))) : null,
    articles.length ? h('section', { class: 'card' },
      h('h2', {}, t('problem.articles')),
      h('ul', { class: 'list' }, articles.map((a) => h('li', {},
        h('a', { class: 'list-item', href: `#/help/${encodeURIComponent(a.article_id || a.id)}`, target: '_blank', style: 'display:block' },
          h('div', { class: 'title' }, tr(a.title)), h('div', { class: 'small muted' }, snippet(a))))))) : null,
    h('div', { class: 'row' },
      h('button', { class: 'btn', type: 'button', id: 'open-case', onclick: () => details(view, state) }, t('problem.open_case')),
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => describe(view, state) }, t('problem.back'))));
}

export function channel(option, prominent) {
  const contact = option.contact ? (option.kind === 'email'
    ? h('a', { href: `mailto:${option.contact}` }, option.contact)
    : option.kind === 'hotline' ? h('a', { href: `tel:${option.contact}`, class: 'num' }, option.contact) : option.contact) : null;
  return h('div', { class: 'stack channel', dataset: { channel: option.id } },
    h('div', { class: 'row between' },
      h('strong', { class: prominent ? 'big' : '' }, tr(option.label)),
      h('span', { class: `badge ${option.open_now ? 'badge-ok' : 'badge-muted'}` }, option.open_now ? t('channel.open') : t('channel.closed'))),
    contact ? h('div', {}, contact) : null,
    h('div', { class: 'small muted' }, tr(option.status)),
    option.hours ? h('div', { class: 'small muted' }, tr(option.hours)) : null,
    option.news_only ? h('div', { class: 'small' }, t('channel.news_only')) : null);
}

// The details a category needs; money problems need the transaction.
function details(view, state) {
  const triage = state.triage;
  const money_category = ['failed_or_stuck_transfer', 'money_not_received', 'debited_without_completion'].includes(triage.category);
  const entities = triage.entities || {};
  const ir = h('input', { name: 'ir_reference', dir: 'ltr', value: state.ir || (entities.ir_references || [])[0] || '' });
  const when = h('input', { name: 'at', type: 'datetime-local' });
  const amount = h('input', { name: 'amount', inputmode: 'decimal', dir: 'ltr' });
  const counterparty = h('input', { name: 'counterparty', dir: 'ltr' });
  const files = h('input', { name: 'screenshots', type: 'file', accept: 'image/png,image/jpeg,image/webp', multiple: true });
  const thumbs = h('div', { class: 'thumbs', 'aria-live': 'polite' });
  const message = h('div', { 'aria-live': 'assertive' });
  files.addEventListener('change', async () => {
    mount(message);
    for (const file of files.files) {
      try {
        const shrunk = await shrinkImage(file);
        state.files.push(shrunk);
      } catch {
        mount(message, alertBox('error', t('problem.image_bad', { name: file.name })));
      }
    }
    files.value = '';
    mount(thumbs, state.files.map((f, i) => h('figure', { style: 'margin:0' },
      h('img', { src: f.dataUrl, alt: t('problem.screenshot_n', { n: i + 1 }) }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => { state.files.splice(i, 1); files.dispatchEvent(new Event('refresh')); } }, t('problem.remove')))));
  });
  files.addEventListener('refresh', () => files.dispatchEvent(new Event('change')));
  const submit = h('button', { class: 'btn', type: 'submit', id: 'submit-case' }, t('problem.submit'));

  mount(view, stepper('details'), h('form', { class: 'card', onsubmit: async (event) => {
    event.preventDefault();
    mount(message);
    const body = { description: state.text, category: triage.category };
    const bank = state.bank || triage.institution;
    if (bank) body.bank_code = bank;
    const irText = asciiDigits(ir.value.trim()).toUpperCase();
    if (irText) body.ir_reference = irText;
    const transaction = {};
    // Cairo wall-clock time as typed ("2026-11-24T14:02"): the server reads it in Africa/Cairo.
    if (when.value) transaction.at = when.value;
    if (amount.value.trim()) {
      const p = parseAmountToPiastres(amount.value);
      if (p === null) { amount.setAttribute('aria-invalid', 'true'); mount(message, alertBox('error', t('send.amount_invalid'))); return; }
      transaction.amount_piastres = p;
    }
    if (counterparty.value.trim()) transaction.counterparty = asciiDigits(counterparty.value.trim());
    if (Object.keys(transaction).length) body.transaction = transaction;
    if (money_category && !irText && !(transaction.at && transaction.amount_piastres)) {
      mount(message, alertBox('error', t('problem.need_transaction')));
      ir.focus();
      return;
    }
    // One screenshot per request keeps each body under the server's cap: the
    // first goes with the case, the others follow as replies.
    const [first, ...rest] = state.files.map((f) => ({ filename: f.name, data_base64: f.base64 }));
    if (first) body.attachments = [first];
    const result = await busy(submit, async () => {
      const created = await post(ROUTES.cases(), body);
      if (!created.ok) return created;
      for (const upload of rest) {
        const added = await post(ROUTES.caseReply(created.data.id), { attachments: [upload] });
        if (!added.ok) return { ...added, opened: created.data };
      }
      return created;
    });
    if (!result) return;
    if (!result.ok && !result.opened) { mount(message, errorBox(result.error)); return; }
    const opened = result.opened || result.data;
    location.hash = `#/cases/${encodeURIComponent(opened.id)}?new=1`;
  } },
  h('h1', {}, t('problem.details_title')),
  h('p', { class: 'muted' }, money_category ? t('problem.details_money') : t('problem.details_other')),
  field(t('problem.ir'), ir, t('problem.ir_hint')),
  h('fieldset', { class: 'field', style: 'border:1px solid var(--line);border-radius:8px' },
    h('legend', {}, t('problem.no_ir')),
    field(t('problem.when'), when),
    field(t('problem.amount'), amount),
    field(t('problem.counterparty'), counterparty)),
  field(t('problem.screenshots'), files, t('problem.screenshots_hint')),
  thumbs, message,
  h('div', { class: 'row' }, submit,
    h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => advice(view, state) }, t('problem.back')))));
}
