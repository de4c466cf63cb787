/**
 * The settings page a store owner lands on after installing: choose the invoicing service, enter its
 * credentials (tested with a live call before anything is saved), numbering, when orders are
 * invoiced, where the buyer's tax id comes from; and see the last documents issued.
 *
 * Routes (plain server-rendered HTML, no scripts, no external assets):
 *   GET  /app                 admin: the installed shops; store owner: their shop's page
 *   GET  /app?shop=…          the settings page of one shop
 *   POST /app?shop=…          save (CSRF token required)
 *   GET  /app/login, POST /app/login, POST /app/logout    admin sign-in with the admin token
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../../log.js';
import type { DocumentRecord, Store } from '../../store/store.js';
import type { AppAuth, Viewer } from '../app-auth.js';
import type { CredentialChecker } from '../../../connectors/credential-checks.js';
import { Safe, html } from './html.js';
import { TARGET_TYPES, connectionIdFor, type Installation, type ShopInstallations } from './installations.js';
import { TARGET_FIELDS, TARGET_LABELS, formValuesFor, hasSavedSecret, parseSettingsForm, type FieldErrors, type FieldSpec, type FormValues } from './settings-form.js';

export interface SettingsPageDeps {
  store: Store;
  installations: ShopInstallations;
  auth: AppAuth;
  checkCredentials: CredentialChecker;
  log: Logger;
  /** OAuth is configured: an unknown visitor with ?shop= is sent to /auth to sign in through Shopify. */
  oauthEnabled: boolean;
}

const SHOP = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

const STYLE = `
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1f2933}
header{background:#0b5cad;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:2px 0 0;opacity:.85}
main{max-width:880px;margin:24px auto;padding:0 16px}
section,fieldset{background:#fff;border:1px solid #d9dee3;border-radius:8px;padding:16px 20px;margin:0 0 18px}
legend{font-weight:600;padding:0 6px}h2{font-size:17px;margin:0 0 10px}
label{display:block;margin:10px 0 2px;font-weight:600}small{display:block;color:#52606d;font-weight:400}
input[type=text],input[type=password],input[type=number],select{width:100%;padding:8px 10px;border:1px solid #9aa5b1;border-radius:6px;font:inherit;background:#fff}
.choice{display:flex;gap:8px;align-items:center;font-weight:400;margin:6px 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:0 16px}
.target-fields{display:none}
form:has(#target-apidian:checked) .fields-apidian,form:has(#target-unidigital:checked) .fields-unidigital,
form:has(#target-tuimprenta:checked) .fields-tuimprenta,form:has(#target-facturapi:checked) .fields-facturapi{display:block}
.error{color:#b42318;font-weight:600;margin:4px 0 0}.invalid{border-color:#b42318!important;background:#fff5f5!important}
.banner{border-radius:8px;padding:12px 16px;margin:0 0 18px;font-weight:600}.banner.ok{background:#e3f6e8;color:#14532d;border:1px solid #86d19a}
.banner.bad{background:#fdecea;color:#7a1c12;border:1px solid #f0a39a}
button{background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:10px 18px;font:inherit;font-weight:600;cursor:pointer}
table{width:100%;border-collapse:collapse;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
td.key{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}.muted{color:#52606d}
small.inline{display:inline}header{position:relative}.signout{position:absolute;right:24px;top:18px}
button.link{background:transparent;border:1px solid #fff;padding:4px 10px;font-weight:400}
`;

function page(res: Response, status: number, title: string, body: Safe): void {
  const nonce = randomBytes(16).toString('base64');
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      // No scripts at all; styles only from the inline block; forms post only here; framed only by Shopify's admin.
      'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self' https://*.myshopify.com https://admin.shopify.com`,
    })
    .send(
      html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Puente</title><style nonce="${nonce}">${htmlRaw(STYLE)}</style></head><body>${body}</body></html>`.text,
    );
}

/** Constant CSS, not user input. */
const htmlRaw = (text: string): Safe => new Safe(text);

function header(subtitle: string, viewer?: Viewer, csrf?: string): Safe {
  return html`<header><h1>Puente — electronic invoices for your store</h1><p>${subtitle}</p>${
    viewer?.via === 'cookie'
      ? html`<form method="post" action="/app/logout" class="signout"><input type="hidden" name="csrf" value="${csrf ?? ''}"><button type="submit" class="link">Sign out</button></form>`
      : ''
  }</header>`;
}

function fieldInput(field: FieldSpec, values: FormValues, errors: FieldErrors, savedSecret: boolean): Safe {
  const id = `f-${field.name.replace('.', '-')}`;
  const error = errors[field.name];
  const cls = error ? 'invalid' : '';
  const help = field.kind === 'secret' && savedSecret ? `${field.help ?? ''} A value is saved; leave empty to keep it.`.trim() : field.help;
  let input: Safe;
  if (field.kind === 'select') {
    input = html`<select id="${id}" name="${field.name}" class="${cls}">${field.options!.map(
      (option) => html`<option value="${option.value}"${values[field.name] === option.value ? html` selected` : ''}>${option.label}</option>`,
    )}</select>`;
  } else {
    const type = field.kind === 'secret' ? 'password' : 'text';
    const value = field.kind === 'secret' ? '' : (values[field.name] ?? '');
    input = html`<input type="${type}" id="${id}" name="${field.name}" value="${value}" placeholder="${field.placeholder ?? ''}" class="${cls}" autocomplete="${field.kind === 'secret' ? 'new-password' : 'off'}"${field.kind === 'integer' ? html` inputmode="numeric"` : ''}>`;
  }
  return html`<div><label for="${id}">${field.label}${field.optional ? html` <small class="inline">(optional)</small>` : ''}</label>${input}${help ? html`<small>${help}</small>` : ''}${
    error ? html`<p class="error" data-field="${field.name}">${error}</p>` : ''
  }</div>`;
}

function radio(name: string, value: string, label: string, values: FormValues, id?: string): Safe {
  return html`<label class="choice"><input type="radio" name="${name}" value="${value}"${id ? html` id="${id}"` : ''}${values[name] === value ? html` checked` : ''}> ${label}</label>`;
}

function checkbox(name: string, label: string, values: FormValues): Safe {
  return html`<label class="choice"><input type="checkbox" name="${name}"${values[name] === 'on' ? html` checked` : ''}> ${label}</label>`;
}

function errorLine(errors: FieldErrors, name: string): Safe | '' {
  return errors[name] ? html`<p class="error" data-field="${name}">${errors[name]}</p>` : '';
}

function documentsTable(documents: DocumentRecord[]): Safe {
  if (!documents.length) return html`<p class="muted">No documents yet. Paid orders will appear here once they are invoiced.</p>`;
  const kinds: Record<string, string> = { invoice: 'Invoice', credit_note: 'Credit note', debit_note: 'Debit note', export_invoice: 'Export invoice' };
  return html`<table id="documents"><thead><tr><th>Created</th><th>Kind</th><th>Order</th><th>Number</th><th>CUFE / CDC</th><th>Status</th></tr></thead><tbody>${documents.map(
    (d) =>
      html`<tr><td>${d.createdAt.slice(0, 16).replace('T', ' ')}</td><td>${kinds[d.kind] ?? d.kind}</td><td>${d.orderId}</td><td>${
        d.result?.fiscalNumber ?? (d.number ? `${d.series}${d.number}` : '—')
      }</td><td class="key">${d.result?.uuid ?? '—'}</td><td>${d.status.replace('_', ' ')}${d.attention ? html`<small>${d.attention.reason}</small>` : ''}</td></tr>`,
  )}</tbody></table>`;
}

interface FormState {
  values: FormValues;
  errors: FieldErrors;
  banner?: { ok: boolean; text: string };
}

export function settingsPageRouter(deps: SettingsPageDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });

  const savedOf = (installation: Installation | undefined) => {
    if (!installation?.settings) return undefined;
    try {
      return { type: installation.settings.targetType, block: deps.installations.accountBlock(installation)! };
    } catch {
      // Sealed with another key: the owner enters the secrets again.
      return undefined;
    }
  };

  async function renderSettings(req: Request, res: Response, viewer: Viewer, shop: string, state: FormState, status = 200): Promise<void> {
    const installation = await deps.installations.get(shop);
    const saved = savedOf(installation);
    // Issued documents move to the archive after a day; the page shows the last ones wherever they are.
    const documents = await deps.store.listDocuments({ connectionId: connectionIdFor(shop), limit: 20, archived: 'include' });
    const { values, errors } = state;
    const csrf = deps.auth.csrfToken(req);
    const statusLine = !installation
      ? 'Not installed through Shopify yet.'
      : installation.status === 'uninstalled'
        ? 'The app was uninstalled from this shop: nothing is being invoiced.'
        : installation.settings
          ? 'Installed and configured: orders are being invoiced.'
          : 'Installed. Fill in the settings below to start invoicing.';
    const body = html`${header(shop, viewer, csrf)}<main>
${state.banner ? html`<div class="banner ${state.banner.ok ? 'ok' : 'bad'}" role="status" id="banner">${state.banner.text}</div>` : ''}
<section><h2>Status</h2><p id="status">${statusLine}</p></section>
<form method="post" action="/app?shop=${encodeURIComponent(shop)}" id="settings" novalidate>
<input type="hidden" name="csrf" value="${csrf}">
<fieldset><legend>1. Your invoicing service</legend>
<p class="muted">Puente sends your invoices to the electronic invoicing service you already use. Choose it, then fill in the details it gave you.</p>
${TARGET_TYPES.map((type) => radio('targetType', type, TARGET_LABELS[type], values, `target-${type}`))}
${errorLine(errors, 'targetType')}
${TARGET_TYPES.map(
  (type) =>
    html`<div class="target-fields fields-${type}"><div class="grid">${TARGET_FIELDS[type].map((field) => fieldInput(field, values, errors, hasSavedSecret(saved, field)))}</div></div>`,
)}
</fieldset>
<fieldset><legend>2. When an order is invoiced</legend>
${radio('trigger', 'paid', 'When it is paid (recommended)', values)}
${radio('trigger', 'created', 'As soon as it is placed', values)}
${radio('trigger', 'fulfilled', 'When it is shipped (fulfilled)', values)}
${errorLine(errors, 'trigger')}
<label for="f-delay">Wait before invoicing (minutes)</label><input type="number" id="f-delay" name="triggerDelayMinutes" min="0" max="10080" value="${values.triggerDelayMinutes ?? '0'}" class="${errors.triggerDelayMinutes ? 'invalid' : ''}">
<small>Use a delay if other apps still change orders right after checkout. 0 invoices at once.</small>
${errorLine(errors, 'triggerDelayMinutes')}
${checkbox('issueFor.testOrders', 'Also invoice test orders', values)}
${checkbox('issueFor.zeroTotal', 'Also invoice orders whose total is zero', values)}
</fieldset>
<fieldset><legend>3. Your buyers' tax id</legend>
<p class="muted">Where Puente finds the buyer's NIT / RIF / RUC, in this order. Without one, the invoice goes to the final consumer.</p>
${checkbox('taxId.localized', "Shopify checkout's tax id field (recommended)", values)}
${checkbox('taxId.noteAttribute', 'A cart attribute named:', values)}
<input type="text" name="noteAttribute" id="f-noteAttribute" value="${values.noteAttribute ?? 'NIT'}" aria-label="Cart attribute name" class="${errors.noteAttribute ? 'invalid' : ''}">
${errorLine(errors, 'noteAttribute')}
${checkbox('taxId.company', 'The company field of the billing address', values)}
${checkbox('taxId.validateCheckDigit', 'Hold invoices whose tax id has a wrong check digit, for me to review', values)}
</fieldset>
<fieldset><legend>4. Country and time zone</legend><div class="grid">
<div><label for="f-country">Country</label><select id="f-country" name="country">${[
      ['CO', 'Colombia'],
      ['VE', 'Venezuela'],
      ['PY', 'Paraguay'],
    ].map(([code, name]) => html`<option value="${code}"${values.country === code ? html` selected` : ''}>${name}</option>`)}</select>${errorLine(errors, 'country')}</div>
<div><label for="f-timezone">Time zone</label><input type="text" id="f-timezone" name="timezone" value="${values.timezone ?? ''}" class="${errors.timezone ? 'invalid' : ''}">
<small>Invoices are dated in it, e.g. America/Bogota, America/Caracas, America/Asuncion.</small>${errorLine(errors, 'timezone')}</div>
</div></fieldset>
<p><button type="submit" id="save">Test the connection and save</button></p>
</form>
<section><h2>Last documents</h2>${documentsTable(documents)}</section>
</main>`;
    page(res, status, `Settings for ${shop}`, body);
  }

  /** Who is asking; sends them to sign in when nobody. `shop` is the shop they asked for, if any. */
  function requireViewer(req: Request, res: Response, shop: string | undefined): Viewer | undefined {
    const viewer = deps.auth.viewerOf(req);
    if (!viewer && req.method === 'GET') {
      // An embedded app's first load carries a Shopify session token as ?id_token=.
      const fromToken = deps.auth.shopFromIdToken(req.query.id_token);
      if (fromToken) {
        // Signed in; the page itself is served on the next request, which carries the cookie (and so
        // gets forms with a CSRF token bound to it), without the token in its URL.
        deps.auth.signInShop(res, fromToken);
        res.redirect(302, `/app?shop=${encodeURIComponent(fromToken)}`);
        return undefined;
      }
    }
    if (viewer) return viewer;
    // A store owner signs in through Shopify; anyone else gets the sign-in form, answered 401.
    if (shop && deps.oauthEnabled) res.redirect(302, `/auth?shop=${encodeURIComponent(shop)}`);
    else loginPage(res, shop);
    return undefined;
  }

  function loginPage(res: Response, shop: string | undefined, error?: string): void {
    page(
      res,
      401,
      'Sign in',
      html`${header('Sign in')}<main><section><h2>Sign in</h2>
${error ? html`<p class="error" id="login-error">${error}</p>` : ''}
<p class="muted">Store owners: open Puente from your Shopify admin (Apps → Puente); you are signed in automatically.</p>
<form method="post" action="/app/login${shop ? `?shop=${encodeURIComponent(shop)}` : ''}"><label for="f-admin-token">Puente admin token</label>
<input type="password" id="f-admin-token" name="adminToken" autocomplete="current-password"><small>Printed by Puente when it starts, and kept in the data directory (admin-token).</small>
<p><button type="submit" id="sign-in">Sign in</button></p></form></section></main>`,
    );
  }

  function shopParam(req: Request): string | undefined | false {
    const raw = req.query.shop;
    if (raw === undefined) return undefined;
    const shop = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    return SHOP.test(shop) ? shop : false;
  }

  function forbidden(res: Response, viewer: Viewer, shop: string): void {
    page(res, 403, 'Not allowed', html`${header('Not allowed')}<main><section><p class="error">You are signed in for ${viewer.kind === 'shop' ? viewer.shop : 'another account'}, not for ${shop}. Open the app from ${shop}'s Shopify admin.</p></section></main>`);
  }

  router.get('/app/login', (req, res) => {
    const shop = shopParam(req) || undefined;
    if (deps.auth.viewerOf(req)) {
      res.redirect(303, shop ? `/app?shop=${encodeURIComponent(shop)}` : '/app');
      return;
    }
    loginPage(res, shop);
  });

  router.post('/app/login', form, (req, res) => {
    const presented = typeof req.body?.adminToken === 'string' ? req.body.adminToken : '';
    const viewer = deps.auth.viewerOf(req);
    if (!deps.auth.isAdminToken(presented) && viewer?.kind !== 'admin') {
      deps.log.warn({ ip: req.ip }, 'admin sign-in refused');
      loginPage(res, shopParam(req) || undefined, 'That is not the admin token.');
      return;
    }
    deps.auth.signInAdmin(res);
    const shop = shopParam(req);
    res.redirect(303, shop ? `/app?shop=${encodeURIComponent(shop)}` : '/app');
  });

  router.post('/app/logout', form, (req, res) => {
    const viewer = deps.auth.viewerOf(req);
    if (!viewer) {
      res.status(401).type('text/plain').send('Not signed in.\n');
      return;
    }
    if (!deps.auth.checkCsrf(req, viewer, req.body?.csrf)) {
      res.status(403).type('text/plain').send('The form is stale or was not sent by this page; reload it and try again.\n');
      return;
    }
    deps.auth.signOut(res);
    res.redirect(303, '/app/login');
  });

  router.get('/app', async (req, res) => {
    const shop = shopParam(req);
    const viewer = requireViewer(req, res, shop || undefined);
    if (!viewer) return;
    if (shop === false) {
      page(res, 400, 'Unknown shop', html`${header('Unknown shop')}<main><section><p class="error">The shop must be a domain such as acme.myshopify.com.</p></section></main>`);
      return;
    }
    if (!shop) {
      if (viewer.kind === 'shop') {
        res.redirect(302, `/app?shop=${encodeURIComponent(viewer.shop)}`);
        return;
      }
      const installations = await deps.installations.list();
      page(
        res,
        200,
        'Shops',
        html`${header('Installed shops')}<main><section><h2>Shops</h2>${
          installations.length
            ? html`<table id="shops"><thead><tr><th>Shop</th><th>Status</th><th>Invoicing service</th></tr></thead><tbody>${installations.map(
                (i) =>
                  html`<tr><td><a href="/app?shop=${encodeURIComponent(i.shop)}">${i.shop}</a></td><td>${i.status}</td><td>${i.settings ? TARGET_LABELS[i.settings.targetType] : 'not configured'}</td></tr>`,
              )}</tbody></table>`
            : html`<p class="muted">No shop has installed the app yet.</p>`
        }<form method="get" action="/app"><label for="f-shop">Open a shop</label><input type="text" id="f-shop" name="shop" placeholder="acme.myshopify.com"><p><button type="submit">Open</button></p></form></section></main>`,
      );
      return;
    }
    if (!deps.auth.canSee(viewer, shop)) {
      forbidden(res, viewer, shop);
      return;
    }
    const installation = await deps.installations.get(shop);
    const banner = req.query.saved === '1' ? { ok: true, text: 'Saved. The connection was tested and invoicing is on.' } : undefined;
    await renderSettings(req, res, viewer, shop, { values: formValuesFor(installation?.settings), errors: {}, ...(banner ? { banner } : {}) });
  });

  router.post('/app', form, async (req, res) => {
    const viewer = deps.auth.viewerOf(req);
    if (!viewer) {
      res.status(401).type('text/plain').send('Sign in first: open the app from your Shopify admin.\n');
      return;
    }
    const shop = shopParam(req);
    if (!shop) {
      res.status(400).type('text/plain').send('The shop must be a domain such as acme.myshopify.com.\n');
      return;
    }
    if (!deps.auth.canSee(viewer, shop)) {
      forbidden(res, viewer, shop);
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!deps.auth.checkCsrf(req, viewer, body.csrf)) {
      deps.log.warn({ shop }, 'settings form refused: bad csrf token');
      res.status(403).type('text/plain').send('The form is stale or was not sent by this page; reload it and try again.\n');
      return;
    }
    const values: FormValues = Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    // Secrets are never echoed back into the page, even on error.
    const shown = (): FormValues => {
      const secretNames = new Set(TARGET_TYPES.flatMap((t) => TARGET_FIELDS[t].filter((fl) => fl.kind === 'secret').map((fl) => fl.name)));
      return Object.fromEntries(Object.entries(values).filter(([name]) => !secretNames.has(name) && name !== 'csrf'));
    };
    const installation = await deps.installations.get(shop);
    const parsed = parseSettingsForm(values, savedOf(installation));
    if (!parsed.ok) {
      await renderSettings(req, res, viewer, shop, { values: shown(), errors: parsed.errors, banner: { ok: false, text: 'Nothing was saved: correct the fields marked below.' } }, 400);
      return;
    }
    const { settings } = parsed;
    const check = await deps.checkCredentials(settings.targetType, settings.account);
    if (!check.ok) {
      deps.log.info({ shop, target: settings.targetType, field: check.field }, 'settings refused: credential check failed');
      await renderSettings(
        req,
        res,
        viewer,
        shop,
        { values: shown(), errors: { [check.field]: check.message }, banner: { ok: false, text: `Nothing was saved: ${TARGET_LABELS[settings.targetType]} did not accept these details.` } },
        400,
      );
      return;
    }
    try {
      await deps.installations.save(shop, settings.block, settings.rest);
    } catch (error) {
      await renderSettings(req, res, viewer, shop, { values: shown(), errors: { targetType: (error as Error).message }, banner: { ok: false, text: 'Nothing was saved.' } }, 400);
      return;
    }
    res.redirect(303, `/app?shop=${encodeURIComponent(shop)}&saved=1`);
  });

  return router;
}
