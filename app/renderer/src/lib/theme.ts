// Light / dark theme: the user's choice (system, light or dark) lives in
// localStorage; "system" follows prefers-color-scheme live. The resolved
// theme is set as <html data-theme="light|dark">, which styles.css keys on.
// In web mode an explicit choice is mirrored into a cookie, so the server
// paints the first page in it (before this runs, styles.css follows the
// system).
import { THEME_COOKIE } from '../../../shared/ipc.js';
export type ThemePref = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const KEY = 'wharf.theme';
const listeners = new Set<(t: Theme) => void>();
let started = false;

function systemDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export function themePref(): ThemePref {
  let v: string | null = null;
  try {
    v = localStorage.getItem(KEY);
  } catch {
    v = null;
  }
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function resolvedTheme(pref: ThemePref = themePref()): Theme {
  return pref === 'system' ? (systemDark() ? 'dark' : 'light') : pref;
}

function apply(): void {
  const t = resolvedTheme();
  if (document.documentElement.dataset.theme === t) return;
  document.documentElement.dataset.theme = t;
  for (const l of listeners) l(t);
}

function mirrorToCookie(pref: ThemePref): void {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return; // Electron: no server
  document.cookie =
    pref === 'system'
      ? `${THEME_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0`
      : `${THEME_COOKIE}=${pref}; Path=/; SameSite=Strict; Max-Age=31536000`;
}

export function setThemePref(pref: ThemePref): void {
  try {
    if (pref === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, pref);
  } catch {
    // Storage unavailable: the choice lasts for this page only.
  }
  mirrorToCookie(pref);
  apply();
}

/** Applies the stored choice and follows system changes; call once at startup. */
export function initTheme(): void {
  apply();
  if (started) return;
  mirrorToCookie(themePref());
  started = true;
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', apply);
  // Another window of the app changed the choice.
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) apply();
  });
}

export function onThemeChange(cb: (t: Theme) => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}
