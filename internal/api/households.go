package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/mask"
	"dibao/internal/region"
	"dibao/internal/store"
)

func urbanCode(u bool) string {
	if u {
		return "urban"
	}
	return "rural"
}

// householdJSON is the API view of a household: sensitive values masked.
// Birth dates are left out because with the masked ID they would rebuild
// the whole number; age is given instead.
func householdJSON(h household.Household, today time.Time) map[string]any {
	members := make([]map[string]any, len(h.Members))
	for i, m := range h.Members {
		members[i] = map[string]any{
			"id": m.ID, "name": m.Name, "relation": m.Relation, "relation_label": m.Relation.Label(),
			"id_number_masked": m.IDNumber.Mask(), "sex": m.IDNumber.Sex().Label(), "age": m.IDNumber.Age(today),
			"disability_grade": m.DisabilityGrade, "has_disability_detail": m.DisabilityDetail != "",
			"labour": m.Labour, "labour_label": m.Labour.Label(), "health": m.Health, "health_label": m.Health.Label(),
			"has_health_detail": m.HealthDetail != "", "co_resident": m.CoResident,
		}
	}
	incomes := make([]map[string]any, len(h.Incomes))
	for i, in := range h.Incomes {
		incomes[i] = map[string]any{"id": in.ID, "member_id": in.MemberID, "kind": in.Kind, "kind_label": in.Kind.Label(),
			"description": in.Description, "amount": in.Amount.String(), "cost": in.Cost.String(), "months": in.Months}
	}
	props := make([]map[string]any, len(h.Properties))
	for i, p := range h.Properties {
		props[i] = map[string]any{"id": p.ID, "kind": p.Kind, "kind_label": p.Kind.Label(), "description": p.Description,
			"value": p.Value.String(), "quantity": p.Quantity, "exempt": p.Exempt}
	}
	return map[string]any{
		"id": h.ID, "region_code": h.Region, "head_name": h.HeadName(), "address": h.Address, "urban": urbanCode(h.Urban),
		"phone_masked": mask.Phone(h.Phone), "bank_name": h.BankName, "bank_account_masked": mask.Bank(h.BankAccount),
		"notes": h.Notes, "version": h.Version, "members": members, "incomes": incomes, "properties": props,
		"created_at": h.CreatedAt, "updated_at": h.UpdatedAt,
	}
}

func (s *server) listHouseholds(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.HouseholdFilter{Name: q.Get("name"), Urban: q.Get("urban")}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.PageSize, _ = strconv.Atoi(q.Get("page_size"))
	if rc := q.Get("region_code"); rc != "" {
		c, err := region.Parse(rc)
		if err != nil {
			return err
		}
		f.Region = c
	}
	if id := q.Get("id_number"); id != "" {
		n, err := s.a.Registry.ParseIDQuery(id)
		if err != nil {
			return err
		}
		f.IDNumber = n
	}
	rows, total, err := s.a.Registry.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rows))
	for i, x := range rows {
		items[i] = map[string]any{"id": x.ID, "region_code": x.Region, "head_name": x.HeadName,
			"head_id_number_masked": x.HeadID.Mask(), "size": x.Size, "urban": urbanCode(x.Urban), "address": x.Address,
			"updated_at": x.UpdatedAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *server) createHousehold(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var d household.Draft
	if err := decode(r, &d); err != nil {
		return err
	}
	h, err := s.a.Registry.Create(r.Context(), p, d)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/households/"+strconv.FormatInt(h.ID, 10))
	writeJSON(w, http.StatusCreated, householdJSON(h, s.a.DB.Now()))
	return nil
}

func (s *server) getHousehold(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	h, err := s.a.Registry.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, householdJSON(h, s.a.DB.Now()))
	return nil
}

type updateReq struct {
	household.Draft
	Version int64 `json:"version"`
}

func (s *server) updateHousehold(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req updateReq
	if err := decode(r, &req); err != nil {
		return err
	}
	h, err := s.a.Registry.Update(r.Context(), p, id, req.Version, req.Draft)
	if err != nil {
		return err
	}
	h, err = s.a.Registry.Get(r.Context(), p, h.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, householdJSON(h, s.a.DB.Now()))
	return nil
}

type incomeReq struct {
	household.IncomeDraft
	Version int64 `json:"version"`
}

func (s *server) addIncome(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req incomeReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.a.Registry.AddIncome(r.Context(), p, id, req.Version, req.IncomeDraft); err != nil {
		return err
	}
	return s.getHousehold(w, r, p)
}

func (s *server) deleteIncome(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.deleteItem(w, r, p, s.a.Registry.DeleteIncome)
}

type propertyReq struct {
	household.PropertyDraft
	Version int64 `json:"version"`
}

func (s *server) addProperty(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req propertyReq
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.a.Registry.AddProperty(r.Context(), p, id, req.Version, req.PropertyDraft); err != nil {
		return err
	}
	return s.getHousehold(w, r, p)
}

func (s *server) deleteProperty(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.deleteItem(w, r, p, s.a.Registry.DeleteProperty)
}

func (s *server) deleteItem(w http.ResponseWriter, r *http.Request, p authz.Principal,
	del func(ctx context.Context, p authz.Principal, hid, version, item int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	v, err := queryVersion(r)
	if err != nil {
		return err
	}
	if err := del(r.Context(), p, id, v, item); err != nil {
		return err
	}
	return s.getHousehold(w, r, p)
}

type revealReq struct {
	Field    string `json:"field"`
	MemberID int64  `json:"member_id"`
}

func (s *server) reveal(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req revealReq
	if err := decode(r, &req); err != nil {
		return err
	}
	v, err := s.a.Registry.Reveal(r.Context(), p, id, req.Field, req.MemberID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"field": req.Field, "member_id": req.MemberID, "value": v, "audited": true})
	return nil
}
