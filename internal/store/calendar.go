package store

import (
	"context"
)

// CalendarOverride is one entry of an official holiday schedule.
type CalendarOverride struct {
	Day     string // YYYY-MM-DD
	Working bool
	Name    string
}

// PutCalendarOverride inserts or replaces an override.
func (tx *Tx) PutCalendarOverride(ctx context.Context, o CalendarOverride) error {
	_, err := tx.exec(ctx, `INSERT INTO calendar_overrides (day, working, name) VALUES (?, ?, ?)
		ON CONFLICT (day) DO UPDATE SET working = excluded.working, name = excluded.name`, o.Day, boolInt(o.Working), o.Name)
	return mapErr(err, "保存节假日安排失败")
}

// CalendarOverrides returns every override in date order.
func (db *DB) CalendarOverrides(ctx context.Context) ([]CalendarOverride, error) {
	rows, err := db.query(ctx, "SELECT day, working, name FROM calendar_overrides ORDER BY day")
	if err != nil {
		return nil, mapErr(err, "读取节假日安排失败")
	}
	defer rows.Close()
	var out []CalendarOverride
	for rows.Next() {
		var o CalendarOverride
		var w int64
		if err := rows.Scan(&o.Day, &w, &o.Name); err != nil {
			return nil, mapErr(err, "读取节假日安排失败")
		}
		o.Working = w == 1
		out = append(out, o)
	}
	return out, mapErr(rows.Err(), "读取节假日安排失败")
}
