/**
 * Translations: key → string tables keyed by Nightscout's language codes (`lib/language.js`), one
 * JSON file per language in `translations/` (the same flat form as Nightscout's `translations/*.json`,
 * English text as the key). English is built in; another table is fetched once the language is
 * known (server `LANGUAGE`, else the browser's languages, a choice saved on this device first).
 * A missing key falls back to English, so a half-translated table never hides a string.
 */
export type Table = Readonly<Record<string, string>>;

/** The languages with a table here (Nightscout codes). */
export const LANGUAGES: Readonly<Record<string, string>> = {
  en: 'English',
  cs: 'Čeština',
  de: 'Deutsch',
  es: 'Español',
  fr: 'Français',
  nl: 'Nederlands',
  sv: 'Svenska',
};

const loaders = import.meta.glob<Table>('./translations/*.json', { import: 'default' });

let table: Table = {};
let lang = 'en';

export function currentLanguage(): string {
  return lang;
}

/** Translates `key`, replacing `%1`, `%2`… with `params` (Nightscout's placeholder form). */
export function t(key: string, ...params: (string | number)[]): string {
  const s = table[key] ?? key;
  return params.length ? s.replace(/%(\d)/g, (m, i: string) => String(params[Number(i) - 1] ?? m)) : s;
}

/**
 * An alarm message as the server sends it in English (`BG Now: 50 mg/dl`, `Last reading 20 min ago`),
 * in the page's language; a message the server already translated passes through unchanged.
 */
export function translateAlarmMessage(m: string): string {
  const bg = /^BG Now: (.+)$/.exec(m);
  if (bg) return t('BG Now: %1', bg[1] as string);
  const last = /^Last reading (\d+) min ago$/.exec(m);
  if (last) return t('Last reading %1 min ago', last[1] as string);
  return t(m);
}

/** Uses `tbl` for language `code` (tests and the loader). */
export function useTable(code: string, tbl: Table): void {
  lang = code;
  table = tbl;
}

/** A browser language tag as a Nightscout code: `de-AT` → `de`, `pt-BR` → `br`, `da` → `dk`. */
export function nightscoutCode(tag: string): string {
  const t2 = tag.toLowerCase().replace('-', '_');
  if (t2 === 'zh_cn' || t2 === 'zh_tw') return t2;
  if (t2.startsWith('zh')) return t2.includes('hant') || t2.endsWith('_hk') ? 'zh_tw' : 'zh_cn';
  if (t2 === 'pt_br') return 'br';
  const base = t2.split('_')[0] ?? t2;
  return ({ da: 'dk', no: 'nb', nn: 'nb' } as Record<string, string>)[base] ?? base;
}

/**
 * The language to show: a choice saved on this device, else the server's `LANGUAGE` when it is not
 * the default English, else the first browser language with a table, else the server's, else English.
 */
export function chooseLanguage(saved: string | null, server: string | undefined, browser: readonly string[]): string {
  const ok = (c: string | null | undefined): c is string => !!c && Object.hasOwn(LANGUAGES, c);
  if (ok(saved)) return saved;
  const s = server ? nightscoutCode(server) : undefined;
  if (ok(s) && s !== 'en') return s;
  for (const b of browser) {
    const c = nightscoutCode(b);
    if (ok(c)) return c;
  }
  return ok(s) ? s : 'en';
}

/** Loads and uses the table of `code` (English needs none). False when it cannot be loaded. */
export async function setLanguage(code: string): Promise<boolean> {
  if (code === 'en') {
    useTable('en', {});
    return true;
  }
  const load = loaders[`./translations/${code}.json`];
  if (!load) return false;
  try {
    useTable(code, await load());
    return true;
  } catch {
    return false;
  }
}

/**
 * Translates the static page: `data-i18n` (text), `data-i18n-label` (aria-label), `data-i18n-title`.
 * The English text is kept in `data-i18n-en` so switching language again starts from it.
 */
export function translatePage(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.dataset.i18nEn ??= el.textContent ?? '';
    el.textContent = t(el.dataset.i18nEn);
  }
  for (const [attr, data] of [
    ['aria-label', 'i18nLabel'],
    ['title', 'i18nTitle'],
  ] as const) {
    for (const el of root.querySelectorAll<HTMLElement>(`[data-${data === 'i18nLabel' ? 'i18n-label' : 'i18n-title'}]`)) {
      const en = el.dataset[data] as string;
      el.setAttribute(attr, t(en));
    }
  }
  document.documentElement.lang = lang.replace('_', '-');
}
