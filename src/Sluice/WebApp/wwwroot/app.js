// Sluice's web app: a few pages over the Admin API, signed in with an admin token.
// Everything is built with DOM calls (never innerHTML), so data from events cannot inject markup.

const tokenKey = 'sluice.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let role = null;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = 'GET', body, signOutOnRefusal = true, prefix = '/api/v1' } = {}) {
  const response = await fetch(`${prefix}${path}`, {
    method,
    headers: { Authorization: `Bearer ${sessionStorage.getItem(tokenKey)}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (response.status === 401 && signOutOnRefusal) {
    sessionStorage.setItem('sluice.signin-reason', 'Signed out: this token is no longer accepted (it was revoked, or the server now has other tokens). Sign in again.');
    rememberPage();
    signOut();
    throw new ApiError(401, json);
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

function show(title, ...content) {
  document.title = `${title} · Sluice`;
  main.replaceChildren(h('h1', { text: title }), ...content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  main.focus();
}

function problem(error) {
  return h('p', { class: 'notice bad', role: 'alert', text: error.message });
}

// A notice for the next page shown (the action that made it usually moves to another page).
// kind: good (done), bad (done, but something is wrong), info.
function flash(text, kind = 'good') {
  sessionStorage.setItem('sluice.notice', JSON.stringify({ text, kind }));
}

function takeFlash() {
  const stored = sessionStorage.getItem('sluice.notice');
  sessionStorage.removeItem('sluice.notice');
  if (!stored) return null;
  const { text, kind } = JSON.parse(stored);
  return h('p', { class: `notice ${kind}`, role: kind === 'bad' ? 'alert' : 'status', text });
}

// What a credential check means for the notice after a save.
function savedNotice(prefix, saved) {
  if (!saved.authentication) return flash(prefix, 'good');
  flash(`${prefix} ${saved.authentication.message}`, saved.authentication.valid === true ? 'good' : saved.authentication.valid === false ? 'bad' : 'info');
}

// The page a signed-out visitor asked for, so that signing in leads there.
function rememberPage() {
  if (location.hash && location.hash !== '#/signin') sessionStorage.setItem('sluice.return', location.hash);
}

function canWrite() {
  return role === 'workspace-owner' || role === 'workspace-member';
}

// Puts each problem of a refused save next to the field it names (its data-field), the rest in a notice.
function showProblems(form, failure, general) {
  for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
  general.replaceChildren();
  const problems = failure.body?.error?.problems ?? [{ field: failure.body?.error?.field ?? '', message: failure.message }];
  for (const p of problems) {
    const slot = [...form.querySelectorAll('[data-field]')].find((e) => p.field === e.dataset.field || p.field.startsWith(`${e.dataset.field}.`) || p.field.startsWith(`${e.dataset.field}[`))
      ?? [...form.querySelectorAll('[data-field]')].find((e) => e.dataset.field.startsWith(`${p.field}.`));
    if (slot) slot.textContent = p.message; else general.append(h('p', { class: 'notice bad', role: 'alert', text: p.field ? `${p.field}: ${p.message}` : p.message }));
  }
  const first = form.querySelector('.field-error:not(:empty)');
  (first?.id ? document.getElementById(first.id.replace(/-error$/, '')) : null)?.focus();
}

function field(label, id, input, dataField, hint) {
  return [h('label', { for: id, text: label }), input, hint ? h('p', { class: 'muted', text: hint }) : null, h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', 'data-field': dataField })];
}

// Times as the API gives them, in UTC, readable: 2026-12-04 18:52:19 UTC.
function formatTime(iso) {
  return iso ? `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC` : '';
}

// ---- sign in ----------------------------------------------------------------------------------

function signInPage() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'token-error' });
  const error = h('p', { id: 'token-error', class: 'field-error', role: 'alert' });
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      sessionStorage.setItem(tokenKey, input.value.trim());
      try {
        role = (await api('/me', { signOutOnRefusal: false })).role;
        const target = sessionStorage.getItem('sluice.return') || '#/destinations';
        sessionStorage.removeItem('sluice.return');
        sessionStorage.removeItem('sluice.signin-reason');
        if (location.hash === target) route(); else location.hash = target;
      } catch (failure) {
        sessionStorage.removeItem(tokenKey);
        error.textContent = failure.status === 401 ? 'This token is not valid.' : failure.message;
        input.focus();
      }
    },
    oninput: () => { error.textContent = ''; },
  }, h('label', { for: 'token', text: 'Admin token' }), input, error,
  h('p', { class: 'muted', text: 'The owner token is printed when Sluice first starts; owners mint more on the Tokens page.' }),
  h('button', { type: 'submit', text: 'Sign in' }));
  nav.hidden = true;
  const reason = sessionStorage.getItem('sluice.signin-reason');
  show('Sign in', reason ? h('p', { class: 'notice info', role: 'status', id: 'signin-reason', text: reason }) : null, form);
  input.focus();
}

function signOut() {
  sessionStorage.removeItem(tokenKey);
  role = null;
  location.hash = '#/signin';
}

// ---- catalog ----------------------------------------------------------------------------------

async function catalogPage() {
  const { destinations } = await api('/catalog');
  const search = h('input', { type: 'search', id: 'catalog-search', placeholder: 'Search destinations', 'aria-label': 'Search destinations' });
  const grid = h('div', { class: 'grid' });
  const render = () => {
    const term = search.value.trim().toLowerCase();
    grid.replaceChildren(...destinations
      .filter((d) => !term || d.name.toLowerCase().includes(term) || d.description.toLowerCase().includes(term))
      .map((d) => h('article', { class: 'card' },
        h('h3', {}, h('a', { href: `#/catalog/${d.slug}`, text: d.name })),
        h('p', { class: 'muted', text: d.description }),
        h('p', {}, h('span', { class: 'badge', text: plural(Object.keys(d.actions).length, 'action') }), ' ', h('span', { class: 'badge', text: plural(d.presets.length, 'preset') })))));
    if (grid.childElementCount === 0) grid.replaceChildren(h('p', { class: 'muted', text: `No destination matches “${search.value.trim()}”.` }));
  };
  search.addEventListener('input', render);
  render();
  show('Catalog', search, h('p'), grid);
}

async function catalogEntryPage(slug) {
  const d = await api(`/catalog/${encodeURIComponent(slug)}`);
  show(d.name,
    h('p', { text: d.description }),
    canWrite() ? h('p', {}, h('a', { href: `#/catalog/${encodeURIComponent(slug)}/add`, class: 'button', id: 'add-destination', text: `Add ${d.name}` })) : null,
    d.supportedTypes ? h('p', { class: 'muted', text: `Takes: ${d.supportedTypes.join(', ')} calls` }) : null,
    h('h2', { text: 'Settings' }),
    h('table', {}, h('tr', {}, h('th', { text: 'Setting' }), h('th', { text: 'Type' }), h('th', { text: 'Required' }), h('th', { text: 'About' })),
      Object.entries(d.settings).map(([key, s]) => h('tr', {}, h('td', {}, h('code', { text: key })), h('td', { text: s.secret ? `${s.type} (secret)` : s.type }), h('td', { text: s.required ? 'yes' : 'no' }), h('td', { text: s.description })))),
    h('h2', { text: 'Actions' }),
    Object.entries(d.actions).map(([key, a]) => h('section', { class: 'card' },
      h('h3', { text: `${a.title} (${key})` }), h('p', { class: 'muted', text: a.description }),
      h('table', {}, h('tr', {}, h('th', { text: 'Field' }), h('th', { text: 'Type' }), h('th', { text: 'Required' }), h('th', { text: 'Default' })),
        Object.entries(a.fields).filter(([, f]) => !f.hidden).map(([name, f]) => h('tr', {}, h('td', {}, h('code', { text: name })), h('td', { text: f.multiple ? `${f.type}[]` : f.type }), h('td', { text: f.required ? 'yes' : 'no' }), h('td', {}, f.default !== null && f.default !== undefined ? h('code', { text: JSON.stringify(f.default) }) : '')))))),
    h('h2', { text: 'Presets' }),
    d.presets.length ? h('table', {}, h('tr', {}, h('th', { text: 'Preset' }), h('th', { text: 'Trigger' }), h('th', { text: 'Action' })),
      d.presets.map((p) => h('tr', {}, h('td', { text: p.name }), h('td', {}, h('code', { text: p.trigger })), h('td', { text: p.action })))) : h('p', { class: 'muted', text: 'None: every delivery comes from a mapping you write.' }));
}

// ---- destinations -----------------------------------------------------------------------------

async function destinationsPage() {
  const { destinations } = await api('/destinations');
  const stats = await Promise.all(destinations.map((d) => api(`/destinations/${encodeURIComponent(d.id)}/stats`)));
  const count = (n, css) => h('td', { class: n > 0 ? css : '', text: number(n) });
  show('Destinations', takeFlash(), destinations.length === 0
    ? h('p', { class: 'muted' }, 'No destination yet. Pick one in the ', h('a', { href: '#/catalog', text: 'catalog' }), '.')
    : h('table', {}, h('tr', {}, h('th', { text: 'Destination' }), h('th', { text: 'Type' }), h('th', { text: 'Delivered' }), h('th', { text: 'Retrying' }), h('th', { text: 'Failed' }), h('th', { text: 'Managed by' })),
      destinations.map((d, i) => h('tr', {},
        h('td', {}, h('a', { href: `#/destinations/${encodeURIComponent(d.id)}`, text: d.name }), d.enabled ? '' : [' ', h('span', { class: 'badge', text: 'disabled' })]),
        h('td', { text: d.catalogName ?? d.type }),
        count(stats[i].delivered, 'status-delivered'),
        count(stats[i].retrying, 'status-retrying'),
        count(stats[i].failed, 'status-failed'),
        h('td', { text: d.managedBy })))));
}

function plural(count, noun, nouns = `${noun}s`) {
  return count === 0 ? `no ${nouns}` : `${number(count)} ${count === 1 ? noun : nouns}`;
}

function number(n) {
  return Number(n ?? 0).toLocaleString('en-US');
}

function hourOf(iso) {
  return new Date(iso).toISOString().slice(11, 16);
}

// Deliveries per hour as columns of stacked statuses, with hour labels and a scale; laid out with CSS so it fills its box.
function chart(buckets) {
  const statuses = [['delivered', 'delivered'], ['retrying', 'retrying'], ['failed', 'failed'], ['skipped', 'other'], ['filtered', 'other']];
  const total = (b) => statuses.reduce((sum, [s]) => sum + b[s], 0);
  const max = Math.max(0, ...buckets.map(total));
  if (max === 0) return h('p', { class: 'chart-empty muted', id: 'chart', text: 'No deliveries in the last 24 hours.' });
  const columns = buckets.map((b, i) => {
    const label = `${hourOf(b.start)} UTC: ${statuses.filter(([s]) => b[s] > 0).map(([s]) => `${number(b[s])} ${s}`).join(', ') || 'none'}`;
    return h('div', { class: 'column', title: label, 'aria-label': label, role: 'listitem' },
      h('div', { class: 'stack' }, statuses.filter(([s]) => b[s] > 0).map(([s, css]) => h('div', { class: `segment ${css}`, style: null, 'data-height': String((b[s] / max) * 100) }))),
      h('span', { class: 'hour', text: i % 6 === 0 || i === buckets.length - 1 ? hourOf(b.start) : '' }));
  });
  const box = h('div', { class: 'chart', id: 'chart' },
    h('div', { class: 'scale', 'aria-hidden': 'true' }, h('span', { text: number(max) }), h('span', { text: max >= 4 ? number(Math.round(max / 2)) : '' }), h('span', { text: '0' })),
    h('div', { class: 'columns', role: 'list', 'aria-label': 'Deliveries per hour (UTC) by status' }, columns));
  // Heights are set as properties: the content-security policy refuses style attributes written as text.
  for (const segment of box.querySelectorAll('.segment')) segment.style.height = `${segment.dataset.height}%`;
  return box;
}

// The destination's recent deliveries of one status, with why and what the service answered.
function deliveriesSection(path, stats) {
  const order = ['retrying', 'failed', 'skipped', 'pending', 'delivered', 'filtered'];
  const initial = order.find((s) => stats[s] > 0) ?? 'delivered';
  const select = h('select', { id: 'delivery-status', 'aria-label': 'Show deliveries that are' }, order.map((s) => h('option', { value: s, selected: s === initial, text: `${s} (${number(stats[s])})` })));
  const box = h('div', { id: 'deliveries' });
  const load = async () => {
    const { deliveries } = await api(`${path}/deliveries?status=${select.value}&limit=20`);
    box.replaceChildren(deliveries.length === 0 ? h('p', { class: 'muted', text: `No ${select.value} deliveries.` }) : h('table', {},
      h('tr', {}, h('th', { text: 'When' }), h('th', { text: 'Message' }), h('th', { text: 'Mapping' }), h('th', { text: 'Why' }), h('th', { text: 'HTTP' }), h('th', { text: 'The service answered' })),
      deliveries.map((d) => h('tr', {},
        h('td', {}, formatTime(d.updatedAt), d.nextAttemptAt ? h('p', { class: 'muted', text: `next attempt ${formatTime(d.nextAttemptAt)}` }) : null, d.attempts ? h('p', { class: 'muted', text: `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` }) : null),
        h('td', {}, h('code', { text: d.messageId })),
        h('td', { text: d.mapping ?? '' }),
        h('td', { class: 'reason', text: d.reason ?? '' }),
        h('td', { text: d.httpStatus ?? '' }),
        h('td', {}, d.response ? h('code', { text: d.response }) : '')))));
  };
  select.addEventListener('change', () => load().catch((failure) => box.replaceChildren(problem(failure))));
  return { element: [h('div', { class: 'row' }, h('label', { for: 'delivery-status', class: 'inline', text: 'Show' }), select), box], load };
}

async function destinationPage(id) {
  const path = `/destinations/${encodeURIComponent(id)}`;
  const [d, stats, timeline] = await Promise.all([api(path), api(`${path}/stats`), api(`${path}/stats/timeline?hours=24`)]);
  const replayState = h('p', { role: 'status', class: 'muted' });
  const replay = h('button', {
    type: 'button', id: 'replay', class: 'secondary', disabled: stats.failed === 0,
    onclick: async () => {
      replay.disabled = true;
      try {
        const { requeued } = await api(`${path}/replay`, { method: 'POST', body: { status: 'failed' } });
        replayState.textContent = `Sending ${requeued} again…`;
        for (let i = 0; i < 120 && requeued > 0; i++) {
          const now = await api(`${path}/stats`);
          replayState.textContent = `Sending ${requeued} again: ${now.pending + now.retrying} waiting, ${now.delivered} delivered in all.`;
          if (now.pending === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        const after = await api(`${path}/stats`);
        if (after.pending === 0) flash(`Replay done: ${requeued} sent again; ${number(after.delivered)} delivered and ${number(after.failed)} failed in all.`, after.failed > 0 ? 'bad' : 'good');
        else flash(`Replay under way: ${after.pending} still waiting.`, 'info');
        await destinationPage(id);
      } catch (failure) {
        replayState.textContent = failure.message;
      }
    },
  }, 'Replay failed deliveries');
  const notice = takeFlash();
  const editable = canWrite() && d.managedBy === 'api';
  const toggle = editable ? h('button', {
    type: 'button', id: 'toggle-enabled', class: 'secondary',
    onclick: async () => {
      try {
        await api(path, { method: 'PATCH', body: { enabled: !d.enabled } });
        flash(d.enabled ? `${d.name} is disabled: its events are filtered, not delivered.` : `${d.name} is enabled: new events are delivered.`);
        await destinationPage(id);
      } catch (failure) { main.prepend(problem(failure)); }
    },
  }, d.enabled ? 'Disable' : 'Enable') : null;
  const deliveries = deliveriesSection(path, stats);
  show(d.name,
    notice,
    h('p', { class: 'muted' }, `${d.catalogName ?? d.type} · reads from ${d.sources.join(', ')} · managed by ${d.managedBy}`, d.enabled ? null : [' ', h('span', { class: 'badge warn', text: 'disabled' })]),
    toggle ? h('div', { class: 'row' }, toggle, h('button', {
      type: 'button', id: 'delete-destination', class: 'danger',
      onclick: async () => {
        if (!confirm(`Delete ${d.name}? Its events stop being delivered, and deliveries still waiting for it fail.`)) return;
        try {
          await api(path, { method: 'DELETE' });
          flash(`${d.name} deleted.`);
          location.hash = '#/destinations';
        } catch (failure) { main.prepend(problem(failure)); }
      },
    }, 'Delete destination')) : null,
    h('h2', { text: 'Delivery overview' }),
    h('div', { class: 'stats' }, ['delivered', 'pending', 'retrying', 'failed', 'skipped', 'filtered'].map((s) => h('div', {}, h('strong', { class: `status-${s}`, text: number(stats[s]) }), s))),
    h('h2', { text: 'Last 24 hours' }), chart(timeline.buckets),
    h('div', { class: 'legend' }, h('span', { class: 'status-delivered', text: '■ delivered' }), h('span', { class: 'status-retrying', text: '■ retrying' }), h('span', { class: 'status-failed', text: '■ failed' }), h('span', { text: '■ skipped or filtered' })),
    h('h2', { text: 'Recent deliveries' }),
    deliveries.element,
    canWrite() ? h('div', { class: 'row actions' }, replay) : null, replayState,
    h('h2', { text: 'Mappings' }),
    d.mappings.length === 0 ? h('p', { class: 'muted', text: d.type === 'webhook' ? 'No mappings yet: a Webhook delivers nothing until a mapping says what to send where.' : 'No mappings yet.' }) : h('table', {}, h('tr', {}, h('th', { text: 'Mapping' }), h('th', { text: 'Trigger' }), h('th', { text: 'Action' }), h('th', { text: 'State' })),
      d.mappings.map((m) => h('tr', {},
        h('td', {}, m.preset ? m.name : h('a', { href: `#/destinations/${encodeURIComponent(id)}/mappings/${encodeURIComponent(m.name)}`, text: m.name })),
        h('td', {}, h('code', { text: m.trigger })), h('td', { text: m.action }), h('td', { text: `${m.enabled ? 'enabled' : 'disabled'}${m.preset ? ' · preset' : ''}` })))),
    editable ? h('p', {}, h('a', { href: `#/destinations/${encodeURIComponent(id)}/mappings/new`, id: 'add-mapping', text: 'Add a mapping' })) : null,
    h('h2', { text: 'Filters' }),
    filtersSection(d, path, editable, () => destinationPage(id)),
    h('h2', { text: 'Settings' }),
    Object.keys(d.settings).length === 0 ? h('p', { class: 'muted', text: 'None.' }) : h('table', {}, Object.entries(d.settings).map(([key, value]) => h('tr', {}, h('th', { text: key }), h('td', {}, h('code', { text: typeof value === 'string' ? value : JSON.stringify(value) }))))),
    editable ? h('p', {}, h('a', { href: `#/destinations/${encodeURIComponent(id)}/settings`, id: 'edit-settings', text: 'Edit settings' })) : null);
  await deliveries.load();
}

// A form input per setting of a catalog definition; current values shown (secrets stay masked: sent back unchanged, the server keeps them).
function settingsInputs(definition, current) {
  return Object.entries(definition.settings).map(([key, sf]) => {
    const value = current[key];
    const input = sf.type === 'boolean'
      ? h('select', { id: `setting-${key}` }, h('option', { value: '', text: `default (${sf.default ?? 'off'})` }), h('option', { value: 'true', text: 'on', selected: value === true }), h('option', { value: 'false', text: 'off', selected: value === false }))
      : h('input', { id: `setting-${key}`, type: sf.secret ? 'password' : sf.type === 'number' ? 'number' : 'text', autocomplete: 'off', placeholder: sf.default ?? '', value: value ?? '' });
    return { key, sf, input };
  });
}

function settingsValues(inputs) {
  const settings = {};
  for (const { key, sf, input } of inputs) {
    if (input.value === '') continue;
    settings[key] = sf.type === 'boolean' ? input.value === 'true' : sf.type === 'number' ? Number(input.value) : input.value;
  }
  return settings;
}

async function editSettingsPage(id) {
  const path = `/destinations/${encodeURIComponent(id)}`;
  const d = await api(path);
  if (!canWrite() || d.managedBy !== 'api') { location.hash = `#${path}`; return; }
  const definition = await api(`/catalog/${encodeURIComponent(d.type)}`);
  const general = h('div');
  const inputs = settingsInputs(definition, d.settings);
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const saved = await api(path, { method: 'PATCH', body: { settings: settingsValues(inputs) } });
        savedNotice('Settings saved.', saved);
        location.hash = `#${path}`;
      } catch (failure) {
        showProblems(form, failure, general);
      }
    },
  }, inputs.map(({ key, sf, input }) => field(`${sf.label}${sf.required ? ' (required)' : ''}`, input.id, input, `settings.${key}`, sf.description)),
  h('p'), h('button', { type: 'submit', id: 'save-settings', text: 'Save settings' }));
  show(`Settings: ${d.name}`, h('p', { class: 'muted', text: 'Secrets show masked; leave them as they are to keep them. Changing an address (base URL, endpoint) needs the secrets entered again.' }), general, form);
}

async function addDestinationPage(slug) {
  if (!canWrite()) { show('Add a destination', h('p', { class: 'notice info', role: 'status', text: `Adding a destination needs a member's or an owner's token; you are signed in as ${role}.` }), h('p', {}, h('a', { href: `#/catalog/${encodeURIComponent(slug)}`, text: 'Back to the catalog entry' }))); return; }
  const [d, { sources }] = await Promise.all([api(`/catalog/${encodeURIComponent(slug)}`), api('/sources')]);
  const general = h('div');
  const id = h('input', { id: 'destination-id', required: true, value: slug.replace(/^actions-/, '').slice(0, 40) });
  const name = h('input', { id: 'destination-name', value: d.name });
  const sourceBoxes = sources.map((s, i) => h('label', { class: 'row' }, h('input', { type: 'checkbox', value: s.id, checked: i === 0, style: null }), ` ${s.name} (${s.id})`));
  const settingInputs = settingsInputs(d, {});
  const presets = h('input', { type: 'checkbox', id: 'presets', checked: true });
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      const settings = settingsValues(settingInputs);
      const body = { id: id.value.trim(), name: name.value.trim() || undefined, type: slug, sources: sourceBoxes.map((l) => l.querySelector('input')).filter((c) => c.checked).map((c) => c.value), settings, presets: presets.checked };
      try {
        const saved = await api('/destinations', { method: 'POST', body });
        savedNotice('Saved.', saved);
        location.hash = `#/destinations/${encodeURIComponent(saved.id)}`;
      } catch (failure) {
        showProblems(form, failure, general);
      }
    },
  },
  field('Id', 'destination-id', id, 'id', 'Lower-case letters, digits and dashes; it names the destination in the API and the Integrations object.'),
  field('Name', 'destination-name', name, 'name'),
  h('fieldset', {}, h('legend', { text: 'Sources it reads from' }), sourceBoxes, h('p', { class: 'field-error', role: 'alert', 'data-field': 'sources' })),
  settingInputs.map(({ key, sf, input }) => field(`${sf.label}${sf.required ? ' (required)' : ''}`, input.id, input, `settings.${key}`, sf.description)),
  d.presets.length ? h('label', { class: 'row' }, presets, ` Add the presets as mappings (${d.presets.map((p) => p.name).join(', ')})`) : null,
  h('p'), h('button', { type: 'submit', id: 'save-destination', text: 'Save' }));
  // Required-setting problems are reported on "settings": show them next to the first required setting.
  const firstRequired = settingInputs.find((x) => x.sf.required);
  if (firstRequired) form.querySelector(`#${firstRequired.input.id}-error`).dataset.field = 'settings';
  show(`Add ${d.name}`, general, form);
}

async function mappingPage(destinationId, mappingName) {
  const path = `/destinations/${encodeURIComponent(destinationId)}`;
  const destination = await api(path);
  const definition = await api(`/catalog/${encodeURIComponent(destination.type)}`);
  const existing = mappingName ? destination.mappings.find((m) => m.name === mappingName) : null;
  // Read-only tokens, and destinations of the workspace file, see the mapping as it is, without the controls they cannot use.
  const readOnly = !canWrite() || destination.managedBy !== 'api';
  if (readOnly && !existing) { location.hash = `#${path}`; return; }
  const actionKeys = Object.keys(definition.actions);
  const general = h('div');
  const name = h('input', { id: 'mapping-name', required: true, value: existing?.name ?? '' });
  // A new mapping starts on the action the presets use most (FullStory's V2 rather than V1), else the first.
  const presetActions = definition.presets.map((p) => p.action);
  const preferred = actionKeys.find((k) => presetActions.includes(k) && k.endsWith('V2')) ?? presetActions.find((k) => actionKeys.includes(k)) ?? actionKeys[0];
  const action = h('select', { id: 'mapping-action' }, actionKeys.map((k) => h('option', { value: k, text: `${definition.actions[k].title} (${k})`, selected: k === (existing?.action ?? preferred) })));
  const trigger = h('input', { id: 'mapping-trigger', value: existing?.trigger ?? definition.actions[action.value].defaultSubscription ?? '' });
  const enabled = h('input', { type: 'checkbox', id: 'mapping-enabled', checked: existing?.enabled ?? true });
  const fieldsBox = h('div');
  const sample = h('textarea', { id: 'sample-event', rows: 14, spellcheck: 'false' });
  sample.value = JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'user-1', messageId: 'sample-1', timestamp: new Date().toISOString(), properties: { order_id: 'o-1', total: 42.5 } }, null, 2);
  const result = h('div', { id: 'test-result', 'aria-live': 'polite' });
  let inputs = [];
  const renderFields = () => {
    const fields = definition.actions[action.value].fields;
    inputs = Object.entries(fields).filter(([, f]) => !f.hidden).map(([key, f]) => {
      const value = existing && existing.action === action.value ? existing.mapping[key] : f.default;
      const text = value === undefined || value === null ? '' : JSON.stringify(value, null, f.type === 'object' ? 2 : 0);
      // Objects (headers, a body) get room to be written over several lines.
      const input = f.type === 'object' ? h('textarea', { id: `field-${key}`, rows: Math.min(8, Math.max(3, text.split('\n').length)), spellcheck: 'false', readonly: readOnly }) : h('input', { id: `field-${key}`, value: text, spellcheck: 'false', readonly: readOnly });
      if (f.type === 'object') input.value = text;
      return { key, input, f };
    });
    fieldsBox.replaceChildren(h('table', { class: 'fields' }, h('tr', {}, h('th', { text: 'Field' }), h('th', { text: 'Type' }), h('th', { text: 'Mapping (JSON: a value or a directive)' })),
      inputs.map(({ key, input, f }) => h('tr', {}, h('td', {}, h('label', { for: input.id, text: `${f.label}${f.required ? ' (required)' : ''}` }), h('p', { class: 'muted', text: f.description }),
        f.default !== null && f.default !== undefined ? h('p', { class: 'muted' }, 'Default: ', h('code', { text: JSON.stringify(f.default) })) : null), h('td', { text: f.multiple ? `${f.type}[]` : f.type }), h('td', {}, input, h('p', { class: 'field-error', role: 'alert', 'data-field': `mapping.${key}` }))))));
  };
  action.addEventListener('change', renderFields);
  renderFields();
  const mappingJson = () => {
    const mapping = {};
    for (const { key, input } of inputs) {
      if (input.value.trim() === '') continue;
      try { mapping[key] = JSON.parse(input.value); } catch { mapping[key] = input.value; }
    }
    return mapping;
  };
  const form = h('form', {
    // Enter in a one-line field would submit, and saving publishes the mapping: only the Save button saves.
    onkeydown: (event) => { if (event.key === 'Enter' && event.target.tagName === 'INPUT') event.preventDefault(); },
    onsubmit: async (event) => {
      event.preventDefault();
      if (readOnly) return;
      const body = { name: name.value.trim(), action: action.value, trigger: trigger.value, mapping: mappingJson(), enabled: enabled.checked };
      try {
        await api(existing ? `${path}/mappings/${encodeURIComponent(existing.name)}` : `${path}/mappings`, { method: existing ? 'PUT' : 'POST', body });
        flash(`Mapping “${body.name}” saved${body.enabled ? '' : ' (disabled)'}.`);
        location.hash = `#/destinations/${encodeURIComponent(destinationId)}`;
      } catch (failure) {
        // The whole destination is checked: its problems name mappings[i].field; show them on this form's fields.
        if (failure.body?.error?.problems) failure.body.error.problems = failure.body.error.problems.map((p) => ({ ...p, field: p.field.replace(/^mappings\[\d+\]\.?/, '') }));
        showProblems(form, failure, general);
      }
    },
  },
  field('Name', 'mapping-name', name, 'name'),
  field('Action', 'mapping-action', action, 'action'),
  field('Trigger (FQL)', 'mapping-trigger', trigger, 'trigger', 'Which events this mapping takes, like type = "track" and event = "Order Completed".'),
  h('label', { class: 'row' }, enabled, h('span', { text: 'Enabled: events its trigger matches are delivered' })),
  h('h2', { text: 'Fields' }), fieldsBox,
  h('div', { id: 'test-section' }, h('h2', { text: 'Test with a sample event' }),
    field('Sample event (JSON)', 'sample-event', sample, 'event')),
  h('div', { class: 'row actions' },
    h('button', {
      type: 'button', id: 'test-mapping', class: 'secondary',
      onclick: async () => {
        // Each test replaces everything the previous one showed: its result and its errors.
        for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
        result.replaceChildren();
        const reveal = () => result.scrollIntoView({ block: 'nearest' });
        let event;
        try { event = JSON.parse(sample.value); } catch (e) { form.querySelector('#sample-event-error').textContent = `Not valid JSON: ${e.message}`; form.querySelector('#sample-event').focus(); return; }
        try {
          const answer = await api('/mappings/test', { method: 'POST', body: { destination: destinationId, action: action.value, trigger: trigger.value, mapping: mappingJson(), event } });
          result.replaceChildren(
            h('p', { class: 'notice', text: answer.matched ? (answer.skipped ? `The trigger matches, but the event would be skipped: ${answer.skipped}` : answer.error ? `The mapping fails: ${answer.error}` : 'The trigger matches. This is what would be sent:') : 'The trigger does not match this event: nothing would be sent.' }),
            ...(answer.requests ?? []).map((r) => h('pre', { text: `${r.method} ${r.url}\n${Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${JSON.stringify(r.body, null, 2)}` })));
          reveal();
        } catch (failure) {
          if (failure.body?.error?.field === 'trigger') { form.querySelector('#mapping-trigger-error').textContent = failure.message; trigger.focus(); } else { result.replaceChildren(problem(failure)); reveal(); }
        }
      },
    }, 'Test'),
    readOnly ? null : h('button', { type: 'submit', id: 'save-mapping', text: 'Save mapping' }),
    existing && !readOnly ? h('button', {
      type: 'button', id: 'delete-mapping', class: 'danger',
      onclick: async () => {
        if (!confirm(`Delete the mapping “${existing.name}”?`)) return;
        try {
          await api(`${path}/mappings/${encodeURIComponent(existing.name)}`, { method: 'DELETE' });
          flash(`Mapping “${existing.name}” deleted.`);
          location.hash = `#${path}`;
        } catch (failure) { general.replaceChildren(problem(failure)); }
      },
    }, 'Delete mapping') : null),
  result);
  if (readOnly) {
    for (const control of form.querySelectorAll('input, select, textarea')) if (control.id !== 'sample-event') control.disabled = true;
    // Testing sends nothing but needs the write permission.
    if (!canWrite()) { form.querySelector('#test-mapping')?.remove(); form.querySelector('#test-section')?.remove(); }
  }

  show(existing ? `Mapping: ${existing.name}` : 'New mapping',
    h('p', { class: 'muted', text: destination.name === definition.name ? destination.name : `${destination.name} (${definition.name})` }),
    readOnly ? h('p', { class: 'notice info', role: 'status', id: 'read-only-note', text: canWrite() ? 'This destination is declared in the workspace file: change its mappings there.' : `Read only: you are signed in as ${role}.` }) : null,
    general, form);
}

// Destination filters, applied before mappings: the list, and (for API destinations) add and remove.
function filtersSection(d, path, editable, reload) {
  const describe = (f) => f.drop ? 'drop' : f.sample !== null && f.sample !== undefined ? `keep ${f.sample}%` : f.block ? `remove ${f.block.join(', ')}` : `keep only ${(f.allow ?? []).join(', ')}`;
  const list = d.filters.length === 0 ? h('p', { class: 'muted', text: 'None: every event goes to the mappings.' }) : h('table', {}, h('tr', {}, h('th', { text: 'Filter' }), h('th', { text: 'Events (FQL)' }), h('th', { text: 'Effect' }), h('th', { text: '' })),
    d.filters.map((f) => h('tr', {}, h('td', { text: f.name }), h('td', {}, h('code', { text: f.if ?? 'every event' })), h('td', { text: describe(f) }),
      h('td', {}, editable ? h('button', {
        type: 'button', class: 'danger', 'aria-label': `Remove the filter ${f.name}`,
        onclick: async () => {
          if (!confirm(`Remove the filter “${f.name}”?`)) return;
          try {
            await api(`${path}/filters/${encodeURIComponent(f.name)}`, { method: 'DELETE' });
            flash(`Filter “${f.name}” removed.`);
            await reload();
          } catch (failure) { main.querySelector('h1').after(problem(failure)); }
        },
      }, 'Remove') : null))));
  if (!editable) return list;
  const general = h('div');
  const name = h('input', { id: 'filter-name', required: true, maxlength: 100 });
  const condition = h('input', { id: 'filter-if', placeholder: 'properties.internal = true (empty: every event)' });
  const effect = h('select', { id: 'filter-effect' }, [['drop', 'drop the event'], ['sample', 'keep a sample (percent)'], ['block', 'remove fields (comma-separated)'], ['allow', 'keep only fields (comma-separated)']].map(([v, t]) => h('option', { value: v, text: t })));
  const value = h('input', { id: 'filter-value', placeholder: '10, or properties.email, context.ip' });
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim() };
      if (condition.value.trim()) body.if = condition.value.trim();
      if (effect.value === 'drop') body.drop = true;
      else if (effect.value === 'sample') body.sample = Number(value.value);
      else body[effect.value] = value.value.split(',').map((x) => x.trim()).filter(Boolean);
      try {
        await api(`${path}/filters`, { method: 'POST', body });
        flash(`Filter “${body.name}” added.`);
        await reload();
      } catch (failure) {
        if (failure.body?.error?.problems) failure.body.error.problems = failure.body.error.problems.map((p) => ({ ...p, field: p.field.replace(/^filters\[\d+\]\.?/, '').replace(/^(sample|block|allow|drop)$/, 'value') }));
        showProblems(form, failure, general);
      }
    },
  }, general, field('Name', 'filter-name', name, 'name'), field('Events it applies to (FQL)', 'filter-if', condition, 'if'), field('Effect', 'filter-effect', effect, 'effect'), field('Value', 'filter-value', value, 'value', 'For a sample: the percent of events kept. For fields: their paths.'),
  h('p'), h('button', { type: 'submit', id: 'add-filter', class: 'secondary', text: 'Add filter' }));
  return [list, h('details', { class: 'card' }, h('summary', { text: 'Add a filter' }), form)];
}

// ---- sources and the live debugger ------------------------------------------------------------

async function sourcesPage() {
  const { sources } = await api('/sources');
  show('Sources', takeFlash(), h('table', { class: 'sources' }, h('tr', {}, h('th', { text: 'Source' }), h('th', { text: 'Write key' }), h('th', { text: 'Managed by' })),
    sources.map((s) => h('tr', {},
      h('td', {}, h('a', { href: `#/sources/${encodeURIComponent(s.id)}`, text: s.name })),
      h('td', {}, h('div', { class: 'row' }, h('code', { text: s.writeKey }),
        s.writeKey.startsWith('••') ? null : h('button', { type: 'button', class: 'secondary', 'aria-label': `Copy the write key of ${s.name}`, onclick: (event) => navigator.clipboard?.writeText(s.writeKey).then(() => { event.target.textContent = 'Copied'; }) }, 'Copy'))),
      h('td', {}, h('div', { class: 'row' }, s.managedBy, canWrite() && s.managedBy === 'api' ? h('button', {
        type: 'button', class: 'secondary', 'aria-label': `Rotate the write key of ${s.name}`,
        onclick: async () => {
          if (!confirm(`Give ${s.name} a new write key? The current one keeps working for 24 hours.`)) return;
          try {
            const rotated = await api(`/sources/${encodeURIComponent(s.id)}/rotate-write-key`, { method: 'POST', body: { graceHours: 24 } });
            flash(`${s.name} has a new write key. The previous one works until ${formatTime(rotated.previousWriteKeyValidUntil ?? new Date(Date.now() + 24 * 3600 * 1000).toISOString())}; update your clients before then.`);
            await sourcesPage();
          } catch (failure) { main.querySelector('h1').after(problem(failure)); }
        },
      }, 'Rotate key') : null))))));
}

// Which websites may send with the key: shown to everyone, changed here only for sources the API made
// (the workspace file owns the others).
function originsCard(source) {
  const origins = source.allowedOrigins ?? null;
  const current = h('p', { id: 'allowed-origins' }, origins === null ? 'Pages of any website may send with this write key.' : ['Only pages of these websites may send with this write key: ', origins.map((o, i) => [i ? ', ' : '', h('code', { text: o })])]);
  const card = h('details', { class: 'card', id: 'origins' }, h('summary', { text: 'Websites allowed to send' }), current);
  if (source.managedBy !== 'api') {
    card.append(h('p', { class: 'muted', text: 'Set in the workspace file, under this source\'s allowedOrigins.' }));
    return card;
  }
  if (!canWrite()) return card;
  const list = h('textarea', { id: 'origins-list', rows: 3, placeholder: 'https://shop.example', 'aria-describedby': 'origins-list-error' });
  list.value = (origins ?? []).join('\n');
  const general = h('div');
  const form = h('form', {
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      const entered = list.value.split(/[\s,]+/).map((o) => o.trim()).filter(Boolean);
      try {
        await api(`/sources/${encodeURIComponent(source.id)}`, { method: 'PATCH', body: { allowedOrigins: entered.length ? entered : null } });
        flash(entered.length ? `${source.name} now takes events only from ${entered.join(', ')}.` : `${source.name} takes events from any website.`);
        await route();
      } catch (failure) { showProblems(form, failure, general); }
    },
  }, general, field('Origins, one per line (empty: any website)', 'origins-list', list, 'allowedOrigins', 'An origin is a scheme, a host and a port if it is not the default one, as a browser sends it: https://shop.example or http://localhost:3000.'),
  h('button', { type: 'submit', id: 'save-origins', text: 'Save origins' }));
  card.append(form);
  return card;
}

let stopDebugger = null;

async function sourcePage(id) {
  const source = await api(`/sources/${encodeURIComponent(id)}`);
  const list = h('div', { id: 'live-events', 'aria-live': 'polite' });
  const state = h('p', { class: 'muted', role: 'status', text: 'Connecting…' });
  const typeFilter = h('select', { id: 'filter-type', 'aria-label': 'Show calls of type' }, ['', 'track', 'identify', 'page', 'screen', 'group', 'alias'].map((t) => h('option', { value: t, text: t || 'every type' })));
  const nameFilter = h('input', { id: 'filter-event', type: 'search', placeholder: 'Event or page name contains…', 'aria-label': 'Event or page name contains' });
  const empty = h('p', { class: 'muted', id: 'debugger-empty' }, 'Nothing stored yet. Send an event with this source\'s write key',
    source.writeKey.startsWith('••') ? '.' : [', for example: ', h('code', { text: `curl -u '${source.writeKey}:' -d '{"userId":"user-1","event":"Hello"}' ${location.origin}/v1/track` })]);
  let paused = false;
  let held = [];
  const seen = new Set();
  const matches = (message) => (!typeFilter.value || message.type === typeFilter.value)
    && (!nameFilter.value.trim() || `${message.event ?? message.name ?? ''}`.toLowerCase().includes(nameFilter.value.trim().toLowerCase()));
  const entry = (message) => {
    const element = h('details', { class: 'card' }, h('summary', {}, h('strong', { text: message.type ?? '?' }), ' ', message.event ?? message.name ?? '', ' ', h('span', { class: 'muted', text: `${message.userId ?? message.anonymousId ?? ''} · ${formatTime(message.receivedAt)}` })), h('pre', { text: JSON.stringify(message, null, 2) }));
    element.message = message;
    element.hidden = !matches(message);
    return element;
  };
  // Newest first; a message seen already (stored before the stream reconnected) is not shown twice.
  const add = (message, where = 'top') => {
    if (message.messageId && seen.has(message.messageId)) return;
    if (message.messageId) seen.add(message.messageId);
    empty.hidden = true;
    if (where === 'top') list.prepend(entry(message)); else list.append(entry(message));
    while (list.childElementCount > 200) { const last = list.lastElementChild; seen.delete(last.message?.messageId); last.remove(); }
  };
  const refilter = () => { for (const e of list.children) e.hidden = !matches(e.message); };
  typeFilter.addEventListener('change', refilter);
  nameFilter.addEventListener('input', refilter);
  const pause = h('button', {
    type: 'button', id: 'pause', class: 'secondary',
    onclick: () => {
      paused = !paused;
      pause.textContent = paused ? 'Resume' : 'Pause';
      if (!paused) { held.forEach((m) => add(m)); held = []; }
      state.textContent = paused ? 'Paused: new events are held.' : 'Live.';
    },
  }, 'Pause');
  const { snippet } = await api(`/sources/${encodeURIComponent(id)}/snippet`);
  const install = h('details', { class: 'card', id: 'install' },
    h('summary', { text: 'Install on a website' }),
    h('p', { class: 'muted' }, 'Paste Segment\'s snippet, pointed at this server, into your pages\' <head>: analytics.js then loads from here and sends here. ', 'See docs/browser.md for single-page apps, consent and HTTPS.'),
    h('pre', { id: 'snippet', text: `<script>\n${snippet}\n</script>` }),
    h('button', { type: 'button', class: 'secondary', id: 'copy-snippet', onclick: (e) => navigator.clipboard?.writeText(`<script>\n${snippet}\n</script>`).then(() => { e.target.textContent = 'Copied'; }, () => { e.target.textContent = 'Select the snippet and copy it'; }) }, 'Copy'));
  show(`Debugger: ${source.name}`,
    takeFlash(),
    install,
    originsCard(source),
    h('p', { class: 'muted', text: 'The latest events stored for this source, then new ones as Sluice stores them.' }),
    h('div', { class: 'row' }, pause, typeFilter, nameFilter), state, empty, list);

  const recent = await api(`/sources/${encodeURIComponent(id)}/events?limit=50`);
  for (const message of recent.events) add(message, 'bottom');
  if (recent.events.length > 0) empty.hidden = true;

  const controller = new AbortController();
  stopDebugger = () => controller.abort();
  let connectedBefore = false;
  // The stream is read until the page changes; when it drops (the server restarted, the network blinked), it reconnects.
  for (let attempt = 0; !controller.signal.aborted; attempt++) {
    try {
      const response = await fetch(`/api/v1/sources/${encodeURIComponent(id)}/live`, { headers: { Authorization: `Bearer ${sessionStorage.getItem(tokenKey)}` }, signal: controller.signal });
      if (response.status === 401) { sessionStorage.setItem('sluice.signin-reason', 'Signed out: this token is no longer accepted. Sign in again.'); rememberPage(); signOut(); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      attempt = 0;
      connectedBefore = true;
      pause.disabled = false;
      state.textContent = paused ? 'Paused: new events are held.' : 'Live.';
      // Events stored while disconnected: fetched once the stream is open again.
      if (connectedBefore) for (const message of (await api(`/sources/${encodeURIComponent(id)}/events?limit=50`)).events.reverse()) if (paused) held.push(message); else add(message);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.startsWith('data: ')) continue;
          let message;
          try { message = JSON.parse(block.slice(6)); } catch { continue; }
          if (paused) held.push(message); else add(message);
        }
      }
    } catch (failure) {
      if (failure.name === 'AbortError') return;
    }

    if (controller.signal.aborted) return;
    const wait = Math.min(10, 2 ** Math.min(attempt, 4));
    pause.disabled = true;
    state.textContent = `Disconnected (did the server restart?). Reconnecting in ${wait} s…`;
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
}

// ---- profiles ---------------------------------------------------------------------------------

function identifierText(i) {
  return `${i.type}:${i.value}`;
}

function traitText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function profilesPage(query = '') {
  const input = h('input', { id: 'profile-query', type: 'search', value: query, required: true, placeholder: 'ada@example.com, a userId, an anonymousId, a trait value', 'aria-label': 'Identifier or trait value' });
  const form = h('form', { class: 'row', role: 'search', onsubmit: (event) => { event.preventDefault(); location.hash = `#/profiles?q=${encodeURIComponent(input.value.trim())}`; } },
    input, h('button', { type: 'submit', id: 'search-profiles', text: 'Find' }));
  const results = h('div', { id: 'profile-results' });
  show('Profiles', takeFlash(), h('p', { class: 'muted', text: 'Find a person by any of their identifiers (email, userId, anonymousId, device id) or by a trait\'s value.' }), form, results);
  if (!query) { input.focus(); return; }
  const { profiles } = await api(`/profiles?q=${encodeURIComponent(query)}`);
  if (profiles.length === 0) { results.replaceChildren(h('p', { class: 'muted', id: 'no-profiles', text: `No profile has an identifier or a trait of exactly “${query}”.` })); return; }
  results.replaceChildren(h('table', {}, h('tr', {}, h('th', { text: 'Profile' }), h('th', { text: 'Identifiers' }), h('th', { text: 'Traits' })),
    profiles.map((p) => h('tr', {},
      h('td', {}, h('a', { href: `#/profiles/${encodeURIComponent(p.id)}`, text: p.traits.name ? traitText(p.traits.name) : p.id })),
      h('td', {}, p.identifiers.map((i, n) => [n ? ', ' : '', h('code', { text: identifierText(i) })])),
      h('td', { class: 'muted', text: Object.entries(p.traits).slice(0, 4).map(([k, v]) => `${k}: ${traitText(v)}`).join(' · ') })))));
}

// A merge, a drop or an unmerge of the profile's log, in words: what happened, and why.
function logEntry(entry, onSplit) {
  const event = entry.messageId ? [' by event ', h('code', { text: entry.messageId }), ` from ${entry.sourceId}`] : [];
  let what;
  if (entry.kind === 'merge') {
    const linked = identifierText(entry.identifier);
    const others = (entry.eventIdentifiers ?? []).filter((i) => i !== linked);
    what = [h('strong', { text: 'Merged' }), ' profile ', h('code', { text: entry.mergedProfileId }), ...event, ': the event carried ', h('code', { text: linked }),
      ', which was that profile\'s', others.length ? [', with ', others.map((i, n) => [n ? ', ' : '', h('code', { text: i })])] : '', '.'];
  } else if (entry.kind === 'drop') {
    what = [h('strong', { text: 'Left out' }), ' ', h('code', { text: identifierText(entry.identifier) }), ...event, `: ${entry.rule}.`];
  } else if (entry.kind === 'settings') {
    what = [h('strong', { text: 'Recomputed' }), ` after ${entry.actor} changed the identity settings.`];
  } else if (entry.kind === 'unblock') {
    what = [h('strong', { text: 'Unblocked' }), ' ', h('code', { text: identifierText(entry.identifier) }), ` by ${entry.actor}.`];
  } else {
    what = [h('strong', { text: 'Unmerged' }), ' ', h('code', { text: identifierText(entry.identifier) }), ` (blocked from then on) by ${entry.actor}`, entry.note ? `: “${entry.note}”` : '', '.'];
  }
  return h('li', { class: entry.undoneBy ? 'undone' : null, 'data-kind': entry.kind },
    h('span', { class: 'muted', text: `${formatTime(entry.at)} · ` }), what,
    entry.undoneBy ? h('span', { class: 'badge', text: `undone by #${entry.undoneBy}` }) : null,
    entry.kind === 'merge' && !entry.undoneBy && onSplit ? [' ', h('button', { type: 'button', class: 'secondary', 'aria-label': `Split the merge of ${entry.mergedProfileId}`, onclick: () => onSplit(entry) }, 'Split')] : null);
}

async function profilePage(id) {
  const profile = await api(`/profiles/${encodeURIComponent(id)}`);
  const { data: events } = await api(`/v1/spaces/default/collections/users/profiles/${encodeURIComponent(profile.id)}/events?limit=25`, { prefix: '' });
  const engaged = await engageSection(profile.id);
  const title = profile.traits.name ? traitText(profile.traits.name) : profile.id;

  // Unmerge: one of the profile's identifiers, and why.
  const choice = h('select', { id: 'unmerge-identifier' }, profile.identifiers.map((i) => h('option', { value: identifierText(i), text: identifierText(i) })));
  const note = h('input', { id: 'unmerge-note', maxlength: 500, placeholder: 'Why (kept in the log)' });
  const outcome = h('div', { id: 'unmerge-outcome' });
  const unmergeForm = h('form', {
    id: 'unmerge',
    class: 'card',
    onsubmit: async (event) => {
      event.preventDefault();
      if (!confirm(`Take ${choice.value} off this profile? It is blocked from now on, and the profiles it shaped are recomputed from their events.`)) return;
      try {
        const done = await api(`/profiles/${encodeURIComponent(profile.id)}/unmerge`, { method: 'POST', body: { identifier: choice.value, note: note.value } });
        flash(`${choice.value} taken off and blocked: ${plural(done.events, 'event')} resolved again into ${plural(done.profiles.length, 'profile')}.${done.eventsMissing ? ` ${plural(done.eventsMissing, 'event')} the log no longer keeps could not be.` : ''}`);
        const next = done.profiles.find((p) => p.identifiers.some((i) => profile.identifiers.some((o) => identifierText(o) === identifierText(i)))) ?? done.profiles[0];
        if (next && next.id !== profile.id) location.hash = `#/profiles/${encodeURIComponent(next.id)}`; else await profilePage(next?.id ?? profile.id);
      } catch (failure) { outcome.replaceChildren(problem(failure)); }
    },
  }, h('h2', { text: 'Unmerge' }),
  h('p', { class: 'muted', text: 'Takes an identifier off this profile for good (a shared device, a team email) and recomputes, from their events, every profile it shaped, as if it had never been sent.' }),
  h('label', { for: 'unmerge-identifier', text: 'Identifier' }), choice, h('label', { for: 'unmerge-note', text: 'Note' }), note,
  h('div', { class: 'row actions' }, h('button', { type: 'submit', id: 'unmerge-submit', class: 'danger', text: 'Unmerge' })), outcome);
  // Splitting a merge blocks one identifier its event carried: the one listed last is the least specific
  // (a device or an anonymousId comes after an email and a userId), usually the one two people shared.
  const onSplit = canWrite() ? (entry) => {
    const onProfile = (entry.eventIdentifiers ?? []).filter((i) => [...choice.options].some((o) => o.value === i));
    choice.value = onProfile.at(-1) ?? identifierText(entry.identifier);
    note.value = `split the merge of ${entry.mergedProfileId} (event ${entry.messageId})`;
    unmergeForm.scrollIntoView();
    choice.focus();
  } : null;

  show(title, takeFlash(),
    h('p', { class: 'muted', id: 'profile-id' }, h('code', { text: profile.id }), ` · first seen ${formatTime(profile.createdAt)} · updated ${formatTime(profile.updatedAt)}`),
    h('h2', { text: 'Identifiers' }),
    h('table', { id: 'identifiers' }, h('tr', {}, h('th', { text: 'Type' }), h('th', { text: 'Value' }), h('th', { text: 'First seen' }), h('th', { text: 'First event' })),
      profile.identifiers.map((i) => h('tr', {}, h('td', { text: i.type }), h('td', {}, h('code', { text: i.value })), h('td', { text: formatTime(i.addedAt) }), h('td', {}, h('code', { text: i.firstMessageId }), ` from ${i.sourceId}`)))),
    h('h2', { text: 'Traits' }),
    Object.keys(profile.traits).length === 0 ? h('p', { class: 'muted', text: 'No identify call has set a trait yet.' })
      : h('table', { id: 'traits' }, Object.entries(profile.traits).map(([k, v]) => h('tr', {}, h('th', { text: k }), h('td', { text: traitText(v) })))),
    engaged,
    h('h2', { text: 'Why these are one person' }),
    profile.log.length === 0 ? h('p', { class: 'muted', text: 'No merge, drop or unmerge: every identifier came with the events of this profile alone.' })
      : h('ol', { id: 'profile-log', class: 'log' }, profile.log.map((e) => logEntry(e, onSplit))),
    h('h2', { text: 'Recent events' }),
    events.length === 0 ? h('p', { class: 'muted', text: 'No event the log still keeps.' })
      : h('ol', { id: 'timeline', class: 'timeline' }, events.map((e) => h('li', {},
        h('span', { class: 'muted', text: `${formatTime(e.timestamp)} · ` }), h('strong', { text: e.type }), ' ', e.event ?? '', ' ',
        h('span', { class: 'muted' }, h('code', { text: e.message_id }), ` from ${e.source_id}`)))),
    canWrite() ? unmergeForm : null);
}

// ---- engage: computed traits and audiences ----------------------------------------------------

function engageValue(value) {
  return value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);
}

function statusBadge(d) {
  return d.status === 'backfilling'
    ? h('span', { class: 'badge warn', text: `computing the past${d.progress !== null && d.progress !== undefined ? ` ${Math.floor(d.progress * 100)}%` : ''}` })
    : h('span', { class: 'badge', text: 'live' });
}

async function engagePage() {
  const list = await api('/engage');
  const table = (kind, items) => items.length === 0 ? h('p', { class: 'muted', text: kind === 'audience' ? 'No audience yet.' : 'No computed trait yet.' })
    : h('table', { id: kind === 'audience' ? 'audiences' : 'computed-traits' }, h('tr', {}, h('th', { text: 'Name' }), h('th', { text: 'Key' }), h('th', { text: kind === 'audience' ? 'Members' : 'Profiles with a value' }), h('th', { text: 'Status' }), h('th', { text: 'Last change' }), h('th', { text: 'Destinations' })),
      items.map((d) => h('tr', {},
        h('td', {}, h('a', { href: `#/engage/${encodeURIComponent(d.key)}`, text: d.name })),
        h('td', {}, h('code', { text: d.key })),
        h('td', { class: 'size', text: number(d.size) }),
        h('td', {}, statusBadge(d)),
        h('td', { text: d.lastChangeAt ? formatTime(d.lastChangeAt) : '—' }),
        h('td', { text: d.destinations.map((c) => c.id).join(', ') || '—' }))));
  show('Audiences and computed traits', takeFlash(),
    h('p', { class: 'muted', text: 'Computed on every event and at the instant a time window passes; sent to the destinations they are connected to as identify (and track) calls.' }),
    canWrite() ? h('p', {}, h('a', { class: 'button', id: 'new-audience', href: '#/engage/new/audience', text: 'New audience' }), ' ', h('a', { class: 'button secondary', id: 'new-trait', href: '#/engage/new/trait', text: 'New computed trait' })) : null,
    h('h2', { text: 'Audiences' }), table('audience', list.audiences),
    h('h2', { text: 'Computed traits' }), table('trait', list.computedTraits));
}

function previewNotice(p) {
  if (p.error) return h('div', { class: 'notice bad', role: 'alert', id: 'engage-preview', text: p.error });
  const size = p.kind === 'audience' ? plural(p.size, 'member') : `${number(p.size)} profiles with a value`;
  const lines = [h('p', {}, h('strong', { id: 'preview-size', text: `${p.estimated ? 'About ' : ''}${size}` }),
    ` of ${plural(p.profiles, 'profile')}${p.estimated ? ` (estimated from the events of ${plural(p.sampled, 'profile')} drawn at random, likely between ${number(p.range[0])} and ${number(p.range[1])}: saving computes it exactly)` : ''} · ${p.tookMs} ms`)];
  if (p.changes) {
    const enter = p.changes.enter ?? p.changes.change;
    lines.push(h('p', { id: 'preview-changes', text: `Saving would ${p.kind === 'audience' ? `add ${plural(enter, 'member')} and remove ${plural(p.changes.leave, 'member')}` : `change the value of ${plural(enter, 'profile')} and remove it from ${plural(p.changes.leave, 'profile')}`}.` }));
  }
  if (p.examples.length) lines.push(h('p', {}, 'For example: ', p.examples.map((e, n) => [n ? ', ' : '', h('a', { href: `#/profiles/${encodeURIComponent(e.profile)}` }, h('code', { text: e.profile })), p.kind === 'trait' ? ` (${engageValue(e.value)})` : ''])));
  return h('div', { class: 'notice info', role: 'status', id: 'engage-preview' }, lines);
}

async function engageEditPage(kind, key) {
  const existing = key ? await api(`/engage/${encodeURIComponent(key)}`) : null;
  if (existing) kind = existing.kind;
  const { destinations } = await api('/destinations');
  const editable = canWrite() && (!existing || existing.managedBy === 'api');
  const name = h('input', { id: 'engage-name', required: true, value: existing?.name ?? '', disabled: !editable || !!existing });
  const keyInput = h('input', { id: 'engage-key', value: existing?.key ?? '', placeholder: 'the name in snake_case', disabled: !editable || !!existing, pattern: '[a-z][a-z0-9_]*' });
  const query = h('textarea', { id: 'engage-query', rows: 4, required: true, disabled: !editable, spellcheck: 'false',
    placeholder: kind === 'audience' ? "event('Order Completed').within(30 days).count() >= 2 AND trait('plan') = 'pro'" : "event('Order Completed').within(30 days).sum(property('total'))",
    text: existing?.query ?? '' });
  const anonymous = h('input', { id: 'engage-anonymous', type: 'checkbox', checked: existing?.includeAnonymous ?? false, disabled: !editable });
  const connected = new Map((existing?.destinations ?? []).map((c) => [c.id, c]));
  const connections = destinations.map((d) => {
    const c = connected.get(d.id);
    const row = {
      id: d.id,
      on: h('input', { type: 'checkbox', id: `connect-${d.id}`, checked: !!c, disabled: !editable }),
      identify: h('input', { type: 'checkbox', id: `identify-${d.id}`, checked: c ? c.sendIdentify : true, disabled: !editable, 'aria-label': `${d.id}: send identify calls` }),
      track: h('input', { type: 'checkbox', id: `track-${d.id}`, checked: c ? c.sendTrack : false, disabled: !editable, 'aria-label': `${d.id}: send track calls` }),
    };
    return row;
  });
  const outcome = h('div', { id: 'engage-outcome' });
  const body = () => ({
    name: name.value.trim(),
    ...(keyInput.value.trim() ? { key: keyInput.value.trim() } : {}),
    query: query.value.trim(),
    includeAnonymous: anonymous.checked,
    // Event names the page does not show (set through the API or the file) are kept as they were.
    destinations: connections.filter((c) => c.on.checked).map((c) => {
      const before = connected.get(c.id);
      return { id: c.id, sendIdentify: c.identify.checked, sendTrack: c.track.checked, ...(before ? { enterEvent: before.enterEvent, exitEvent: before.exitEvent, computeEvent: before.computeEvent } : {}) };
    }),
  });
  const form = h('form', {
    id: 'engage-form',
    onsubmit: async (event) => {
      event.preventDefault();
      for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
      outcome.replaceChildren();
      try {
        if (event.submitter?.id === 'preview-engage') {
          const previewBody = { kind, ...body(), ...(existing ? { key: existing.key } : {}) };
          delete previewBody.destinations;
          outcome.replaceChildren(previewNotice(await api('/engage/preview', { method: 'POST', body: previewBody })));
          return;
        }
        const saved = existing
          ? await api(`/engage/${encodeURIComponent(existing.key)}`, { method: 'PUT', body: { ...body(), name: existing.name } })
          : await api(kind === 'audience' ? '/engage/audiences' : '/engage/computed-traits', { method: 'POST', body: body() });
        flash(`${saved.name} saved: it is computed over the events the log holds, then kept up to date.`);
        location.hash = `#/engage/${encodeURIComponent(saved.key)}`;
      } catch (failure) { showProblems(form, failure, outcome); }
    },
  },
  field('Name', 'engage-name', name, 'name'),
  field('Key', 'engage-key', keyInput, 'key', 'What destinations receive as the trait\'s name. Fixed once saved.'),
  field('Query', 'engage-query', query, 'query', kind === 'audience'
    ? 'Segment\'s query language: conditions on events (event(…).where(…).within(N days).count() >= n; = n exactly, <= n at most; .between(2026-11-27, 2026-11-30) for dates) and traits (trait(\'plan\') = \'pro\'), with AND, OR, NOT.'
    : 'One aggregate of events: event(…).count(), .sum(property(…)), .avg, .min, .max, .mode, .first, .last, .unique, .unique(…).count().'),
  h('label', { class: 'row', for: 'engage-anonymous' }, anonymous, 'Include anonymous users (profiles with only an anonymousId)'),
  h('h2', { text: 'Destinations' }),
  destinations.length === 0 ? h('p', { class: 'muted', text: 'No destination in this workspace yet.' })
    : h('table', { id: 'engage-connections' }, h('tr', {}, h('th', { text: 'Destination' }), h('th', { text: 'Identify' }), h('th', { text: 'Track' })),
      connections.map((c) => h('tr', {}, h('td', {}, h('label', { class: 'row', for: `connect-${c.id}` }, c.on, c.id)), h('td', {}, c.identify), h('td', {}, c.track)))),
  h('p', { class: 'field-error', role: 'alert', 'data-field': 'destinations' }),
  editable ? h('div', { class: 'row actions' }, h('button', { type: 'submit', id: 'preview-engage', class: 'secondary', text: 'Preview' }), h('button', { type: 'submit', id: 'save-engage', text: 'Save' })) : null,
  outcome);
  show(existing ? `Edit ${existing.name}` : kind === 'audience' ? 'New audience' : 'New computed trait', takeFlash(),
    existing?.managedBy === 'workspace-file' ? h('p', { class: 'notice info', text: 'The workspace file defines this one: change it there. Preview shows what a change would do.' }) : null,
    form);
}

async function engageDefinitionPage(key) {
  const d = await api(`/engage/${encodeURIComponent(key)}`);
  const { members, next } = await api(`/engage/${encodeURIComponent(key)}/members?limit=50`);
  show(d.name, takeFlash(),
    h('p', { class: 'muted', id: 'engage-summary' }, h('code', { text: d.key }), ` · ${d.kind === 'audience' ? 'audience' : 'computed trait'} · `, statusBadge(d), ` · ${d.kind === 'audience' ? plural(d.size, 'member') : `${number(d.size)} profiles with a value`}`,
      d.managedBy === 'workspace-file' ? ' · defined in the workspace file' : d.updatedBy ? ` · saved by ${d.updatedBy}, ${formatTime(d.updatedAt)}` : ''),
    h('pre', { id: 'engage-query-text', text: d.query }),
    canWrite() ? h('p', {}, h('a', { class: 'button secondary', href: `#/engage/${encodeURIComponent(key)}/edit`, text: d.managedBy === 'api' ? 'Edit' : 'Preview a change' }),
      d.managedBy === 'api' ? [' ', h('button', { type: 'button', class: 'danger', id: 'delete-engage', onclick: async (e) => {
        if (!confirm(`Delete ${d.name}? Its values and sync history go; destinations are not told.`)) return;
        try { await api(`/engage/${encodeURIComponent(key)}`, { method: 'DELETE' }); flash(`${d.name} deleted.`); location.hash = '#/engage'; } catch (failure) { e.target.after(problem(failure)); }
      } }, 'Delete')] : null) : null,
    h('h2', { text: 'Syncs' }),
    d.syncs.length === 0 ? h('p', { class: 'muted', text: 'Not connected to a destination.' })
      : h('table', { id: 'engage-syncs' }, h('tr', {}, h('th', { text: 'Destination' }), h('th', { text: 'First sync' }), h('th', { text: 'Last sent' }), h('th', { text: 'Messages' }), h('th', { text: 'Changes waiting' })),
        d.syncs.map((s) => h('tr', {}, h('td', {}, h('a', { href: `#/destinations/${encodeURIComponent(s.destination)}`, text: s.destination })),
          h('td', { text: s.started ? formatTime(s.startedAt) : d.status === 'backfilling' ? 'after the past is computed' : 'about to start' }),
          h('td', { text: s.syncedAt ? formatTime(s.syncedAt) : '—' }), h('td', { text: number(s.messages) }), h('td', { text: s.changesWaiting ?? '—' })))),
    d.syncHistory.length === 0 ? null : [h('h3', { text: 'Sync history' }),
      h('table', { id: 'engage-sync-history' }, h('tr', {}, h('th', { text: 'When' }), h('th', { text: 'Destination' }), h('th', { text: 'What' }), h('th', { text: 'Messages' })),
        d.syncHistory.map((r) => h('tr', {}, h('td', { text: formatTime(r.at) }), h('td', { text: r.destination }),
          h('td', { text: r.kind === 'first' ? `first sync: ${plural(r.values, d.kind === 'audience' ? 'member' : 'value')}` : plural(r.values, 'change') }),
          h('td', { text: number(r.messages) }))))],
    h('h2', { text: d.kind === 'audience' ? 'Members' : 'Values' }),
    members.length === 0 ? h('p', { class: 'muted', id: 'no-members', text: d.kind === 'audience' ? 'No member yet.' : 'No profile has a value yet.' })
      : h('table', { id: 'engage-members' }, h('tr', {}, h('th', { text: 'Profile' }), h('th', { text: d.kind === 'audience' ? 'Since' : 'Value' })),
        members.map((m) => h('tr', {}, h('td', {}, h('a', { href: `#/profiles/${encodeURIComponent(m.profile)}` }, h('code', { text: m.profile }))), h('td', { text: d.kind === 'audience' ? formatTime(m.since) : engageValue(m.value) })))),
    next ? h('p', { class: 'muted', text: 'The first 50 are shown.' }) : null,
    h('h2', { text: 'Recent changes' }),
    d.recentChanges.length === 0 ? h('p', { class: 'muted', text: 'None yet.' })
      : h('ol', { class: 'log', id: 'engage-changes' }, d.recentChanges.map((c) => h('li', {}, h('span', { class: 'muted', text: `${formatTime(c.at)} · ` }),
        h('a', { href: `#/profiles/${encodeURIComponent(c.profile)}` }, h('code', { text: c.profile })),
        c.resent ? ` ${engageValue(c.value)}, sent again: a new identifier` : ` ${engageValue(c.previous)} → ${engageValue(c.value)}`))));
}

// Why a profile is in or out of each audience, and what each computed trait holds.
function whyNode(node) {
  const mark = h('span', { class: node.holds ? 'badge good' : 'badge', text: node.holds ? 'true' : 'false' });
  if (node.all || node.any) return h('li', {}, mark, ` ${node.all ? 'all of' : 'any of'}`, h('ul', {}, (node.all ?? node.any).map(whyNode)));
  if (node.not) return h('li', {}, mark, ' not', h('ul', {}, whyNode(node.not)));
  const subject = node.trait !== undefined ? h('code', { text: `trait('${node.trait}')` }) : h('code', { text: node.aggregate });
  return h('li', {}, mark, ' ', subject, ` is ${engageValue(node.value)}, which ${node.holds ? 'is' : 'is not'} `, h('code', { text: node.comparison }),
    node.changesAt ? h('span', { class: 'muted', text: ` · changes by itself at ${formatTime(node.changesAt)}` }) : null);
}

async function engageSection(profileId) {
  let why;
  try { why = await api(`/profiles/${encodeURIComponent(profileId)}/engage`); } catch { return null; }
  if (why.definitions.length === 0) return null;
  return [h('h2', { text: 'Audiences and computed traits' }),
    h('ul', { id: 'profile-engage', class: 'why' }, why.definitions.map((d) => h('li', { 'data-key': d.key },
      h('a', { href: `#/engage/${encodeURIComponent(d.key)}` }, h('strong', { text: d.key })), ': ',
      d.kind === 'audience' ? (d.value ? 'member' : 'not a member') : engageValue(d.value),
      d.eligible ? '' : h('span', { class: 'muted', text: ' (this profile does not count: it has no user_id, email or mobile ad id, and the definition leaves anonymous users out)' }),
      d.condition ? h('ul', {}, whyNode(d.condition)) : d.changesAt ? h('span', { class: 'muted', text: ` · changes by itself at ${formatTime(d.changesAt)}` }) : null)))];
}

// ---- identity settings ------------------------------------------------------------------------

function previewSummary(p, saved) {
  const lines = [
    h('p', {}, h('strong', { text: saved ? 'Saved. ' : 'Nothing is saved yet. ' }),
      `Over the ${plural(p.events, 'event')} taken so far, these settings ${saved ? 'made' : 'would make'} ${plural(p.profilesAfter, 'profile')} of the ${number(p.profilesNow)} there ${saved ? 'were' : 'are'}: `,
      `${plural(p.changed, 'profile')} change, ${plural(p.merges.count, 'merge')}, ${plural(p.splits.count, 'split')}, ${plural(p.identifiersLost, 'identifier')} no longer used, ${plural(p.identifiersGained, 'new identifier')}.`),
  ];
  if (p.merges.examples.length) lines.push(h('p', { text: 'Profiles that would be one:' }), h('ul', {}, p.merges.examples.map((m) => h('li', {}, m.profiles.map((id, n) => [n ? ' + ' : '', h('a', { href: `#/profiles/${encodeURIComponent(id)}` }, h('code', { text: id }))]), ` → ${m.identifiers.join(', ')}`))));
  if (p.splits.examples.length) lines.push(h('p', { text: 'Profiles that would fall apart:' }), h('ul', {}, p.splits.examples.map((s) => h('li', {}, h('a', { href: `#/profiles/${encodeURIComponent(s.profile)}` }, h('code', { text: s.profile })), ` → ${s.parts.map((part) => `[${part.join(', ')}]`).join(' ')}`))));
  return h('div', { class: 'notice info', role: 'status', id: 'identity-preview' }, lines);
}

async function identityPage() {
  const identity = await api('/identity');
  if (!identity.enabled) {
    show('Identity', h('p', { text: 'Identity resolution is off. Add an identity: section to the workspace file to build profiles: an empty one (identity: {}) leaves its settings to this page.' }));
    return;
  }
  const { blocked } = await api('/identity/blocked');
  // Members and owners may try changes (Preview); only settings the file leaves to this page are saved here.
  const editable = canWrite();
  const savable = editable && identity.managedBy === 'api';
  const settings = identity.settings;
  const input = (id, value, attributes = {}) => h('input', { id, value: value ?? '', disabled: !editable, ...attributes });
  const ruleRows = Object.entries(settings.rules).map(([type, rule]) => ({
    type,
    limit: input(`rule-${type}-limit`, rule.limit, { type: 'number', min: 1, max: 1000, 'aria-label': `${type} limit` }),
    window: input(`rule-${type}-window`, rule.window, { placeholder: 'ever', 'aria-label': `${type} window` }),
    priority: input(`rule-${type}-priority`, rule.priority, { type: 'number', min: 1, max: 1000, 'aria-label': `${type} priority` }),
  }));
  const lines = (id, values) => h('textarea', { id, rows: 4, disabled: !editable, text: values.join('\n') });
  const blockedValues = lines('blocked-values', settings.blockedValues);
  const blockedPatterns = lines('blocked-patterns', settings.blockedPatterns);
  const customKeys = lines('custom-keys', settings.customKeys);
  const maxMerges = input('max-merges', settings.maxMerges, { type: 'number', min: 0 });
  const maxIdentifiers = input('max-identifiers', settings.maxIdentifiers, { type: 'number', min: 1 });
  const aliasMerges = h('input', { id: 'alias-merges', type: 'checkbox', checked: settings.aliasMerges, disabled: !editable });
  const recompute = h('input', { id: 'recompute', type: 'checkbox', checked: true });
  const outcome = h('div', { id: 'identity-outcome' });
  const split = (textarea) => textarea.value.split('\n').map((v) => v.trim()).filter((v) => v.length > 0);
  const current = () => ({
    rules: Object.fromEntries(ruleRows.map((r) => [r.type, { limit: Number(r.limit.value), priority: Number(r.priority.value), ...(r.window.value.trim() ? { window: r.window.value.trim() } : {}) }])),
    customKeys: split(customKeys),
    blockedValues: split(blockedValues),
    blockedPatterns: split(blockedPatterns),
    maxMerges: Number(maxMerges.value),
    maxIdentifiers: Number(maxIdentifiers.value),
    aliasMerges: aliasMerges.checked,
  });
  const form = h('form', {
    id: 'identity-settings',
    onsubmit: async (event) => {
      event.preventDefault();
      const saving = event.submitter?.id === 'save-identity';
      try {
        if (!saving) { outcome.replaceChildren(previewSummary(await api('/identity/preview', { method: 'POST', body: { settings: current() } }), false)); return; }
        const saved = await api('/identity', { method: 'PUT', body: { settings: current(), recompute: recompute.checked } });
        flash(saved.recomputed ? `Identity settings saved; ${plural(saved.recomputed.changed, 'profile')} recomputed.` : 'Identity settings saved; they apply to new events.');
        await identityPage();
      } catch (failure) { showProblems(form, failure, outcome); }
    },
  },
  h('h2', { text: 'Rules by identifier type' }),
  h('p', { class: 'muted', text: 'A profile keeps at most limit values of a type (within the window, when there is one). When an event would break a rule, its identifier of the lowest priority (the highest number) is left out.' }),
  h('table', { id: 'identity-rules' }, h('tr', {}, h('th', { text: 'Type' }), h('th', { text: 'Limit' }), h('th', { text: 'Window' }), h('th', { text: 'Priority' })),
    ruleRows.map((r) => h('tr', {}, h('td', {}, h('code', { text: r.type }), h('p', { class: 'field-error', role: 'alert', 'data-field': `rules.${r.type}` })), h('td', {}, r.limit), h('td', {}, r.window), h('td', {}, r.priority)))),
  h('p', { class: 'field-error', role: 'alert', 'data-field': 'rules' }),
  field('Values never used as identifiers (one per line)', 'blocked-values', blockedValues, 'blockedValues'),
  field('Patterns never used as identifiers (regular expressions, one per line)', 'blocked-patterns', blockedPatterns, 'blockedPatterns'),
  field('Custom keys read as identifiers (one per line)', 'custom-keys', customKeys, 'customKeys', 'Looked for in traits, context.traits and properties, as app_id or appId.'),
  field('Merges a profile may take part in', 'max-merges', maxMerges, 'maxMerges'),
  field('Identifiers a profile may hold', 'max-identifiers', maxIdentifiers, 'maxIdentifiers'),
  h('label', { class: 'row', for: 'alias-merges' }, aliasMerges, 'An alias call merges its two ids (Segment\'s does not)'),
  savable ? h('label', { class: 'row', for: 'recompute' }, recompute, 'Recompute the profiles the new settings change (otherwise they apply to new events only)') : null,
  editable ? h('div', { class: 'row actions' }, h('button', { type: 'submit', id: 'preview-identity', class: 'secondary', text: 'Preview' }),
    savable ? h('button', { type: 'submit', id: 'save-identity', text: 'Save' }) : null) : null,
  outcome);
  show('Identity', takeFlash(),
    h('p', { class: 'muted', id: 'identity-managed' }, identity.managedBy === 'workspace-file'
      ? 'The workspace file\'s identity: section sets these: change them there. Preview shows what a change would do.'
      : identity.updatedBy ? `Last saved by ${identity.updatedBy}, ${formatTime(identity.updatedAt)}.` : 'Segment\'s defaults, until saved here.'),
    form,
    h('h2', { text: 'Identifiers taken off by unmerges' }),
    blocked.length === 0 ? h('p', { class: 'muted', text: 'None.' })
      : h('table', { id: 'blocked-identifiers' }, h('tr', {}, h('th', { text: 'Identifier' }), h('th', { text: 'Taken off' }), h('th', { text: 'By' }), h('th', { text: 'Why' })),
        blocked.map((b) => h('tr', {}, h('td', {}, h('code', { text: `${b.type}:${b.value}` })), h('td', { text: formatTime(b.at) }), h('td', { text: b.actor }), h('td', { text: b.note ?? '' }),
          canWrite() ? h('td', {}, h('button', {
            type: 'button', class: 'secondary', 'aria-label': `Unblock ${b.type}:${b.value}`,
            onclick: async (event) => {
              if (!confirm(`Make ${b.type}:${b.value} an identifier again? The events that carried it are resolved again with it, and the profiles it links merge again.`)) return;
              try {
                const done = await api(`/identity/blocked/${encodeURIComponent(`${b.type}:${b.value}`)}`, { method: 'DELETE' });
                flash(`${b.type}:${b.value} unblocked: ${plural(done.events, 'event')} resolved again.`);
                await identityPage();
              } catch (failure) { event.target.closest('td').append(problem(failure)); }
            },
          }, 'Unblock')) : null))));
}

// ---- tokens -----------------------------------------------------------------------------------

async function tokensPage() {
  const { tokens } = await api('/tokens');
  const name = h('input', { id: 'token-name', required: true, 'aria-describedby': 'token-name-error' });
  const nameError = h('p', { id: 'token-name-error', class: 'field-error', role: 'alert' });
  const roleSelect = h('select', { id: 'token-role' }, ['read-only', 'privacy-officer', 'workspace-member', 'workspace-owner'].map((r) => h('option', { value: r, text: r })));
  const minted = h('div');
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      nameError.textContent = '';
      try {
        const token = await api('/tokens', { method: 'POST', body: { name: name.value, role: roleSelect.value } });
        minted.replaceChildren(h('div', { class: 'notice good', role: 'status' }, h('p', { text: `Token “${token.name}” (${token.role}). It is shown once: copy it now.` }),
          h('div', { class: 'row' }, h('code', { id: 'new-token', text: token.token }),
            h('button', { type: 'button', class: 'secondary', id: 'copy-token', onclick: (e) => navigator.clipboard?.writeText(token.token).then(() => { e.target.textContent = 'Copied'; }, () => { e.target.textContent = 'Select the token and copy it'; }) }, 'Copy'))));
        await tokensPage();
        main.append(minted);
      } catch (failure) {
        if (failure.body?.error?.code === 'invalid_name') { nameError.textContent = failure.message; name.focus(); } else minted.replaceChildren(problem(failure));
      }
    },
  }, h('h2', { text: 'Mint a token' }), h('label', { for: 'token-name', text: 'What it is for' }), name, nameError, h('label', { for: 'token-role', text: 'Role' }), roleSelect, h('p'), h('button', { type: 'submit', text: 'Mint' }));
  show('Tokens', takeFlash(), h('table', {}, h('tr', {}, h('th', { text: 'Token' }), h('th', { text: 'Role' }), h('th', { text: 'Made' }), h('th', { text: '' })),
    tokens.map((t) => h('tr', {}, h('td', { text: t.name }), h('td', { text: t.role }), h('td', { text: formatTime(t.createdAt) }),
      h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${t.name}`, onclick: async (e) => { if (!confirm(`Revoke “${t.name}”? Whatever uses it stops working at once.`)) return; try { await api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' }); flash(`Token “${t.name}” revoked.`); await tokensPage(); } catch (failure) { e.target.closest('td').append(problem(failure)); } } }, 'Revoke'))))),
  form, minted);
}

// ---- privacy: regulations, suppressed subjects, retention --------------------------------------

const regulationTypes = [
  ['SUPPRESS_WITH_DELETE', 'Delete and suppress: erase everything of theirs here and at destinations that can delete, and keep nothing new'],
  ['DELETE_ONLY', 'Delete: erase everything of theirs here and at destinations that can delete; new events are kept'],
  ['SUPPRESS_ONLY', 'Suppress: keep and send nothing new of theirs (what is stored stays)'],
  ['UNSUPPRESS', 'Lift a suppression: new events are kept and sent again'],
];

function canPrivacy() {
  return role === 'workspace-owner' || role === 'privacy-officer';
}

function regulationBadge(status) {
  return h('span', { class: `badge ${status === 'FAILED' ? 'bad' : status === 'FINISHED' ? '' : 'warn'}`, text: status });
}

function subjectsText(r) {
  return r.subjectIds ? r.subjectIds.join(', ') : `${plural(r.subjectCount, 'subject')} (kept as hashes only)`;
}

function storeText(r) {
  const s = r.store;
  if (r.regulationType === 'UNSUPPRESS') return 'lifted';
  if (r.regulationType === 'SUPPRESS_ONLY') return `${plural(s.deliveriesCancelled, 'waiting delivery', 'waiting deliveries')} cancelled${s.phase === 'done' ? '' : ` · ${s.waitingFor ?? 'cancelling waiting deliveries'}`}`;
  const erased = `${plural(s.eventsErased, 'event')}, ${plural(s.profilesErased, 'profile')}, ${plural(s.deliveriesErased, 'delivery', 'deliveries')} erased`;
  return s.phase === 'done' ? erased : `${s.waitingFor ?? `erasing (${s.phase})`} · ${erased}`;
}

async function privacyPage() {
  const [{ regulations }, suppressed, retention] = await Promise.all([api('/regulations?limit=50'), api('/privacy/suppressed?limit=20'), api('/retention')]);
  const type = h('select', { id: 'regulation-type' }, regulationTypes.map(([value, text]) => h('option', { value, text })));
  const subjectType = h('select', { id: 'subject-type' }, h('option', { value: 'USER_ID', text: 'User ids (userId)' }), h('option', { value: 'ANONYMOUS_ID', text: 'Anonymous ids (anonymousId)' }));
  const ids = h('textarea', { id: 'subject-ids', rows: 4, placeholder: 'one id per line', 'aria-describedby': 'subject-ids-error' });
  const general = h('div');
  const form = h('form', {
    id: 'new-regulation',
    onsubmit: async (event) => {
      event.preventDefault();
      const subjectIds = ids.value.split('\n').map((l) => l.trim()).filter((l) => l);
      if (type.value !== 'UNSUPPRESS' && !confirm(`${regulationTypes.find(([v]) => v === type.value)[1]}: ${plural(subjectIds.length, 'subject')}. This cannot be undone.`)) return;
      try {
        const made = await api('/regulations', { method: 'POST', body: { regulationType: type.value, subjectType: subjectType.value, subjectIds } });
        flash(`Request ${made.id} made: ${made.status.toLowerCase()}.`);
        location.hash = `#/privacy/${encodeURIComponent(made.id)}`;
      } catch (failure) { showProblems(form, failure, general); }
    },
  }, field('What to do', 'regulation-type', type, 'regulationType'),
  field('Whose data', 'subject-type', subjectType, 'subjectType'),
  field('Their ids', 'subject-ids', ids, 'subjectIds', 'As the events carry them; at most 5,000.'),
  general, h('button', { type: 'submit', id: 'make-regulation', text: 'Make the request' }));

  const lookupType = h('select', { id: 'lookup-type', 'aria-label': 'Subject type' }, h('option', { value: 'USER_ID', text: 'userId' }), h('option', { value: 'ANONYMOUS_ID', text: 'anonymousId' }));
  const lookupId = h('input', { id: 'lookup-id', 'aria-label': 'Id to look up', placeholder: 'an id' });
  const answer = h('p', { id: 'lookup-answer', role: 'status' });
  const lookup = h('form', {
    class: 'row',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const found = await api(`/privacy/suppressed?subjectType=${lookupType.value}&subjectId=${encodeURIComponent(lookupId.value.trim())}`);
        answer.textContent = found.suppressed ? `Suppressed since ${formatTime(found.since)} (${found.regulationId}).` : 'Not suppressed.';
      } catch (failure) { answer.textContent = failure.message; }
    },
  }, lookupType, lookupId, h('button', { type: 'submit', class: 'secondary', text: 'Look up' }));

  show('Privacy', takeFlash(),
    h('p', { class: 'muted', text: 'Erasure and objection requests (GDPR, CCPA): suppress a person so nothing new of theirs is kept or sent, and delete what Sluice and the destinations that can delete hold of them.' }),
    canPrivacy() ? [h('h2', { text: 'New request' }), form] : null,
    h('h2', { text: 'Requests' }),
    regulations.length === 0 ? h('p', { class: 'muted', text: 'No request yet.' }) : h('table', { id: 'regulations' },
      h('tr', {}, h('th', { text: 'Made' }), h('th', { text: 'Request' }), h('th', { text: 'Subjects' }), h('th', { text: 'Status' }), h('th', { text: 'In Sluice' }), h('th', { text: 'Destinations' })),
      regulations.map((r) => h('tr', {},
        h('td', {}, h('a', { href: `#/privacy/${encodeURIComponent(r.id)}`, text: formatTime(r.createdAt) })),
        h('td', { text: r.regulationType }),
        h('td', { text: subjectsText(r) }),
        h('td', {}, regulationBadge(r.status)),
        h('td', { text: storeText(r) }),
        h('td', { text: r.destinations.map((d) => `${d.name ?? d.destinationId}: ${d.status}`).join(' · ') || '—' })))),
    h('h2', { text: 'Suppressed subjects' }),
    h('p', { text: `${plural(suppressed.count, 'subject')} suppressed. Ids are kept as hashes: look one up to know.` }),
    lookup, answer,
    h('h2', { text: 'Retention' }),
    retentionSection(retention));
}

function retentionSection(r) {
  const text = (d, fallback) => d ?? fallback ?? 'kept';
  const list = (byId) => Object.entries(byId).map(([id, d]) => `${id}: ${d}`).join('\n');
  const view = h('table', { id: 'retention' },
    h('tr', {}, h('th', { text: 'Raw events' }), h('td', { text: text(r.events, r.defaults.events) })),
    h('tr', {}, h('th', { text: 'Delivery records' }), h('td', { text: text(r.deliveries, r.defaults.deliveries) })),
    Object.entries(r.sources).map(([id, d]) => h('tr', {}, h('th', { text: `Events of source ${id}` }), h('td', { text: d }))),
    Object.entries(r.destinations).map(([id, d]) => h('tr', {}, h('th', { text: `Deliveries to ${id}` }), h('td', { text: d }))));
  if (r.managedBy === 'workspace-file' || !canPrivacy()) {
    return [view, r.managedBy === 'workspace-file' ? h('p', { class: 'muted', text: 'Set by the workspace file’s retention: section.' }) : null];
  }
  const events = h('input', { id: 'retention-events', value: r.events ?? '', placeholder: r.defaults.events ?? 'kept' });
  const deliveries = h('input', { id: 'retention-deliveries', value: r.deliveries ?? '', placeholder: r.defaults.deliveries });
  const sources = h('textarea', { id: 'retention-sources', rows: 2, placeholder: 'source-id: 30d' });
  sources.value = list(r.sources);
  const destinations = h('textarea', { id: 'retention-destinations', rows: 2, placeholder: 'destination-id: 3d' });
  destinations.value = list(r.destinations);
  const general = h('div');
  const parse = (area) => Object.fromEntries(area.value.split('\n').map((l) => l.trim()).filter((l) => l).map((l) => [l.split(':')[0].trim(), l.split(':').slice(1).join(':').trim()]));
  const form = h('form', {
    id: 'retention-form',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api('/retention', { method: 'PUT', body: { events: events.value.trim() || null, deliveries: deliveries.value.trim() || null, sources: parse(sources), destinations: parse(destinations) } });
        flash('Retention saved: it is applied at the next pass (events hourly, delivery records every 5 minutes).');
        await privacyPage();
      } catch (failure) { showProblems(form, failure, general); }
    },
  }, field('Raw events', 'retention-events', events, 'events', `Such as 30d; empty: ${r.defaults.events ?? 'kept'} (the server’s --event-retention).`),
  field('Delivery records', 'retention-deliveries', deliveries, 'deliveries', `Empty: ${r.defaults.deliveries} (the server’s --delivery-retention).`),
  field('Per source', 'retention-sources', sources, 'sources', 'One per line: source id, colon, duration.'),
  field('Per destination', 'retention-destinations', destinations, 'destinations', 'One per line: destination id, colon, duration.'),
  general, h('button', { type: 'submit', id: 'save-retention', text: 'Save retention' }));
  return [view, h('details', {}, h('summary', { text: 'Change the retention' }), form)];
}

async function regulationPage(id) {
  const r = await api(`/regulations/${encodeURIComponent(id)}`);
  show(`Request ${r.id}`, takeFlash(),
    h('p', {}, regulationBadge(r.status), ` ${r.regulationType} of ${subjectsText(r)}, made ${formatTime(r.createdAt)} by ${r.actor}${r.finishedAt ? `, finished ${formatTime(r.finishedAt)}` : ''}.`),
    h('h2', { text: 'In Sluice' }),
    h('p', { id: 'regulation-store', text: storeText(r) }),
    h('h2', { text: 'Destinations' }),
    r.destinations.length === 0 ? h('p', { class: 'muted', text: 'Nothing to send: this request is not a deletion.' }) : h('table', { id: 'regulation-destinations' },
      h('tr', {}, h('th', { text: 'Destination' }), h('th', { text: 'Subject' }), h('th', { text: 'Status' }), h('th', { text: 'Attempts' }), h('th', { text: 'Answer' }), h('th', { text: 'Why' }), h('th', { text: 'Next attempt' })),
      r.destinations.flatMap((d) => d.requests.map((q) => h('tr', {},
        h('td', { text: d.name ?? d.destinationId }),
        h('td', { text: r.subjectIds ? r.subjectIds[q.subjectIndex] : `#${q.subjectIndex + 1}` }),
        h('td', {}, regulationBadge(q.status)),
        h('td', { text: number(q.attempts) }),
        h('td', { text: q.httpStatus ? `HTTP ${q.httpStatus}` : '—' }),
        h('td', { text: q.reason ?? '' }),
        h('td', { text: q.nextAttemptAt ? formatTime(q.nextAttemptAt) : '—' }))))),
    h('p', {}, h('a', { href: '#/privacy', text: 'All requests' })));
}

// ---- routing ----------------------------------------------------------------------------------

const routes = [
  [/^#\/catalog$/, catalogPage],
  [/^#\/catalog\/([^/]+)$/, catalogEntryPage],
  [/^#\/catalog\/([^/]+)\/add$/, addDestinationPage],
  [/^#\/destinations\/([^/]+)\/mappings\/new$/, (id) => mappingPage(id, null)],
  [/^#\/destinations\/([^/]+)\/settings$/, editSettingsPage],
  [/^#\/destinations\/([^/]+)\/mappings\/([^/]+)$/, mappingPage],
  [/^#\/destinations$/, destinationsPage],
  [/^#\/destinations\/([^/]+)$/, destinationPage],
  [/^#\/sources$/, sourcesPage],
  [/^#\/sources\/([^/]+)$/, sourcePage],
  [/^#\/tokens$/, tokensPage],
  [/^#\/profiles$/, () => profilesPage('')],
  [/^#\/profiles\?q=(.*)$/, profilesPage],
  [/^#\/profiles\/([^/?]+)$/, profilePage],
  [/^#\/identity$/, identityPage],
  [/^#\/engage$/, engagePage],
  [/^#\/engage\/new\/(audience|trait)$/, (kind) => engageEditPage(kind, null)],
  [/^#\/engage\/([^/]+)\/edit$/, (key) => engageEditPage(null, key)],
  [/^#\/engage\/([^/]+)$/, engageDefinitionPage],
  [/^#\/privacy$/, privacyPage],
  [/^#\/privacy\/([^/]+)$/, regulationPage],
];

async function route() {
  stopDebugger?.();
  stopDebugger = null;
  if (!sessionStorage.getItem(tokenKey) || location.hash === '#/signin') { rememberPage(); signInPage(); return; }
  if (!role) {
    try { role = (await api('/me')).role; } catch { signInPage(); return; }
  }

  nav.hidden = false;
  document.getElementById('whoami').textContent = `signed in as ${role}`;
  for (const link of nav.querySelectorAll('a')) {
    link.hidden = link.dataset.role !== undefined && !link.dataset.role.split(' ').includes(role);
    if (location.hash.startsWith(link.getAttribute('href'))) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }

  const [pattern, page] = routes.find(([p]) => p.test(location.hash)) ?? [null, null];
  if (!page) { location.hash = '#/destinations'; return; }
  try {
    await page(...location.hash.match(pattern).slice(1).map(decodeURIComponent));
  } catch (failure) {
    if (failure.status !== 401) show('Something went wrong', problem(failure), h('p', {}, h('a', { href: '#/destinations', text: 'Back to the destinations' })));
  }
}

document.getElementById('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
route();
