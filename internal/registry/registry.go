// Package registry holds the household use cases: create, edit, list,
// income and property items, and the audited reveal of sensitive fields.
package registry

import (
	"context"
	"strconv"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/store"
)

// Service is the household registry.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

func obj(id int64) string { return "household:" + strconv.FormatInt(id, 10) }

// Create validates the draft and stores a new household.
func (s *Service) Create(ctx context.Context, p authz.Principal, d household.Draft) (household.Household, error) {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return household.Household{}, err
	}
	h, err := household.Parse(d, s.Now())
	if err != nil {
		return household.Household{}, err
	}
	for i := range h.Members {
		h.Members[i].ID = 0 // a new household has no existing members
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, &h); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "household.create", Object: obj(h.ID),
			Detail: "members=" + strconv.Itoa(len(h.Members))})
	})
	return h, err
}

// Update saves an edited household read at version. Blank sensitive fields
// keep their stored values (household.FillUnchanged), so an editor never
// needs to see an ID number in full to change an address.
func (s *Service) Update(ctx context.Context, p authz.Principal, id, version int64, d household.Draft) (household.Household, error) {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return household.Household{}, err
	}
	var h household.Household
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		cur, err := tx.Household(ctx, id)
		if err != nil {
			return err
		}
		household.FillUnchanged(&d, cur)
		if h, err = household.Parse(d, s.Now()); err != nil {
			return err
		}
		h.ID, h.Version = id, version
		if err := tx.UpdateHousehold(ctx, &h); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "household.update", Object: obj(h.ID),
			Detail: "version=" + strconv.FormatInt(h.Version, 10)})
	})
	return h, err
}

// Get returns a household within the caller's scope.
func (s *Service) Get(ctx context.Context, p authz.Principal, id int64) (household.Household, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return household.Household{}, err
	}
	return s.DB.Household(ctx, p.Scope(), id)
}

// List returns a page of households within the caller's scope.
func (s *Service) List(ctx context.Context, p authz.Principal, f store.HouseholdFilter) ([]store.HouseholdRow, int, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, 0, err
	}
	return s.DB.Households(ctx, p.Scope(), f)
}

// ParseIDQuery normalises an ID number typed into a search box; an invalid
// one is reported rather than silently matching nothing.
func (s *Service) ParseIDQuery(q string) (idcard.ID, error) {
	id, err := idcard.Parse(q, s.Now())
	if err != nil {
		e := errs.As(err)
		return "", errs.Invalidf("id_number", "%s", e.Message)
	}
	return id, nil
}

// AddIncome adds an income item to a household read at version.
func (s *Service) AddIncome(ctx context.Context, p authz.Principal, hid, version int64, d household.IncomeDraft) error {
	return s.editItems(ctx, p, hid, "household.income.add", func(tx *store.Tx, h household.Household) (string, error) {
		ids := make([]int64, len(h.Members))
		for i, m := range h.Members {
			ids[i] = m.ID
		}
		in, err := household.ParseIncome(d, ids)
		if err != nil {
			return "", err
		}
		id, err := tx.AddIncome(ctx, hid, version, in)
		return "income=" + strconv.FormatInt(id, 10), err
	})
}

// DeleteIncome removes an income item.
func (s *Service) DeleteIncome(ctx context.Context, p authz.Principal, hid, version, itemID int64) error {
	return s.editItems(ctx, p, hid, "household.income.delete", func(tx *store.Tx, _ household.Household) (string, error) {
		return "income=" + strconv.FormatInt(itemID, 10), tx.DeleteIncome(ctx, hid, version, itemID)
	})
}

// AddProperty adds a property item.
func (s *Service) AddProperty(ctx context.Context, p authz.Principal, hid, version int64, d household.PropertyDraft) error {
	return s.editItems(ctx, p, hid, "household.property.add", func(tx *store.Tx, _ household.Household) (string, error) {
		pr, err := household.ParseProperty(d)
		if err != nil {
			return "", err
		}
		id, err := tx.AddProperty(ctx, hid, version, pr)
		return "property=" + strconv.FormatInt(id, 10), err
	})
}

// DeleteProperty removes a property item.
func (s *Service) DeleteProperty(ctx context.Context, p authz.Principal, hid, version, itemID int64) error {
	return s.editItems(ctx, p, hid, "household.property.delete", func(tx *store.Tx, _ household.Household) (string, error) {
		return "property=" + strconv.FormatInt(itemID, 10), tx.DeleteProperty(ctx, hid, version, itemID)
	})
}

func (s *Service) editItems(ctx context.Context, p authz.Principal, hid int64, action string,
	fn func(tx *store.Tx, h household.Household) (string, error)) error {
	if err := p.Require(authz.HouseholdEdit); err != nil {
		return err
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		h, err := tx.Household(ctx, hid)
		if err != nil {
			return err
		}
		detail, err := fn(tx, h)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: action, Object: obj(hid), Detail: detail})
	})
}

// Sensitive fields that can be revealed.
const (
	FieldMemberID         = "member_id_number"
	FieldMemberHealth     = "member_health_detail"
	FieldMemberDisability = "member_disability_detail"
	FieldPhone            = "phone"
	FieldBank             = "bank_account"
)

// Reveal returns one sensitive value in full. It needs the reveal
// permission and writes an audit record before returning the value: if the
// record cannot be written, nothing is revealed.
func (s *Service) Reveal(ctx context.Context, p authz.Principal, hid int64, field string, memberID int64) (string, error) {
	if err := p.Require(authz.SensitiveReveal); err != nil {
		return "", err
	}
	var value string
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		h, err := tx.Household(ctx, hid)
		if err != nil {
			return err
		}
		detail := field
		switch field {
		case FieldPhone:
			value = h.Phone
		case FieldBank:
			value = h.BankAccount
		case FieldMemberID, FieldMemberHealth, FieldMemberDisability:
			found := false
			for _, m := range h.Members {
				if m.ID == memberID {
					found = true
					value = map[string]string{FieldMemberID: string(m.IDNumber), FieldMemberHealth: m.HealthDetail,
						FieldMemberDisability: m.DisabilityDetail}[field]
				}
			}
			if !found {
				return errs.New(errs.NotFound, "member_id", "成员不存在")
			}
			detail += " member=" + strconv.FormatInt(memberID, 10)
		default:
			return errs.New(errs.Invalid, "field", "不支持查看该字段")
		}
		return tx.Audit(ctx, store.Entry{Action: "sensitive.reveal", Object: obj(hid), Detail: detail})
	})
	if err != nil {
		return "", err
	}
	return value, nil
}
