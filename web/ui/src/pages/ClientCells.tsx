// Cells of the clients table. A page shows up to 200 rows, and an antd
// Switch, Progress, Badge, Button or Popconfirm per cell costs a style hook,
// a wave effect and a trigger each: at 50 rows they were most of a page
// change. These are plain elements styled by clients.css with antd's CSS
// variables, so both themes follow the ConfigProvider; the one heavy
// component, the delete confirmation, is mounted only when it is opened.
import { createContext, memo, useContext, useState, type ReactNode } from 'react'
import { Popconfirm } from 'antd'
import { formatBytes, formatPercent, usagePercent } from '../lib/format'
import './clients.css'

// The stateless cells are functions returning elements, called from the
// column's render rather than mounted as components: no fiber of their own.
export function enableSwitch({ on, disabled, label, onToggle }: { on: boolean; disabled: boolean; label: string; onToggle: (on: boolean) => void }) {
  return <button type="button" role="switch" aria-checked={on} aria-label={label} disabled={disabled}
    className={`xui-switch client-enable${on ? ' on' : ''}`} onClick={() => onToggle(!on)} />
}

export function onlineDot({ on, label }: { on: boolean; label: string }) {
  return <span className={`xui-dot${on ? ' on' : ''}`} role="img" aria-label={label} title={label} />
}

// Usage shows used / quota and, with a quota, a bar with its percentage.
export function usage({ used, total }: { used: number; total: number }) {
  const pct = usagePercent(used, total)
  return (
    <div className="xui-usage">
      {formatBytes(used)} / {total ? formatBytes(total) : '∞'}
      {total > 0 && (
        <div className="xui-bar" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
          <span className="xui-bar-track"><span className={`xui-bar-fill${pct >= 100 ? ' full' : ''}`} style={{ width: `${pct}%` }} /></span>
          <span className="xui-bar-text">{formatPercent(pct)}</span>
        </div>
      )}
    </div>
  )
}

type ActProps = { className?: string; danger?: boolean; disabled?: boolean; onClick?: () => void; children: ReactNode }
export function act({ className = '', danger, disabled, onClick, children }: ActProps) {
  return <button type="button" className={`xui-act${danger ? ' danger' : ''} ${className}`} disabled={disabled} onClick={onClick}>{children}</button>
}

// ConfirmAct is a button whose Popconfirm exists only while it is open.
export function ConfirmAct({ title, onConfirm, ...b }: { title: string; onConfirm: () => void } & ActProps) {
  const [open, setOpen] = useState(false)
  const btn = act({ ...b, onClick: () => setOpen(true) })
  if (!open) return btn
  return (
    <Popconfirm open title={title} onOpenChange={(o) => { if (!o) setOpen(false) }} onCancel={() => setOpen(false)}
      onConfirm={() => { setOpen(false); onConfirm() }}>
      <span className="xui-act-wrap">{btn}</span>
    </Popconfirm>
  )
}

export const Actions = memo(function Actions({ email, ro, canWrite, canReset, labels, onEdit, onShare, onReset, onDelete }: {
  email: string; ro: boolean; canWrite: boolean; canReset: boolean; labels: { edit: string; share: string; reset: string; del: string; confirm: (email: string) => string }
  onEdit: (email: string) => void; onShare: (email: string) => void; onReset: (email: string) => void; onDelete: (email: string) => void
}) {
  return (
    <span className="xui-acts">
      {canWrite && act({ className: 'client-edit', disabled: ro, onClick: () => onEdit(email), children: labels.edit })}
      {act({ className: 'client-share', onClick: () => onShare(email), children: labels.share })}
      {canReset && act({ className: 'client-reset', disabled: ro, onClick: () => onReset(email), children: labels.reset })}
      {canWrite && <ConfirmAct className="client-delete" danger disabled={ro} title={labels.confirm(email)} onConfirm={() => onDelete(email)}>{labels.del}</ConfirmAct>}
    </span>
  )
})

// Selection is read by the checkboxes alone, through context: selecting a
// row re-renders 50 checkboxes, not 50 rows. antd's rowSelection put an
// antd Checkbox in every row, a fifth of a page change.
export const SelectionCtx = createContext<{ selected: ReadonlySet<string>; toggle: (email: string, on: boolean) => void; all: (on: boolean) => void; page: readonly string[] }>(
  { selected: new Set(), toggle: () => {}, all: () => {}, page: [] })

export function RowCheck({ email }: { email: string }) {
  const { selected, toggle } = useContext(SelectionCtx)
  const on = selected.has(email)
  return <input type="checkbox" className="xui-check client-select" aria-label={email} checked={on} onChange={() => toggle(email, !on)} />
}

export function PageCheck({ label }: { label: string }) {
  const { selected, all, page } = useContext(SelectionCtx)
  const n = page.filter((e) => selected.has(e)).length
  return <input type="checkbox" className="xui-check client-select-all" aria-label={label} checked={n > 0 && n === page.length}
    ref={(el) => { if (el) el.indeterminate = n > 0 && n < page.length }} onChange={() => all(n < page.length)} />
}
