// The customer's cases: the list, and one case with its status, the
// diagnosis of its transaction, what is still needed, replies and the answer.
import { field, h, mount, parseAmountToPiastres, shrinkImage } from '../dom.js';
import { formatTime, lang, pick, t, tr } from '../i18n.js';
import { ROUTES, get, post } from '../api.js';
import { alertBox, busy, errorBox, loading, stateBadge } from '../ui.js';

export async function render(view, { params, query }) {
  if (params[0]) return renderCase(view, params[0], query.get('new'));
  mount(view, loading());
  const result = await get(ROUTES.cases());
  if (!result.ok) { mount(view, h('h1', {}, t('cases.title')), errorBox(result.error)); return undefined; }
  const items = result.data.cases || [];
  mount(view,
    h('div', { class: 'row between' }, h('h1', {}, t('cases.title')), h('a', { class: 'btn', href: '#/problem' }, t('nav.problem'))),
    items.length ? h('ul', { class: 'list card' }, items.map((c) => h('li', {},
      h('a', { class: 'list-item', href: `#/cases/${encodeURIComponent(c.id)}` },
        h('span', {}, h('span', { class: 'title mono' }, c.id), ' · ', t(`category.${c.category}`), h('br'),
          h('span', { class: 'small muted' }, formatTime(c.updated_at || c.created_at))),
        stateBadge('case', c.status))))) : h('p', { class: 'muted card' }, t('cases.empty')));
  return undefined;
}

function renderCase(view, id, isNew) {
  let timer = null;
  let lastSeen = '';
  const load = async (first) => {
    const result = await get(ROUTES.caseOf(id));
    if (!result.ok) { if (first) mount(view, h('h1', {}, t('cases.case')), errorBox(result.error)); return; }
    const c = result.data.case || result.data;
    // Re-render only when something changed, so a half-typed reply survives polling.
    const signature = `${c.status}|${(c.messages || []).length}|${c.updated_at}`;
    if (!first && signature === lastSeen) return;
    lastSeen = signature;
    const typed = view.querySelector('#reply-text');
    const draft = typed ? typed.value : '';
    mount(view, caseView(c, isNew && first, () => load(false)));
    if (draft) view.querySelector('#reply-text').value = draft;
  };
  mount(view, loading());
  load(true);
  // Replies and the answer show up without reloading the page.
  timer = setInterval(() => load(false), 5000);
  return () => clearInterval(timer);
}

function caseView(c, isNew, reload) {
  const resolved = c.status === 'resolved' || c.status === 'closed';
  const messages = (c.messages || []).filter((m) => !m.internal);
  return [
    isNew ? alertBox('ok', t('cases.opened', { id: c.id })) : null,
    h('div', { class: 'row between' }, h('h1', {}, t('cases.case'), ' ', h('span', { class: 'mono', id: 'case-id' }, c.id)),
      h('span', { id: 'case-status' }, stateBadge('case', c.status))),
    c.merged_into ? alertBox('info', t('cases.merged', { id: c.merged_into })) : null,
    resolved && c.resolution ? h('section', { class: 'card', style: 'border-color:var(--green)', 'aria-labelledby': 'answer-h' },
      h('h2', { id: 'answer-h' }, t('cases.answer')),
      // A case the system answered carries the diagnosis in both languages;
      // an agent's answer is shown as written.
      h('p', { id: 'case-answer', dir: 'auto' }, c.resolved_by === 'system' && c.diagnosis ? diagnosisText(c.diagnosis) : c.resolution),
      h('div', { class: 'small muted' }, c.resolved_by === 'system' ? t('cases.answered_by_system') : t('cases.answered_by_agent'),
        c.resolved_at ? ` · ${formatTime(c.resolved_at)}` : '')) : null,
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', {}, t('problem.category')), h('dd', {}, t(`category.${c.category}`)),
        h('dt', {}, t('problem.party')), h('dd', {}, t(`party.${c.party}`), c.bank_code ? ` — ${t(`bank.${c.bank_code}`)}` : ''),
        c.ir_reference ? [h('dt', {}, t('tx.ir')), h('dd', {}, h('a', { class: 'ir', href: `#/tx/${c.ir_reference}` }, c.ir_reference))] : null,
        h('dt', {}, t('cases.opened_at')), h('dd', {}, formatTime(c.created_at)),
        c.due_at && !resolved ? [h('dt', {}, t('cases.due')), h('dd', {}, formatTime(c.due_at))] : null),
      c.diagnosis ? h('div', { class: 'alert alert-info', style: 'margin-top:.8rem', id: 'case-diagnosis' },
        h('strong', {}, t('cases.diagnosis')), ' ', diagnosisText(c.diagnosis)) : null),
    (c.missing || []).length && !resolved ? missingForm(c, reload) : null,
    c.category === 'security_unusual_activity' && !c.transfers_frozen && !resolved ? freezeCard(c, reload) : null,
    h('section', { class: 'card', 'aria-labelledby': 'msgs-h' },
      h('h2', { id: 'msgs-h' }, t('cases.messages')),
      h('p', { class: 'small muted', dir: 'auto' }, c.description),
      messages.length ? h('ol', { class: 'messages', id: 'case-messages' }, messages.map((m) => message(m))) : h('p', { class: 'muted' }, t('cases.no_messages')),
      (c.attachments || []).length ? h('p', { class: 'small' }, t('cases.attachments', { n: c.attachments.length })) : null,
      resolved ? null : replyForm(c, reload)),
  ];
}

export function diagnosisText(d) {
  if (!d) return '';
  if (d.explanation && typeof d.explanation === 'object') return d.explanation[lang()] || pick(d.explanation, 'text');
  return pick(d, 'explanation') || d.outcome || '';
}

function message(m) {
  const author = String(m.author || '');
  const who = author.startsWith('customer') ? t('cases.you') : author === 'system' ? t('cases.system') : t('cases.support');
  return h('li', { class: `msg ${author.startsWith('customer') ? 'mine' : 'theirs'}` },
    h('div', { class: 'meta' }, who, ' · ', formatTime(m.at)),
    h('div', { dir: 'auto' }, m.body));
}

function missingForm(c, reload) {
  // Each missing item arrives as {item, label: {ar, en}}.
  const inputs = c.missing.map((m) => [m.item, tr(m.label), item_input(m.item)]);
  const msg = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { class: 'btn', type: 'submit' }, t('cases.send_info'));
  return h('form', { class: 'card', style: 'border-color:#d99100', onsubmit: async (e) => {
    e.preventDefault();
    const body = {};
    const transaction = {};
    for (const [item, , input] of inputs) {
      if (item === 'screenshot') {
        const uploads = await readUploads(input, msg);
        if (uploads === null) return;
        if (uploads.length) body.attachments = uploads;
        continue;
      }
      const v = input.value.trim();
      if (!v) continue;
      if (item === 'ir_reference') body.ir_reference = v.toUpperCase();
      else if (item === 'amount') {
        const piastres = parseAmountToPiastres(v);
        if (piastres === null) { input.setAttribute('aria-invalid', 'true'); mount(msg, alertBox('error', t('send.amount_invalid'))); return; }
        transaction.amount_piastres = piastres;
      }
      else if (item === 'counterparty') transaction.counterparty = v;
      else if (item === 'transaction_time') transaction.at = v;
      else if (item === 'description') body.description = v;
      else if (item === 'bank' || item === 'bank_code') body.bank_code = v.toUpperCase();
      else body.message = `${body.message ? `${body.message}\n` : ''}${t(`item.${item}`)}: ${v}`;  // e.g. national_id
    }
    if (Object.keys(transaction).length) body.transaction = transaction;
    const result = await busy(submit, () => post(ROUTES.caseReply(c.id), body));
    if (result && !result.ok) mount(msg, errorBox(result.error)); else reload();
  } },
  h('h2', {}, t('cases.needed')),
  c.ask ? h('p', {}, tr(c.ask)) : null,
  inputs.map(([, label, input]) => field(label, input)), msg, submit);
}

function replyForm(c, reload) {
  const text = h('textarea', { id: 'reply-text', name: 'message', required: true, maxlength: 8000 });
  const files = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', multiple: true });
  const msg = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { class: 'btn', type: 'submit' }, t('cases.reply'));
  return h('form', { style: 'margin-top:1rem', onsubmit: async (e) => {
    e.preventDefault();
    const attachments = await readUploads(files, msg);
    if (attachments === null) return;
    if (!text.value.trim() && !attachments.length) { text.focus(); return; }
    const body = { message: text.value.trim() };
    const [first, ...rest] = attachments;
    if (first) body.attachments = [first];
    const result = await busy(submit, async () => {
      let last = await post(ROUTES.caseReply(c.id), body);
      for (const upload of rest) if (last.ok) last = await post(ROUTES.caseReply(c.id), { attachments: [upload] });
      return last;
    });
    if (!result) return;
    if (!result.ok) { mount(msg, errorBox(result.error)); return; }
    text.value = '';
    reload();
  } },
  field(t('cases.reply_label'), text), field(t('problem.screenshots'), files), msg,
  h('div', { class: 'row' }, submit,
    h('button', { class: 'btn btn-ghost', type: 'button', onclick: async () => {
      const result = await post(ROUTES.caseClose(c.id), {});
      if (result.ok) reload(); else mount(msg, errorBox(result.error));
    } }, t('cases.close'))));
}

function item_input(item) {
  if (item === 'screenshot') return h('input', { name: item, type: 'file', accept: 'image/png,image/jpeg,image/webp', multiple: true });
  if (item === 'transaction_time') return h('input', { name: item, type: 'datetime-local' });
  if (item === 'amount') return h('input', { name: item, inputmode: 'decimal', dir: 'ltr' });
  if (item === 'description') return h('textarea', { name: item, dir: 'auto' });
  return h('input', { name: item, dir: 'ltr' });
}

// The chosen images shrunk to JPEG for upload; null (and a message) when one cannot be read.
async function readUploads(input, msg) {
  const out = [];
  for (const file of input.files) {
    try {
      const f = await shrinkImage(file);
      out.push({ filename: f.name, data_base64: f.base64 });
    } catch {
      mount(msg, alertBox('error', t('problem.image_bad', { name: file.name })));
      return null;
    }
  }
  return out;
}

// Security cases: the customer can stop every transfer at once.
function freezeCard(c, reload) {
  const msg = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { class: 'btn btn-danger', type: 'button', id: 'freeze' }, t('cases.freeze'));
  button.addEventListener('click', async () => {
    const result = await busy(button, () => post(ROUTES.caseFreeze(c.id), {}));
    if (result && !result.ok) mount(msg, errorBox(result.error)); else if (result) reload();
  });
  return h('section', { class: 'card', style: 'border-color:var(--red)' }, h('h2', {}, t('cases.freeze_title')), h('p', {}, t('cases.freeze_text')), msg, button);
}
