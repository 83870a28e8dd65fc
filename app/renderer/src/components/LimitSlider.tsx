// A resource-limit slider with a number box: the slider snaps to stops, the
// box takes any value (in the given unit). Shows the engine default.
import { useEffect, useState } from 'react';
import { nearestStop, type Scale } from '../lib/limits.js';

export interface LimitSliderProps {
  id: string;
  label: string;
  scale: Scale;
  value: number;
  onChange: (v: number) => void;
  /** Display unit: value / unitSize shown in the number box. */
  unit: string;
  unitSize: number;
  hint?: string;
  error?: string;
  max?: number;
}

function fmt(v: number, unitSize: number): string {
  const n = v / unitSize;
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

export function LimitSlider(p: LimitSliderProps) {
  const idx = nearestStop(p.scale, p.value);
  const [text, setText] = useState(p.value === p.scale.unset ? '' : fmt(p.value, p.unitSize));
  useEffect(() => {
    setText(p.value === p.scale.unset ? '' : fmt(p.value, p.unitSize));
  }, [p.value, p.scale.unset, p.unitSize]);
  const label = p.value === p.scale.unset ? p.scale.unsetLabel : `${fmt(p.value, p.unitSize)} ${p.unit}`;
  return (
    <div className={`limit${p.error ? ' has-error' : ''}`} data-limit={p.id}>
      <div className="limit-head">
        <label htmlFor={`${p.id}-range`}>{p.label}</label>
        <span className="limit-value" data-testid={`${p.id}-value`}>
          {label}
        </span>
      </div>
      <div className="limit-row">
        <input
          id={`${p.id}-range`}
          type="range"
          min={0}
          max={p.scale.stops.length - 1}
          step={1}
          value={idx}
          aria-valuetext={label}
          onChange={(e) => p.onChange(p.scale.stops[Number(e.target.value)] ?? p.scale.unset)}
        />
        <div className="limit-box">
          <input
            id={`${p.id}-number`}
            type="number"
            min={0}
            step="any"
            placeholder="—"
            aria-label={`${p.label} (${p.unit})`}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              const n = Number(e.target.value);
              if (e.target.value === '') p.onChange(p.scale.unset);
              else if (Number.isFinite(n) && n >= 0) p.onChange(Math.round(n * p.unitSize));
            }}
          />
          <span className="unit">{p.unit}</span>
        </div>
      </div>
      <div className="limit-foot">
        {p.error ? <span className="field-error">{p.error}</span> : <span className="muted">{p.hint}</span>}
      </div>
    </div>
  );
}
