package recipients

import (
	"context"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// MaxPage is the largest page of the register a caller may ask for.
const MaxPage = 200

// checkRegion refuses a region filter that is not a township or village
// within the principal's scope, rather than silently showing nothing.
func checkRegion(p authz.Principal, c region.Code) error {
	if c == "" {
		return nil
	}
	if l := c.Level(); l != region.Township && l != region.Village {
		return errs.Invalidf("region", "请选择乡镇（街道）或村（社区）")
	}
	if !p.Scope().Contains(c) {
		return errs.New(errs.Forbidden, "region", "该地区不在您的管辖范围内")
	}
	return nil
}

// RegisterPage returns one page of the register within the principal's
// scope matching f (f.Limit rows from f.Offset, at most MaxPage) and the
// number of recipients matching f in all.
func (s *Service) RegisterPage(ctx context.Context, p authz.Principal, f store.RegisterFilter) ([]store.RegisterEntry, int, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, 0, err
	}
	if err := checkRegion(p, f.Region); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	total, err := s.DB.RegisterCount(ctx, p.Scope(), f)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.DB.Register(ctx, p.Scope(), f)
	return rows, total, err
}

// RegisterEach calls fn for every recipient within the principal's scope
// matching f (its Limit and Offset ignored), in list order: the export of
// exactly the filtered list.
func (s *Service) RegisterEach(ctx context.Context, p authz.Principal, f store.RegisterFilter, fn func(store.RegisterEntry) error) error {
	if err := p.Require(authz.HouseholdView); err != nil {
		return err
	}
	if err := checkRegion(p, f.Region); err != nil {
		return err
	}
	f.Limit, f.Offset = 0, 0
	return s.DB.RegisterEach(ctx, p.Scope(), f, fn)
}

// Detail is one recipient with the benefit decision in force and its
// whole history.
type Detail struct {
	store.RegisterEntry
	Result  benefit.Result // the decision in force (its amount is the amount in force)
	Known   bool           // Result was recorded with a decision (else only the amount is known)
	History []store.HistoryEntry
}

// Recipient reads one recipient within the principal's scope, whatever its
// status, with the decision in force and the history in order.
func (s *Service) Recipient(ctx context.Context, p authz.Principal, householdID int64) (Detail, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return Detail{}, err
	}
	e, err := s.DB.RegisterEntry(ctx, p.Scope(), householdID)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{RegisterEntry: e}
	d.Result, d.Known = resultInForce(e)
	d.History, err = s.DB.History(ctx, p.Scope(), householdID)
	return d, err
}
