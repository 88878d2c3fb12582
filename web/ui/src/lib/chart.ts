import { formatBytes, formatClock, formatHourMinute } from './format'

// gaugeColor is a usage gauge's color scale: green, then gold from 60 %,
// orange from 80 %, red from 90 % (a full CPU is a warning, not a ✓).
export function gaugeColor(pct: number): string {
  if (pct >= 90) return '#cf1322'
  if (pct >= 80) return '#d46b08'
  if (pct >= 60) return '#d4b106'
  return '#389e0d'
}

// Tick steps of the time axis in seconds: whole seconds and minutes only
// (uPlot's own list goes down to milliseconds on a short window).
export const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]

// timeLabel formats a tick (unix seconds) in the UI language's digits:
// HH:MM:SS below a minute step, HH:MM above.
export function timeLabel(sec: number, incr: number): string {
  return incr < 60 ? formatClock(sec * 1000) : formatHourMinute(sec * 1000)
}

export function axisBytes(v: number): string { return v > 0 ? formatBytes(v) : '0' }
