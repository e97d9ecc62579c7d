package store

import (
	"context"

	"dibao/internal/money"
	"dibao/internal/region"
)

// County statistics (issue 4 dashboard): aggregates computed in SQL over
// the register, the rosters and the cases, always limited to a region
// scope. Medians and labels are the stats package's business.

// CategoryCount is the active recipients of one category and urban/rural
// class.
type CategoryCount struct {
	Category   string
	Urban      bool
	Households int
	Persons    int
	Amount     money.Fen // monthly total
}

// RecipientsByCategory counts the active recipients within scope by
// category and urban/rural, by category then rural before urban.
func (db *DB) RecipientsByCategory(ctx context.Context, scope region.Scope) ([]CategoryCount, error) {
	return collect(ctx, db, db.r, "读取统计数据失败", `SELECT r.category, h.urban, COUNT(*), COALESCE(SUM(r.members), 0),
		COALESCE(SUM(r.amount_fen), 0) FROM recipients r JOIN households h ON h.id = r.household_id
		WHERE r.status = 'active' AND r.region_code >= ? AND r.region_code < ?
		GROUP BY r.category, h.urban ORDER BY r.category, h.urban`, []any{string(scope.Lo), string(scope.Hi)},
		func(s scanner) (CategoryCount, error) {
			var c CategoryCount
			var urban, amt int64
			err := s.Scan(&c.Category, &urban, &c.Households, &c.Persons, &amt)
			c.Urban, c.Amount = urban == 1, money.Fen(amt)
			return c, err
		})
}

// TownshipCount is the active recipients of one township.
type TownshipCount struct {
	Township   region.Code
	Households int
	Urban      int // households in urban areas
	Persons    int
	Amount     money.Fen // monthly total
}

// RecipientsByTownship counts the active recipients within scope by
// township, in code order.
func (db *DB) RecipientsByTownship(ctx context.Context, scope region.Scope) ([]TownshipCount, error) {
	return collect(ctx, db, db.r, "读取统计数据失败", `SELECT SUBSTR(r.region_code, 1, 9), COUNT(*), COALESCE(SUM(h.urban), 0),
		COALESCE(SUM(r.members), 0), COALESCE(SUM(r.amount_fen), 0) FROM recipients r JOIN households h ON h.id = r.household_id
		WHERE r.status = 'active' AND r.region_code >= ? AND r.region_code < ?
		GROUP BY SUBSTR(r.region_code, 1, 9) ORDER BY SUBSTR(r.region_code, 1, 9)`, []any{string(scope.Lo), string(scope.Hi)},
		func(s scanner) (TownshipCount, error) {
			var c TownshipCount
			var prefix string
			var amt int64
			err := s.Scan(&prefix, &c.Households, &c.Urban, &c.Persons, &amt)
			c.Township, c.Amount = region.Code(prefix+"000"), money.Fen(amt)
			return c, err
		})
}

// SupplementCount is the active recipient households paid a category
// supplement (分类施保) of one code, read from the benefit decision in force.
type SupplementCount struct {
	Code       string
	Households int
}

// RecipientsBySupplement counts the active recipients within scope by the
// supplement codes of their benefit decision in force (the last decision's,
// else the approving case's), by code.
func (db *DB) RecipientsBySupplement(ctx context.Context, scope region.Scope) ([]SupplementCount, error) {
	src := `COALESCE(NULLIF(r.benefit, ''), NULLIF(c.benefit, ''), '')`
	// Only the list itself is parsed, not the whole decision with its
	// explanation: Go writes a non-empty list once, at the top level, as
	// "Categories":["code",…] (an empty one as null), and codes hold no "]".
	var q string
	if db.dialect == Postgres {
		q = `SELECT j.code, COUNT(DISTINCT r.household_id) FROM recipients r LEFT JOIN cases c ON c.id = r.case_id
			CROSS JOIN LATERAL jsonb_array_elements_text(substring(` + src + ` from '"Categories":(\[[^]]*\])')::jsonb) AS j(code)`
	} else {
		at := `instr(` + src + `, '"Categories":[') + 13`
		q = `SELECT j.value, COUNT(DISTINCT r.household_id) FROM recipients r LEFT JOIN cases c ON c.id = r.case_id,
			json_each(substr(` + src + `, ` + at + `, instr(substr(` + src + `, ` + at + `), ']'))) AS j`
	}
	q += ` WHERE r.status = 'active' AND r.region_code >= ? AND r.region_code < ?
		AND ` + src + ` LIKE '%"Categories":["%' GROUP BY 1 ORDER BY 1`
	return collect(ctx, db, db.r, "读取统计数据失败", q, []any{string(scope.Lo), string(scope.Hi)},
		func(s scanner) (SupplementCount, error) {
			var c SupplementCount
			return c, s.Scan(&c.Code, &c.Households)
		})
}

// MonthTotal is what the rosters paid within scope in one month.
type MonthTotal struct {
	Month      string // YYYY-MM
	Households int
	Amount     money.Fen
}

// RosterTotals sums the roster rows within scope by month (every roster,
// draft or approved), oldest first.
func (db *DB) RosterTotals(ctx context.Context, scope region.Scope) ([]MonthTotal, error) {
	return collect(ctx, db, db.r, "读取统计数据失败", `SELECT ro.month, COUNT(*), COALESCE(SUM(x.amount_fen), 0)
		FROM roster_rows x JOIN rosters ro ON ro.id = x.roster_id
		WHERE x.region_code >= ? AND x.region_code < ? GROUP BY ro.month ORDER BY ro.month`,
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (MonthTotal, error) {
			var m MonthTotal
			var amt int64
			err := s.Scan(&m.Month, &m.Households, &amt)
			m.Amount = money.Fen(amt)
			return m, err
		})
}

// StateCount is the cases of one workflow profile and state.
type StateCount struct {
	Profile string
	State   string
	Closed  bool
	Cases   int
}

// CasesByState counts the cases within scope by profile and state.
func (db *DB) CasesByState(ctx context.Context, scope region.Scope) ([]StateCount, error) {
	return collect(ctx, db, db.r, "读取统计数据失败", `SELECT profile, state, closed, COUNT(*) FROM cases
		WHERE region_code >= ? AND region_code < ? GROUP BY profile, state, closed ORDER BY profile, state`,
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (StateCount, error) {
			var c StateCount
			var closed int64
			err := s.Scan(&c.Profile, &c.State, &closed, &c.Cases)
			c.Closed = closed == 1
			return c, err
		})
}

// OpenCaseDeadlines returns the open cases within scope with only the
// fields the deadline rule (casework.Urgency) reads: id, region, profile,
// state, step and total due dates.
func (db *DB) OpenCaseDeadlines(ctx context.Context, scope region.Scope) ([]Case, error) {
	return collect(ctx, db, db.r, "读取统计数据失败", `SELECT id, region_code, profile, state, due_date, total_due FROM cases
		WHERE closed = 0 AND region_code >= ? AND region_code < ? ORDER BY id`,
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (Case, error) {
			var c Case
			var rc string
			err := s.Scan(&c.ID, &rc, &c.Profile, &c.State, &c.DueDate, &c.TotalDue)
			c.Region = region.Code(rc)
			return c, err
		})
}

// StageDuration is how long one case stayed in one state: from the event
// that entered it to the next event of the case, in milliseconds.
type StageDuration struct {
	Profile string
	State   string
	Millis  int64
}

// StageDurations returns every completed stay of a case within scope in a
// state (a state the case has since left), by profile and state. The
// current state of a case is not included: its stay has not ended.
func (db *DB) StageDurations(ctx context.Context, scope region.Scope) ([]StageDuration, error) {
	return collect(ctx, db, db.r, "读取统计数据失败", `SELECT profile, to_state, nxt - at FROM (
			SELECT c.profile, e.to_state, e.at, LEAD(e.at) OVER (PARTITION BY e.case_id ORDER BY e.seq) AS nxt
			FROM case_events e JOIN cases c ON c.id = e.case_id
			WHERE c.region_code >= ? AND c.region_code < ?) s
		WHERE nxt IS NOT NULL ORDER BY profile, to_state, nxt - at`,
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (StageDuration, error) {
			var d StageDuration
			return d, s.Scan(&d.Profile, &d.State, &d.Millis)
		})
}
