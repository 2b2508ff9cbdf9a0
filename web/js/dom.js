// Small DOM helpers. Every text goes in through textContent (never innerHTML)
// so nothing a customer or the server wrote can inject markup; the one
// exception, help-centre snippets, is rebuilt from byte ranges in help.js.

// h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, [children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// A labelled form field: the label is tied to the control by id, hints by
// aria-describedby, so screen readers announce both.
let fieldCounter = 0;
export function field(labelText, control, hintText) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const parts = [h('label', { for: id }, labelText), control];
  if (hintText) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('div', { class: 'hint', id: hintId }, hintText));
  }
  return h('div', { class: 'field' }, parts);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Arabic-Indic and Eastern Arabic-Indic digits typed on Arabic keyboards
// become ASCII digits before anything is sent to the server.
export function asciiDigits(text) {
  return String(text ?? '')
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06F0))
    .replace(/[\u066B\u066C]/g, (c) => (c === '\u066B' ? '.' : ','));
}

// "150", "150.5", "1,250.75" (EGP) → piastres as an integer, by string
// arithmetic: money never passes through floating point. null when invalid.
export function parseAmountToPiastres(text) {
  const clean = asciiDigits(text).replace(/[,\s]/g, '');
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(clean);
  if (!match) return null;
  const pounds = Number(match[1]);
  const piastres = Number((match[2] || '').padEnd(2, '0'));
  const total = pounds * 100 + piastres;
  return Number.isSafeInteger(total) && total > 0 ? total : null;
}

// Resizes an image file to a JPEG of at most `maxSide` pixels and `maxBytes`,
// lowering quality until it fits: phones take 4 MB screenshots, the server
// takes request bodies of at most 64 KiB (one image of <= 40 KiB, base64
// encoded, per request). Returns {name, type, base64, size, dataUrl}.
export async function shrinkImage(file, maxSide = 1280, maxBytes = 40 * 1024) {
  const bitmap = await createImageBitmap(file);
  let side = maxSide;
  for (let attempt = 0; attempt < 8; attempt++) {
    const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.8, 0.65, 0.5]) {
      const dataUrl = canvas.toDataURL('image/jpeg', quality);
      const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
      const size = Math.floor((base64.length * 3) / 4);
      if (size <= maxBytes) {
        const name = (file.name || 'screenshot').replace(/\.[^.]*$/, '') + '.jpg';
        return { name, type: 'image/jpeg', base64, size, dataUrl };
      }
    }
    side = Math.round(side * 0.7);
  }
  throw new Error('image_too_large');
}
