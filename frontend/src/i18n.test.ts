import { describe, expect, it } from 'vitest';
import { LANGUAGES, chooseLanguage, nightscoutCode, setLanguage, t, translateAlarmMessage, useTable } from './i18n';

const files = import.meta.glob<Record<string, string>>('./translations/*.json', { eager: true, import: 'default' });
const tables = Object.fromEntries(Object.entries(files).map(([f, tbl]) => [f.replace(/^.*\/(\w+)\.json$/, '$1'), tbl]));

describe('translations', () => {
  it('has a table for en, es, de, fr, nl, sv and cs, and every language listed has one', () => {
    for (const c of ['en', 'es', 'de', 'fr', 'nl', 'sv', 'cs']) expect(Object.hasOwn(LANGUAGES, c)).toBe(true);
    for (const c of Object.keys(LANGUAGES).filter((c) => c !== 'en')) expect(tables[c], c).toBeDefined();
  });

  it('keeps the placeholders of every English key in each translation', () => {
    const holders = (s: string): string => (s.match(/%\d/g) ?? []).sort().join();
    for (const [code, tbl] of Object.entries(tables)) {
      for (const [k, v] of Object.entries(tbl)) expect(holders(v), `${code}: ${k}`).toBe(holders(k));
    }
  });

  it('falls back to English for a key a table lacks, and fills placeholders', async () => {
    useTable('xx', { 'Sign in': 'Einloggen' });
    expect(t('Sign in')).toBe('Einloggen');
    expect(t('Sign out')).toBe('Sign out');
    expect(t('%1 min ago', 5)).toBe('5 min ago');
    expect(await setLanguage('de')).toBe(true);
    expect(t('%1 min ago', 5)).toBe('vor 5 Min.');
    expect(t('not a known key')).toBe('not a known key');
    expect(await setLanguage('zz')).toBe(false);
    await setLanguage('en');
    expect(t('Sign in')).toBe('Sign in');
  });

  it("chooses the saved choice, then the server's LANGUAGE, then the browser's, then English", () => {
    expect(chooseLanguage('fr', 'de', ['es-ES'])).toBe('fr');
    expect(chooseLanguage(null, 'de', ['es-ES'])).toBe('de');
    expect(chooseLanguage(null, 'en', ['sv-SE', 'en'])).toBe('sv');
    expect(chooseLanguage(null, undefined, ['ja-JP', 'nl-BE'])).toBe('nl');
    expect(chooseLanguage('klingon', 'xx', ['ja'])).toBe('en');
    expect([nightscoutCode('pt-BR'), nightscoutCode('da'), nightscoutCode('zh-TW'), nightscoutCode('de-AT')]).toEqual(['br', 'dk', 'zh_tw', 'de']);
  });

  it("translates the server's English alarm texts, and leaves others as they are", async () => {
    await setLanguage('es');
    expect(t('Urgent LOW')).toBe('Urgente, BAJA');
    expect(translateAlarmMessage('BG Now: 48 mg/dl')).toBe('Glucemia actual: 48 mg/dl');
    expect(translateAlarmMessage('Last reading 20 min ago')).toBe('Última lectura hace 20 min');
    expect(translateAlarmMessage('Glucemia actual: 48')).toBe('Glucemia actual: 48');
    await setLanguage('en');
  });

  it('has every string the dashboard translates in every table', () => {
    const sources = import.meta.glob<string>(['./*.ts', '!./*.test.ts', '../index.html'], { query: '?raw', import: 'default', eager: true });
    const keys = new Set<string>();
    for (const [file, src] of Object.entries(sources)) {
      for (const m of src.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)*)'/g)) keys.add(m[1] as string);
      if (file.endsWith('.html')) for (const m of src.matchAll(/data-i18n(?:="")?>([^<]+)</g)) keys.add((m[1] as string).trim());
      if (file.endsWith('careportal-form.ts')) for (const m of src.matchAll(/(?:value|error): '([^']+)'/g)) keys.add(m[1] as string);
      if (file.endsWith('careportal.ts')) for (const m of src.matchAll(/label: '([^']+)'/g)) keys.add(m[1] as string);
    }
    expect(keys.size).toBeGreaterThan(100);
    for (const [code, tbl] of Object.entries(tables)) {
      expect([...keys].filter((k) => !Object.hasOwn(tbl, k)), code).toEqual([]);
    }
  });
});
