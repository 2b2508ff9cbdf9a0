// The help centre: search as you type (Arabic, Egyptian colloquial, English
// or Franco-Arabic), ranked articles with highlighted snippets, and articles.
import { debounce, field, h, mount } from '../dom.js';
import { lang, t, tr } from '../i18n.js';
import { ROUTES, get } from '../api.js';
import { errorBox, loading } from '../ui.js';

export async function render(view, { params, query }) {
  if (params[0]) return renderArticle(view, params[0]);
  const input = h('input', { type: 'search', name: 'q', autocomplete: 'off', value: query.get('q') || '', role: 'searchbox',
    'aria-controls': 'help-results' });
  const results = h('div', { id: 'help-results', 'aria-live': 'polite' });
  let latest = 0;
  const search = async () => {
    const q = input.value.trim();
    const ticket = ++latest;
    if (!q) {
      const all = await browse();
      if (ticket === latest) mount(results, all);
      return;
    }
    const result = await get(ROUTES.helpSearch(q, lang()));
    if (ticket !== latest) return;  // an older answer arriving late is dropped
    if (!result.ok) { mount(results, errorBox(result.error)); return; }
    mount(results, hitList(result.data, input));
  };
  input.addEventListener('input', debounce(search, 200));
  mount(view,
    h('h1', {}, t('help.title')),
    h('form', { class: 'card search-box', role: 'search', onsubmit: (e) => { e.preventDefault(); search(); } },
      field(t('help.search_label'), input, t('help.search_hint'))),
    results,
    h('div', { class: 'card' }, h('p', {}, t('help.still')), h('a', { class: 'btn', href: '#/problem' }, t('nav.problem'))));
  input.focus();
  await search();
  return undefined;
}

function hitList(data, input) {
  const parts = [];
  if (data.suggestion) {
    parts.push(h('p', {}, t('help.did_you_mean'), ' ',
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => {
        input.value = data.suggestion;
        input.dispatchEvent(new Event('input'));
      } }, data.suggestion)));
  }
  const hits = data.hits || data.results || [];
  if (!hits.length) parts.push(h('p', { class: 'muted' }, t('help.no_results')));
  parts.push(h('ul', { class: 'list card', id: 'help-hits', 'aria-label': t('help.results') }, hits.map((hit) => h('li', {},
    h('a', { class: 'list-item', href: `#/help/${encodeURIComponent(hit.article_id || hit.id)}`, style: 'display:block' },
      h('div', { class: 'title' }, hit.title),
      h('div', { class: 'small muted' }, snippet(hit)))))));
  return parts;
}

// The snippet with its matches in <mark>, built as DOM nodes: from
// snippet_html (only &amp; &lt; &gt; &quot; &#39; escapes and <mark> tags are
// expected) or from byte ranges over the UTF-8 snippet.
export function snippet(hit) {
  if (hit.snippet_html) {
    const nodes = [];
    const parts = String(hit.snippet_html).split(/(<mark>|<\/mark>)/);
    let marked = false;
    for (const part of parts) {
      if (part === '<mark>') { marked = true; continue; }
      if (part === '</mark>') { marked = false; continue; }
      const text = unescapeHtml(part.replace(/<[^>]*>/g, ''));
      nodes.push(marked ? h('mark', {}, text) : text);
    }
    return nodes;
  }
  const text = hit.snippet || '';
  const ranges = hit.highlights || [];
  if (!ranges.length) return text;
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const nodes = [];
  let at = 0;
  for (const [start, length] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    nodes.push(decoder.decode(bytes.slice(at, start)));
    nodes.push(h('mark', {}, decoder.decode(bytes.slice(start, start + length))));
    at = start + length;
  }
  nodes.push(decoder.decode(bytes.slice(at)));
  return nodes;
}

function unescapeHtml(text) {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (all, name) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[name]);
}

async function browse() {
  const result = await get(ROUTES.helpArticles());
  if (!result.ok) return [];
  const articles = result.data.articles || [];
  const byCategory = new Map();
  for (const a of articles) {
    if (!byCategory.has(a.category)) byCategory.set(a.category, []);
    byCategory.get(a.category).push(a);
  }
  return h('div', { class: 'grid' }, [...byCategory].map(([category, items]) =>
    h('section', { class: 'card' },
      h('h2', {}, t(`help.category.${category}`)),
      h('ul', { class: 'list' }, items.slice(0, 6).map((a) => h('li', {},
        h('a', { class: 'list-item', href: `#/help/${encodeURIComponent(a.id)}` }, tr(a.title))))))));
}

async function renderArticle(view, id) {
  mount(view, loading());
  const result = await get(ROUTES.helpArticle(id));
  if (!result.ok) { mount(view, errorBox(result.error), h('a', { href: '#/help' }, t('help.back'))); return; }
  const a = result.data.article || result.data;
  mount(view,
    h('a', { href: '#/help' }, t('help.back')),
    h('article', { class: 'card', style: 'margin-top:.6rem' },
      h('h1', {}, tr(a.title)),
      h('div', { class: 'article-body' }, tr(a.body))),
    h('div', { class: 'card' }, h('p', {}, t('help.still')), h('a', { class: 'btn', href: '#/problem' }, t('nav.problem'))));
}
