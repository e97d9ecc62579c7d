// Package holidays keeps the official holiday schedule in the database and
// builds the working-day calendar from it, so a new year's State Council
// notice can be entered without a new release.
package holidays

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/store"
)

// Calendar builds the working-day calendar: lunar-go's statutory data plus
// every override stored in the database.
func Calendar(ctx context.Context, db *store.DB) (*calendar.Calendar, error) {
	rows, err := db.CalendarOverrides(ctx)
	if err != nil {
		return nil, err
	}
	// The calendar built from the same overrides is reused (store.DB.Memo,
	// the overrides themselves are the token): building it is most of the
	// cost, reading a few dozen rows is not.
	var token strings.Builder
	for _, r := range rows {
		token.WriteString(r.Day)
		if r.Working {
			token.WriteString("+")
		}
		token.WriteString(r.Name)
		token.WriteString("\n")
	}
	if c, ok := db.Memo("holidays.calendar", token.String()); ok {
		return c.(*calendar.Calendar), nil
	}
	ovs := make([]calendar.Override, 0, len(rows))
	for _, r := range rows {
		d, err := time.ParseInLocation(time.DateOnly, r.Day, calendar.Location())
		if err != nil {
			return nil, fmt.Errorf("calendar override %q: %w", r.Day, err)
		}
		ovs = append(ovs, calendar.Override{Date: d, Working: r.Working, Name: r.Name})
	}
	c := calendar.New(ovs)
	db.SetMemo("holidays.calendar", token.String(), c)
	return c, nil
}

// Overrides returns the stored schedule in the paste format.
func Overrides(ctx context.Context, db *store.DB) (string, error) {
	c, err := db.CalendarOverrides(ctx)
	if err != nil {
		return "", err
	}
	ovs := make([]calendar.Override, len(c))
	for i, r := range c {
		d, _ := time.ParseInLocation(time.DateOnly, r.Day, calendar.Location())
		ovs[i] = calendar.Override{Date: d, Working: r.Working, Name: r.Name}
	}
	return calendar.FormatSchedule(ovs), nil
}

// Import parses a pasted schedule (see calendar.ParseSchedule) and stores
// every line in one audited transaction; a bad line stores nothing. It
// needs the system-configuration permission.
func Import(ctx context.Context, db *store.DB, p authz.Principal, text string) (int, error) {
	if err := p.Require(authz.SystemConfig); err != nil {
		return 0, err
	}
	ovs, err := calendar.ParseSchedule(text)
	if err != nil {
		return 0, err
	}
	first, last := ovs[0].Date, ovs[0].Date
	err = db.InTx(ctx, p, func(tx *store.Tx) error {
		for _, o := range ovs {
			if o.Date.Before(first) {
				first = o.Date
			}
			if o.Date.After(last) {
				last = o.Date
			}
			if err := tx.PutCalendarOverride(ctx, store.CalendarOverride{Day: o.Date.Format(time.DateOnly),
				Working: o.Working, Name: o.Name}); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "calendar.import", Object: "calendar",
			Detail: fmt.Sprintf("%d days %s..%s", len(ovs), first.Format(time.DateOnly), last.Format(time.DateOnly))})
	})
	if err != nil {
		return 0, err
	}
	return len(ovs), nil
}
