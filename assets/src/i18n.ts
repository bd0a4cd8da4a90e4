// Strings of the UI in Japanese, English and Traditional Chinese. The user's choice is kept in
// the browser; without one, the browser's language, then the instance's default.
import { reactive } from 'vue';
import en from './locales/en.json';

export const languages = { ja: '日本語', en: 'English', 'zh-TW': '繁體中文' } as const;
export type Lang = keyof typeof languages;
type Dict = Record<string, string>;

const loaders: Record<Lang, () => Promise<Dict>> = {
  en: async () => en,
  ja: async () => (await import('./locales/ja.json')).default,
  'zh-TW': async () => (await import('./locales/zh-TW.json')).default,
};

const KEY = 'mkrs:lang';
const i18n = reactive({ lang: 'en' as Lang, dict: en as Dict });

/** Picks a supported language for a BCP 47 tag (`ja-JP` → ja, `zh-Hant` → zh-TW). */
export function pick(tag: string | null | undefined): Lang | null {
  if (!tag) return null;
  const t = tag.toLowerCase();
  if (t.startsWith('ja')) return 'ja';
  if (t === 'zh-tw' || t === 'zh-hk' || t.startsWith('zh-hant')) return 'zh-TW';
  if (t.startsWith('en')) return 'en';
  return null;
}

export async function setLang(lang: Lang, remember = true) {
  i18n.dict = await loaders[lang]();
  i18n.lang = lang;
  document.documentElement.lang = lang;
  if (remember) localStorage.setItem(KEY, lang);
}

export async function initLang(instanceDefault?: string | null) {
  const chosen = pick(localStorage.getItem(KEY)) ?? navigator.languages.map(pick).find((l) => l) ?? pick(instanceDefault) ?? 'en';
  await setLang(chosen, false);
}

export function lang(): Lang {
  return i18n.lang;
}

/** The string for a key, with `{name}` placeholders filled. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const s = i18n.dict[key] ?? (en as Dict)[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? `{${k}}`));
}
