// The page's language (English or Simplified Chinese) and its string tables.
// Every panel keeps its strings in src/i18n/<panel>.ts as `defineStrings(en, zh)`; a test checks
// that every table has the same keys and placeholders in both languages. Choice labels and
// descriptions come from /api/options (`label_zh`, `description_zh`).

export const LANGS = [
  { code: 'en', label: 'English' },
  { code: 'zh', label: '简体中文' },
] as const;
export type Lang = (typeof LANGS)[number]['code'];

export interface Strings<T extends Record<string, string>> {
  en: T;
  zh: { [K in keyof T]: string };
}

/** A panel's strings in both languages; the zh table must have exactly the en table's keys. */
export function defineStrings<const T extends Record<string, string>>(en: T, zh: { [K in keyof T]: string }): Strings<T> {
  return { en, zh };
}

const LANG_KEY = 'glassnet-lang';

export function isLang(v: unknown): v is Lang {
  return LANGS.some((l) => l.code === v);
}

/** The link's `lang` (appstate.svelte.ts passes it), else the remembered one, else the browser's. */
export function initialLang(
  fromUrl: string | null = null,
  store: Storage | undefined = globalThis.localStorage,
  browser: string = globalThis.navigator?.language ?? 'en',
): Lang {
  if (isLang(fromUrl)) return fromUrl;
  const stored = store?.getItem(LANG_KEY);
  if (isLang(stored)) return stored;
  return browser.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

class Locale {
  lang = $state<Lang>(initialLang());

  set(lang: Lang): void {
    this.lang = lang;
    globalThis.localStorage?.setItem(LANG_KEY, lang);
    if (typeof document !== 'undefined') document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }
}

export const locale = new Locale();

/** The current language's table; read it inside `$derived` or markup so it follows the switch. */
export function tr<T extends Record<string, string>>(table: Strings<T>): T {
  return (locale.lang === 'zh' ? table.zh : table.en) as T;
}

/** Fill `{name}` placeholders. */
export function fmt(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** The placeholders of a template, sorted (for the tables' test). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

interface Localized {
  label: string;
  description: string;
  label_zh?: string;
  description_zh?: string;
}

export function choiceLabel(c: Localized, lang: Lang = locale.lang): string {
  return (lang === 'zh' && c.label_zh) || c.label;
}

/** The label of the choice called `name` in `list`, in `lang`; the name itself when the list has no such choice. */
export function labelIn(list: readonly (Localized & { name: string })[], name: unknown, lang: Lang = locale.lang): string {
  const c = list.find((x) => x.name === name);
  return c ? choiceLabel(c, lang) : String(name);
}

export function choiceDescription(c: Localized, lang: Lang = locale.lang): string {
  return (lang === 'zh' && c.description_zh) || c.description;
}
