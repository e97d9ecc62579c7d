package policy

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Messages shown to the user; exported so that callers and tests can match
// them without copying the text.
const (
	MsgBackdated    = "生效日期不能早于今天，已作出的决定不受影响"
	MsgRegionLevel  = "政策参数只能按县（区）或乡镇（街道）设置"
	MsgNoPermission = "只有县级业务管理员可以修改政策参数"
	MsgSystemOnly   = "「%s」属于系统参数，只能由系统管理员修改"
	MsgCountyOnly   = "「%s」只能由县（区）统一设置，不能按乡镇（街道）单独设置"
	MsgNoteRequired = "更正已生效的参数须填写更正原因"
)

// maxYearsAhead bounds how far ahead a version may be scheduled: further
// is a typo of the year, not a plan.
const maxYearsAhead = 5

// chain is the county and township a region resolves through.
func chain(r region.Code) []region.Code {
	return []region.Code{r.County(), r.Township()}
}

func toRows(in []store.PolicyValueRow) []Row {
	out := make([]Row, len(in))
	for i, r := range in {
		out[i] = Row{ID: r.ID, Region: r.Region, Name: r.Name, Value: r.Value, EffectiveFrom: r.EffectiveFrom}
	}
	return out
}

func checkRegion(r region.Code) error {
	if _, err := region.Parse(string(r)); err != nil {
		return errs.New(errs.Invalid, "region_code", errs.As(err).Message)
	}
	return nil
}

// Resolve returns the parameters in force for region r (a county, township
// or village) on the civil date of on in Asia/Shanghai.
func Resolve(ctx context.Context, db *store.DB, r region.Code, on time.Time) (Set, error) {
	sets, err := ResolveOn(ctx, db, r, on)
	if err != nil {
		return Set{}, err
	}
	return sets[0], nil
}

// ResolveOn is Resolve for several days at once (one check of the memo's
// token for all of them).
func ResolveOn(ctx context.Context, db *store.DB, r region.Code, days ...time.Time) ([]Set, error) {
	if err := checkRegion(r); err != nil {
		return nil, err
	}
	// The resolved set is remembered per region and day while no version
	// has been added since (store.DB.Memo): transitions resolve two each,
	// and re-reading and re-parsing every version was a fifth of one.
	gen, err := db.PolicyGeneration(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Set, len(days))
	var rows []Row
	for i, on := range days {
		key := "policy.set:" + string(r) + ":" + DateOf(on)
		if v, ok := db.Memo(key, gen); ok {
			out[i] = v.(Set)
			continue
		}
		if rows == nil {
			stored, err := db.PolicyValues(ctx, chain(r))
			if err != nil {
				return nil, err
			}
			rows = toRows(stored)
		}
		if out[i], err = ResolveRows(r, on, rows); err != nil {
			return nil, err
		}
		db.SetMemo(key, gen, out[i])
	}
	return out, nil
}

// Table holds every version of one county, so batch work (a roster, a
// standard change over every household) resolves many regions and dates
// with one read.
type Table struct {
	county region.Code
	rows   []Row
}

// Load reads every version of the county that r belongs to.
func Load(ctx context.Context, db *store.DB, r region.Code) (Table, error) {
	if err := checkRegion(r); err != nil {
		return Table{}, err
	}
	rows, err := db.PolicyValuesWithin(ctx, region.ScopeOf(r.County()))
	if err != nil {
		return Table{}, err
	}
	return Table{county: r.County(), rows: toRows(rows)}, nil
}

// Resolve resolves r on the date of on from the loaded versions; r must lie
// in the loaded county, or its overrides would silently be missing.
func (t Table) Resolve(r region.Code, on time.Time) (Set, error) {
	if t.county == "" || r.County() != t.county {
		return Set{}, errs.New(errs.Invalid, "region_code", "该地区不属于已读取参数的县（区）")
	}
	return ResolveRows(r, on, t.rows)
}

// StandardPair is the allowance standards of a region on a date, each with
// the version that supplied it.
type StandardPair struct {
	Urban, Rural               money.Fen
	UrbanVersion, RuralVersion string
}

// Standards returns the urban and rural allowance standards in force for r
// on the date of on.
func Standards(ctx context.Context, db *store.DB, r region.Code, on time.Time) (StandardPair, error) {
	s, err := Resolve(ctx, db, r, on)
	if err != nil {
		return StandardPair{}, err
	}
	return StandardPair{Urban: s.Money(StandardUrban), Rural: s.Money(StandardRural),
		UrbanVersion: s.Version(StandardUrban), RuralVersion: s.Version(StandardRural)}, nil
}

// authorize applies who may set what: system parameters are the system
// administrator's, every other group the county administrator's (within
// scope, which the store enforces), and only at a level the parameter
// allows.
// CanSet says why p may not set d at region r (or nil): pages and the API
// ask it to offer the form only to those SetValue will accept.
func CanSet(p authz.Principal, d Def, r region.Code) error { return authorize(p, &d, r) }

// Viewers are the roles that may read the policy parameters.
var Viewers = []authz.Role{authz.CountyAdmin, authz.SystemAdmin, authz.CountyApprover}

// CanView reports whether p may read the policy parameters.
func CanView(p authz.Principal) bool {
	for _, r := range Viewers {
		if p.Has(r) {
			return true
		}
	}
	return false
}

func authorize(p authz.Principal, d *Def, r region.Code) error {
	if d.Group == GroupSystem {
		if !p.Has(authz.SystemAdmin) {
			return errs.New(errs.Forbidden, "", fmt.Sprintf(MsgSystemOnly, d.Label))
		}
	} else if !p.Has(authz.CountyAdmin) {
		return errs.New(errs.Forbidden, "", MsgNoPermission)
	}
	l := r.Level()
	if l != region.County && l != region.Township {
		return errs.New(errs.Invalid, "region_code", MsgRegionLevel)
	}
	if !d.Overridable(l) {
		return errs.New(errs.Invalid, "region_code", fmt.Sprintf(MsgCountyOnly, d.Label))
	}
	return nil
}

// checkTogether resolves every region and date the new version can reach
// and applies Set.Check, so that e.g. total_wd never ends up above
// total_wd_extended anywhere, now or when a scheduled version takes over.
func checkTogether(rows []Row, add Row) error {
	add.ID = math.MaxInt64 // it will get a higher id than every stored row
	all := append(slices.Clone(rows), add)
	regions := []region.Code{add.Region}
	dates := []string{add.EffectiveFrom}
	for _, r := range rows {
		if add.Region.Level() == region.County && r.Region.Level() == region.Township && !slices.Contains(regions, r.Region) {
			regions = append(regions, r.Region)
		}
		if r.EffectiveFrom > add.EffectiveFrom && !slices.Contains(dates, r.EffectiveFrom) {
			dates = append(dates, r.EffectiveFrom)
		}
	}
	for _, rc := range regions {
		for _, d := range dates {
			on, _ := ParseDate(d)
			s, err := ResolveRows(rc, on, all)
			if err != nil {
				return err
			}
			if err := s.Check(); err != nil {
				if rc != add.Region || d != add.EffectiveFrom {
					e := errs.As(err)
					return errs.Invalidf(e.Field, "%s（%s 起适用于 %s）", e.Message, d, rc)
				}
				return err
			}
		}
	}
	return nil
}

// SetValue records a new version of name for region r (a county, or a
// township where the parameter may be delegated) from effectiveFrom
// ('YYYY-MM-DD', today or later: history is never rewritten). A second
// value for a date already scheduled corrects it before it takes effect.
// The change is audited as policy.set.
func SetValue(ctx context.Context, db *store.DB, p authz.Principal, r region.Code, name, raw, effectiveFrom, note string) error {
	d, ok := registry[name]
	if !ok {
		return errs.Invalidf("name", "未知的政策参数：%s", name)
	}
	if err := checkRegion(r); err != nil {
		return err
	}
	if err := authorize(p, d, r); err != nil {
		return err
	}
	return db.InTx(ctx, p, func(tx *store.Tx) error {
		return SetValueIn(ctx, tx, db.Now(), r, name, raw, effectiveFrom, note)
	})
}

// SetValueIn records a new version like SetValue inside the caller's
// transaction, for a change that sets parameters along with other writes
// (a confirmed standard change records its standards with it). It checks
// everything SetValue checks except who may set the parameter: the caller
// has authorised the change by its own rule. now is the clock that bounds
// the effective date.
func SetValueIn(ctx context.Context, tx *store.Tx, now time.Time, r region.Code, name, raw, effectiveFrom, note string) error {
	d, ok := registry[name]
	if !ok {
		return errs.Invalidf("name", "未知的政策参数：%s", name)
	}
	if err := checkRegion(r); err != nil {
		return err
	}
	l := r.Level()
	if l != region.County && l != region.Township {
		return errs.New(errs.Invalid, "region_code", MsgRegionLevel)
	}
	if !d.Overridable(l) {
		return errs.New(errs.Invalid, "region_code", fmt.Sprintf(MsgCountyOnly, d.Label))
	}
	v, err := d.parse(raw, true)
	if err != nil {
		return err
	}
	from, err := ParseDate(effectiveFrom)
	if err != nil {
		return err
	}
	date := DateOf(from)
	today := DateOf(now)
	if date < today {
		return errs.New(errs.Invalid, "effective_from", MsgBackdated)
	}
	if limit := DateOf(now.AddDate(maxYearsAhead, 0, 0)); date > limit {
		return errs.Invalidf("effective_from", "生效日期不能晚于 %s", limit)
	}
	stored, err := tx.PolicyValuesWithin(ctx, region.ScopeOf(r.County()))
	if err != nil {
		return err
	}
	rows := toRows(stored)
	add := Row{Region: r, Name: name, Value: v.String(), EffectiveFrom: date}
	if err := checkTogether(rows, add); err != nil {
		return err
	}
	// What was in force on that date before this change, for the record.
	before, err := ResolveRows(r, from, rows)
	if err != nil {
		return err
	}
	var corrects int64
	for _, s := range stored {
		if s.Region == r && s.Name == name && s.EffectiveFrom == date && !s.Superseded {
			corrects = s.ID
		}
	}
	id, err := tx.AddPolicyValue(ctx, store.PolicyValue{Region: r, Name: name, Value: v.String(),
		EffectiveFrom: date, Note: strings.TrimSpace(note), Corrects: corrects})
	if err != nil {
		return err
	}
	add.ID = id
	detail := fmt.Sprintf("name=%s region=%s effective_from=%s value=%s version=%s previous=%s(%s)",
		name, r, date, v.String(), add.Version(), before.vals[name].v.String(), before.Version(name))
	if corrects != 0 {
		detail += fmt.Sprintf(" corrects=%d", corrects)
	}
	return tx.Audit(ctx, store.Entry{Action: "policy.set", Object: "policy:" + string(r) + "/" + name, Detail: detail})
}

// Correct explicitly corrects a stored version, keeping its region, name
// and effective date, even when that date has passed (a value entered
// wrongly). The version a decision recorded keeps naming the old row, so
// what was decided stays explainable; a reason is required and the change
// is audited as policy.correct.
func Correct(ctx context.Context, db *store.DB, p authz.Principal, version, raw, note string) error {
	ref, err := ParseVersion(version)
	if err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return errs.New(errs.Invalid, "note", MsgNoteRequired)
	}
	return db.InTx(ctx, p, func(tx *store.Tx) error {
		old, err := tx.PolicyValue(ctx, ref.ID)
		if err != nil {
			return err
		}
		if old.Region != ref.Region || old.EffectiveFrom != ref.EffectiveFrom {
			return errs.New(errs.NotFound, "version", "参数版本不存在")
		}
		if old.Superseded {
			return errs.New(errs.Conflict, "version", "该版本已被更正，请刷新后对最新版本进行更正")
		}
		d, ok := registry[old.Name]
		if !ok {
			return errs.Invalidf("name", "未知的政策参数：%s", old.Name)
		}
		if err := authorize(p, d, old.Region); err != nil {
			return err
		}
		v, err := d.parse(raw, true)
		if err != nil {
			return err
		}
		if v.String() == old.Value {
			return errs.Invalidf("value", "更正后的「%s」与原值相同", d.Label)
		}
		stored, err := tx.PolicyValuesWithin(ctx, region.ScopeOf(old.Region.County()))
		if err != nil {
			return err
		}
		add := Row{Region: old.Region, Name: old.Name, Value: v.String(), EffectiveFrom: old.EffectiveFrom}
		if err := checkTogether(toRows(stored), add); err != nil {
			return err
		}
		id, err := tx.AddPolicyValue(ctx, store.PolicyValue{Region: old.Region, Name: old.Name, Value: v.String(),
			EffectiveFrom: old.EffectiveFrom, Note: note, Corrects: old.ID})
		if err != nil {
			return err
		}
		add.ID = id
		detail := fmt.Sprintf("name=%s region=%s effective_from=%s value=%s version=%s corrects=%s old_value=%s in_force=%t",
			old.Name, old.Region, old.EffectiveFrom, v.String(), add.Version(), version, old.Value,
			old.EffectiveFrom <= DateOf(db.Now()))
		return tx.Audit(ctx, store.Entry{Action: "policy.correct", Object: "policy:" + string(old.Region) + "/" + old.Name,
			Detail: detail})
	})
}

// HistoryEntry is one version of a parameter in a region's chain.
type HistoryEntry struct {
	store.PolicyValueRow
	Version string // "<region>@<date>#<id>"
	Display string // value for screens, e.g. "7 工作日"
}

// History lists the versions of name set for r's county and township,
// oldest effective date first, corrections after what they correct.
func History(ctx context.Context, db *store.DB, r region.Code, name string) ([]HistoryEntry, error) {
	d, ok := registry[name]
	if !ok {
		return nil, errs.Invalidf("name", "未知的政策参数：%s", name)
	}
	if err := checkRegion(r); err != nil {
		return nil, err
	}
	rows, err := db.PolicyValues(ctx, chain(r))
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	for _, row := range rows {
		if row.Name != name {
			continue
		}
		ver := Row{ID: row.ID, Region: row.Region, EffectiveFrom: row.EffectiveFrom}.Version()
		e := HistoryEntry{PolicyValueRow: row, Version: ver, Display: row.Value}
		if v, err := d.parseStored(row.Value); err == nil {
			e.Display = d.Format(v)
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b HistoryEntry) int {
		if c := strings.Compare(a.EffectiveFrom, b.EffectiveFrom); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out, nil
}
