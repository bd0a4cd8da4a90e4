// Preferences of this browser: theme, motion, recent reactions, drafts.
import { reactive, watch } from 'vue';

const KEY = 'mkrs:prefs';
type Theme = 'auto' | 'light' | 'dark';

function load() {
  try { return JSON.parse(localStorage.getItem(KEY) ?? '{}'); } catch { return {}; }
}

export const prefs = reactive({
  theme: 'auto' as Theme,
  reduceMotion: matchMedia('(prefers-reduced-motion: reduce)').matches,
  recentReactions: ['👍', '❤️', '😆', '🤔', '😮', '🎉', '💢', '😥', '😇', '🍮'] as string[],
  ...load(),
});

watch(prefs, () => localStorage.setItem(KEY, JSON.stringify(prefs)), { deep: true });

export function applyTheme() {
  const dark = prefs.theme === 'dark' || (prefs.theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}
watch(() => prefs.theme, applyTheme);
matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', applyTheme);

export function rememberReaction(r: string) {
  prefs.recentReactions = [r, ...prefs.recentReactions.filter((x) => x !== r)].slice(0, 16);
}

/** A draft kept in this browser per compose context (new note, a reply, a quote). */
export function draft(key: string) {
  const k = `mkrs:draft:${key}`;
  return {
    get(): { text: string; cw: string | null } | null {
      try { return JSON.parse(localStorage.getItem(k) ?? 'null'); } catch { return null; }
    },
    set(v: { text: string; cw: string | null }) {
      if (v.text || v.cw) localStorage.setItem(k, JSON.stringify(v)); else localStorage.removeItem(k);
    },
    clear() { localStorage.removeItem(k); },
  };
}
