package upgrade3xui

import (
	"fmt"
	"sort"
	"strings"
)

// Text is the human-readable report (stdout and the report file).
func (r *Report) Text() string {
	var b strings.Builder
	title := "3x-ui upgrade report"
	if r.DryRun {
		title += " (dry run: nothing was changed)"
	}
	fmt.Fprintf(&b, "%s\n%s\n", title, strings.Repeat("=", len(title)))
	fmt.Fprintf(&b, "Database: %s\nTime:     %s\n", r.Path, r.Time.Format("2006-01-02 15:04:05 UTC"))
	switch {
	case r.DryRun:
		fmt.Fprintf(&b, "Backup:   would copy the original to %s\n", r.Backup)
	case r.Changed:
		fmt.Fprintf(&b, "Backup:   the original is kept at %s\n", r.Backup)
	default:
		fmt.Fprintf(&b, "Status:   already upgraded, nothing changed (original kept at %s)\n", r.Backup)
	}

	tables := make([]string, 0, len(r.Rows))
	var total int64
	for t, n := range r.Rows {
		tables = append(tables, t)
		total += n
	}
	sort.Strings(tables)
	fmt.Fprintf(&b, "\nCarried over: %d rows in %d tables, kept as they are\n", total, len(tables))
	for _, t := range tables {
		fmt.Fprintf(&b, "  %-22s %d rows\n", t, r.Rows[t])
	}
	if len(r.TrafficReset) > 0 {
		var parts []string
		for _, k := range []string{"never", "daily", "weekly", "monthly"} {
			if n := r.TrafficReset[k]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, n))
			}
		}
		fmt.Fprintf(&b, "  inbound periodic traffic reset carried over: %s\n", strings.Join(parts, ", "))
	}
	section(&b, "Shared settings kept under the same key", r.Shared)
	section(&b, "Moved to x-ui.json (panel settings of this node)", r.Moved)
	section(&b, "Kept x-ui.json's own value", r.Kept)
	section(&b, "Converted", r.Converted)
	section(&b, "Ignored (rows stay in the database)", r.Ignored)
	fmt.Fprintf(&b, "\nSummary: carried over %d rows, %d shared settings groups, moved %d, converted %d, ignored %d\n",
		total, len(r.Shared), len(r.Moved), len(r.Converted), len(r.Ignored))
	if !r.DryRun {
		fmt.Fprintf(&b, "Roll back: stop x-ui, delete %s-wal and %s-shm, copy %s over %s, start 3x-ui again.\n",
			r.Path, r.Path, r.Backup, r.Path)
	}
	return b.String()
}

func section(b *strings.Builder, title string, items []Item) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s (%d):\n", title, len(items))
	for _, it := range items {
		fmt.Fprintf(b, "  %-32s %s\n", it.What, it.Detail)
	}
}
