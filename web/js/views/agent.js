// The agent console: the queue with SLA colours, search across cases, and a
// case with the customer's dossier, the transaction's timeline, the history
// and the actions (take, reply, request information, escalate, resolve).
import { field, h, mount } from '../dom.js';
import { formatTime, money, pick, t, tr } from '../i18n.js';
import { ROUTES, get, post, setToken, token } from '../api.js';
import { alertBox, busy, errorBox, loading, stateBadge, toast } from '../ui.js';
import { timeline } from './transaction.js';
import { diagnosisText } from './cases.js';

const BANKS = ['NBE', 'BM', 'CIB', 'QNB', 'BDC', 'AAIB', 'HSBC', 'ALEX', 'FAISAL', 'HDB', 'VFCASH', 'ECASH', 'ORCASH', 'WEPAY', 'MEEZA'];
const ITEMS = ['ir_reference', 'transaction_time', 'amount', 'counterparty', 'screenshot', 'national_id', 'bank', 'description'];
const FINISHED = new Set(['resolved', 'closed']);

export async function render(view, { params, query }) {
  if (!token('agent')) return signIn(view);
  if (params[0]) return renderCase(view, params[0]);
  return renderQueue(view, query);
}

// ok / soon / breached / done: the server's SLA report (GET /agent/sla, which
// leaves out time spent waiting for the customer) when it lists the case,
// else from due_at.
export function slaState(item, now = Date.now()) {
  if (FINISHED.has(item.status)) return 'done';
  if (item.sla) return item.sla;
  const due = toMs(item.due_at);
  if (!due) return 'ok';
  if (due <= now) return 'breached';
  const created = toMs(item.created_at) || now;
  const warn = Math.min(4 * 3600e3, (due - created) / 4);
  return due - now <= warn ? 'soon' : 'ok';
}
function toMs(v) {
  if (v === null || v === undefined || v === '') return 0;
  if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? 0 : ms;
}

async function renderQueue(view, query) {
  const search = h('input', { type: 'search', name: 'q', value: query.get('q') || '', dir: 'auto', autocomplete: 'off' });
  const finished = h('input', { type: 'checkbox', name: 'finished', checked: query.get('finished') === '1' });
  const list = h('div', { 'aria-live': 'polite', id: 'queue' });
  const load = async () => {
    mount(list, loading());
    const q = search.value.trim().toLowerCase();
    // A search looks through finished cases too.
    const [result, sla] = await Promise.all([
      get(ROUTES.agentQueue(finished.checked || q ? 'all=1' : ''), 'agent'), get(ROUTES.agentSla(), 'agent')]);
    if (!result.ok) {
      if (result.status === 401) { setToken('agent', ''); signIn(view, result.error); return; }
      mount(list, errorBox(result.error));
      return;
    }
    const flags = new Map();
    if (sla.ok) {
      for (const c of sla.data.due_soon || []) flags.set(c.id, 'soon');
      for (const c of sla.data.breached || []) flags.set(c.id, 'breached');
    }
    let cases = (result.data.cases || []).map((c) => ({ ...c, sla: flags.get(c.id) || (FINISHED.has(c.status) ? 'done' : 'ok') }));
    if (q) {
      cases = cases.filter((c) => [c.id, c.ir_reference, c.category, t(`category.${c.category}`), c.status, t(`case.${c.status}`), c.agent_id]
        .some((v) => String(v || '').toLowerCase().includes(q)));
    }
    queueName.textContent = result.data.queue ? ` — ${result.data.queue}` : '';
    mount(list, queueTable(cases));
  };
  const queueName = h('span', { class: 'muted mono', id: 'queue-name' });
  finished.addEventListener('change', load);
  mount(view,
    h('div', { class: 'row between' }, h('h1', {}, t('agent.queue'), queueName),
      h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => { setToken('agent', ''); rerender(); } }, t('agent.sign_out'))),
    h('form', { class: 'card row', role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } },
      h('div', { style: 'flex:1;min-width:200px' }, field(t('agent.search'), search, t('agent.search_hint'))),
      h('label', { class: 'row', style: 'font-weight:400' }, finished, t('agent.include_finished')),
      h('button', { class: 'btn', type: 'submit' }, t('agent.search_button'))),
    h('div', { class: 'legend', style: 'margin-bottom:.5rem' },
      h('span', { style: '--c:#1a7f37' }, t('sla.ok')), h('span', { style: '--c:#d99100' }, t('sla.soon')), h('span', { style: '--c:#b42318' }, t('sla.breached'))),
    list);
  await load();
  const timer = setInterval(() => { if (!search.value.trim() && document.activeElement !== search) load(); }, 15000);
  return () => clearInterval(timer);
}

function queueTable(items) {
  if (!items.length) return h('p', { class: 'card muted' }, t('agent.empty'));
  return h('div', { class: 'card table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['agent.col.case', 'agent.col.category', 'agent.col.status', 'agent.col.priority', 'agent.col.due', 'agent.col.owner']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, items.map((c) => {
      const sla = slaState(c);
      return h('tr', { class: `sla-${sla}`, dataset: { case: c.id, sla } },
        h('td', {}, h('a', { class: 'mono', href: `#/agent/case/${encodeURIComponent(c.id)}` }, c.id),
          h('span', { class: 'visually-hidden' }, ` ${t(`sla.${sla}`)}`)),
        h('td', {}, t(`category.${c.category}`)),
        h('td', {}, stateBadge('case', c.status)),
        h('td', {}, h('span', { class: `badge ${c.priority === 'urgent' ? 'badge-bad' : c.priority === 'high' ? 'badge-warn' : 'badge-muted'}` }, t(`priority.${c.priority}`))),
        h('td', { class: 'small' }, formatTime(c.due_at), h('br'), h('span', { class: `badge badge-${{ ok: 'ok', soon: 'warn', breached: 'bad', done: 'muted' }[sla]}` }, t(`sla.${sla}`))),
        h('td', { class: 'small' }, c.agent_id || t('agent.nobody')));
    }))));
}

async function renderCase(view, id) {
  mount(view, loading());
  const [result, dossier] = await Promise.all([get(ROUTES.agentCase(id), 'agent'), get(ROUTES.agentDossier(id), 'agent')]);
  if (!result.ok) { mount(view, h('a', { href: '#/agent' }, t('agent.back')), errorBox(result.error)); return; }
  const c = result.data.case || result.data;
  // The dossier is the document a bank receives: customer, case, the
  // transaction as the switch knows it (state and timeline), history.
  const d = dossier.ok ? dossier.data : null;
  const tx = d && d.transaction ? d.transaction : null;
  const reload = () => renderCase(view, id);
  const sla = slaState(c);
  mount(view,
    h('a', { href: '#/agent' }, t('agent.back')),
    h('div', { class: 'row between', style: 'margin-top:.5rem' },
      h('h1', {}, t('cases.case'), ' ', h('span', { class: 'mono' }, c.id)),
      h('div', { class: 'row' }, stateBadge('case', c.status),
        h('span', { class: `badge badge-${{ ok: 'ok', soon: 'warn', breached: 'bad', done: 'muted' }[sla]}` }, t(`sla.${sla}`)))),
    h('div', { class: 'split' },
      h('div', {},
        h('section', { class: `card sla-${sla}`, 'aria-labelledby': 'dossier-h' },
          h('h2', { id: 'dossier-h' }, t('agent.dossier')),
          h('dl', { class: 'facts', id: 'dossier' },
            h('dt', {}, t('agent.customer')), h('dd', {}, (c.customer && c.customer.name) || c.customer_id),
            h('dt', {}, t('login.mobile')), h('dd', { class: 'mono' }, c.customer && c.customer.mobile),
            c.customer && c.customer.national_id_masked ? [h('dt', {}, t('agent.national_id')), h('dd', { class: 'mono' }, c.customer.national_id_masked)] : null,
            h('dt', {}, t('problem.category')), h('dd', {}, t(`category.${c.category}`)),
            h('dt', {}, t('problem.party')), h('dd', {}, t(`party.${c.party}`), c.bank_code ? ` — ${c.bank_code}` : ''),
            h('dt', {}, t('agent.queue_name')), h('dd', {}, c.queue),
            h('dt', {}, t('agent.col.priority')), h('dd', {}, t(`priority.${c.priority}`)),
            h('dt', {}, t('cases.opened_at')), h('dd', {}, formatTime(c.created_at)),
            h('dt', {}, t('cases.due')), h('dd', {}, formatTime(c.due_at)),
            c.ir_reference ? [h('dt', {}, t('tx.ir')), h('dd', { class: 'ir' }, c.ir_reference)] : null,
            c.transaction && c.transaction.amount_piastres ? [h('dt', {}, t('tx.amount')), h('dd', {}, money(c.transaction.amount_piastres))] : null,
            c.transaction && c.transaction.at ? [h('dt', {}, t('problem.when')), h('dd', {}, formatTime(c.transaction.at))] : null,
            c.transaction && c.transaction.counterparty ? [h('dt', {}, t('problem.counterparty')), h('dd', { class: 'num' }, c.transaction.counterparty)] : null,
            c.transfers_frozen ? [h('dt', {}, t('agent.frozen')), h('dd', {}, t('agent.frozen_yes'))] : null),
          (c.missing || []).length ? alertBox('warn', t('agent.missing', { items: c.missing.map((m) => tr(m.label) || t(`item.${m.item}`)).join(t('list.separator')) })) : null,
          c.diagnosis ? alertBox('info', diagnosisText(c.diagnosis)) : null),
        tx ? h('section', { class: 'card', 'aria-labelledby': 'atl-h' },
          h('h2', { id: 'atl-h' }, t('tx.timeline')),
          h('p', {}, stateBadge('state', tx.state), ' ', h('span', { class: 'num' }, money(tx.amount_piastres ?? tx.amount)), ' ',
            h('span', { class: 'ir' }, tx.ir), ' · ', tx.payer_participant || '', ' → ', tx.payee_participant || '', ' ', pick(tx, 'payee_masked_name')),
          tx.error_code ? h('p', { class: 'small mono' }, tx.error_code) : null,
          timeline(tx.timeline)) : null,
        h('section', { class: 'card' }, h('h2', {}, t('agent.history')),
          h('ol', { class: 'timeline small' }, (c.history || []).map((e) => h('li', {},
            h('time', {}, formatTime(e.at)), `${e.actor} · ${e.action}${e.detail ? ` — ${e.detail}` : ''}`))))),
      h('div', {},
        h('section', { class: 'card' }, h('h2', {}, t('agent.description')), h('p', { dir: 'auto' }, c.description),
          (c.attachments || []).length ? h('div', { class: 'thumbs' }, c.attachments.map((a) =>
            h('a', { href: ROUTES.agentAttachment(c.id, a.id), target: '_blank', onclick: (e) => openAttachment(e, c.id, a) },
              h('span', { class: 'badge badge-info' }, `📎 ${a.filename}`)))) : null),
        h('section', { class: 'card', 'aria-labelledby': 'conv-h' },
          h('h2', { id: 'conv-h' }, t('cases.messages')),
          (c.messages || []).length ? h('ol', { class: 'messages' }, c.messages.map((m) =>
            h('li', { class: `msg ${m.internal ? 'note' : String(m.author).startsWith('customer') ? 'theirs' : 'mine'}` },
              h('div', { class: 'meta' }, m.author, m.internal ? ` · ${t('agent.internal')}` : '', ' · ', formatTime(m.at)),
              h('div', { dir: 'auto' }, m.body)))) : h('p', { class: 'muted' }, t('cases.no_messages'))),
        c.resolution ? alertBox('ok', `${t('cases.answer')}: ${c.resolution}`) : null,
        FINISHED.has(c.status) ? null : actions(c, reload))));
}

async function openAttachment(event, caseId, attachment) {
  // Attachments need the agent's bearer token, so they are fetched, not linked.
  event.preventDefault();
  const response = await fetch(ROUTES.agentAttachment(caseId, attachment.id), { headers: { Authorization: `Bearer ${token('agent')}` } });
  if (!response.ok) { toast(t('error.generic', { status: response.status })); return; }
  const url = URL.createObjectURL(await response.blob());
  window.open(url, '_blank', 'noopener');
}

function actions(c, reload) {
  const out = h('div', { 'aria-live': 'assertive' });
  const act = async (button, action, body) => {
    const result = await busy(button, () => post(ROUTES.agentAction(c.id, action), body, 'agent'));
    if (!result) return;
    if (!result.ok) { mount(out, errorBox(result.error)); return; }
    toast(t(`agent.done.${action}`));
    reload();
  };
  const take = h('button', { class: 'btn btn-ghost', type: 'button', id: 'take' }, t('agent.take'));
  take.addEventListener('click', () => act(take, 'take', {}));

  const replyText = h('textarea', { name: 'reply', dir: 'auto' });
  const internal = h('input', { type: 'checkbox', name: 'internal' });
  const replyButton = h('button', { class: 'btn', type: 'submit' }, t('agent.reply'));
  const reply = h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); if (replyText.value.trim()) act(replyButton, 'reply', { text: replyText.value.trim(), internal: internal.checked }); } },
    h('h2', {}, t('agent.reply')), field(t('agent.reply_label'), replyText),
    h('label', { class: 'row', style: 'font-weight:400' }, internal, t('agent.internal_note')), replyButton);

  const boxes = ITEMS.map((item) => [item, h('input', { type: 'checkbox', name: `item-${item}`, value: item })]);
  const askText = h('textarea', { name: 'ask', dir: 'auto', style: 'min-height:4rem' });
  const askButton = h('button', { class: 'btn', type: 'submit' }, t('agent.request_info'));
  const ask = h('form', { class: 'card', onsubmit: (e) => {
    e.preventDefault();
    const items = boxes.filter(([, b]) => b.checked).map(([i]) => i);
    if (!items.length) { mount(out, alertBox('error', t('agent.pick_items'))); return; }
    act(askButton, 'request-info', { items, text: askText.value.trim() });
  } },
  h('h2', {}, t('agent.request_info')),
  h('fieldset', { style: 'border:0;padding:0;margin:0 0 .6rem' }, h('legend', { class: 'small muted' }, t('agent.items')),
    h('div', { class: 'grid', style: 'grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.3rem' },
      boxes.map(([item, box]) => h('label', { class: 'row', style: 'font-weight:400' }, box, t(`item.${item}`))))),
  field(t('agent.message'), askText), askButton);

  const bank = h('select', { name: 'bank' }, BANKS.map((b) => h('option', { value: b, selected: b === c.bank_code }, t(`bank.${b}`))));
  const escNote = h('textarea', { name: 'note', dir: 'auto', style: 'min-height:4rem' });
  const escButton = h('button', { class: 'btn', type: 'submit' }, t('agent.escalate'));
  const escalate = h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); act(escButton, 'escalate', { bank_code: bank.value, note: escNote.value.trim() }); } },
    h('h2', {}, t('agent.escalate')), field(t('agent.bank'), bank), field(t('agent.note'), escNote), escButton);

  const answer = h('textarea', { name: 'answer', id: 'resolve-answer', dir: 'auto' });
  const resolveButton = h('button', { class: 'btn', type: 'submit', id: 'resolve' }, t('agent.resolve'));
  const resolve = h('form', { class: 'card', style: 'border-color:var(--green)', onsubmit: (e) => {
    e.preventDefault();
    if (!answer.value.trim()) { answer.setAttribute('aria-invalid', 'true'); answer.focus(); return; }
    act(resolveButton, 'resolve', { answer: answer.value.trim() });
  } },
  h('h2', {}, t('agent.resolve')), field(t('agent.answer'), answer, t('agent.answer_hint')), resolveButton);

  return h('div', {}, out, c.agent_id ? null : h('div', { class: 'card row between' }, h('span', {}, t('agent.unassigned')), take), reply, ask, escalate, resolve);
}

// Agents sign in with the bearer token the administrator issued them (it
// names the agent and the queue: app support or one bank); the queue call
// checks it before it is kept.
function signIn(view, error) {
  const secret = h('input', { name: 'token', type: 'password', dir: 'ltr', autocomplete: 'current-password', required: true });
  const msg = h('div', { 'aria-live': 'assertive' }, error ? errorBox(error) : null);
  const submit = h('button', { class: 'btn', type: 'submit' }, t('agent.sign_in'));
  mount(view, h('form', { class: 'card', style: 'max-width:480px', onsubmit: async (e) => {
    e.preventDefault();
    setToken('agent', secret.value.trim());
    const result = await busy(submit, () => get(ROUTES.agentQueue(''), 'agent'));
    if (!result) return;
    if (!result.ok) { setToken('agent', ''); mount(msg, errorBox(result.error)); return; }
    rerender();
  } },
  h('h1', {}, t('agent.title')),
  msg,
  field(t('agent.secret'), secret, t('agent.secret_hint')),
  submit));
  return undefined;
}

function rerender() { window.dispatchEvent(new HashChangeEvent('hashchange')); }
