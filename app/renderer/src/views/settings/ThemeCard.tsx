// Settings › Appearance: system / light / dark (kept in localStorage).
import { useState } from 'react';
import { setThemePref, themePref, type ThemePref } from '../../lib/theme.js';

const CHOICES: { value: ThemePref; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function ThemeCard() {
  const [pref, setPref] = useState<ThemePref>(themePref);
  const choose = (p: ThemePref) => {
    setThemePref(p);
    setPref(p);
  };
  return (
    <div className="card">
      <h3 className="section-title">Appearance</h3>
      <div className="segmented" role="radiogroup" aria-label="Theme">
        {CHOICES.map((c) => (
          <button
            key={c.value}
            role="radio"
            aria-checked={pref === c.value}
            className={pref === c.value ? 'on' : ''}
            onClick={() => choose(c.value)}
          >
            {c.label}
          </button>
        ))}
      </div>
      <p className="small muted">System follows your desktop's light or dark setting.</p>
    </div>
  );
}
