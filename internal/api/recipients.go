package api

import (
	"bytes"
	"net/http"
	"strconv"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
)

func (s *server) register(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.RegisterFilter{Category: q.Get("category"), Status: q.Get("status"), Urban: q.Get("urban"),
		ReviewDueBy: q.Get("review_due_by")}
	for name, dst := range map[string]*money.Fen{"min_amount": &f.MinAmount, "max_amount": &f.MaxAmount} {
		if v := q.Get(name); v != "" {
			fen, err := money.Parse(v)
			if err != nil {
				e := errsOf(err)
				e.Field = name
				return e
			}
			*dst = fen
		}
	}
	paged, page, size, err := registerPaging(q, &f)
	if err != nil {
		return err
	}
	var rows []store.RegisterEntry
	total := 0
	if paged {
		rows, total, err = s.a.Payments.RegisterPage(r.Context(), p, f)
	} else {
		err = s.a.Payments.RegisterEach(r.Context(), p, f, func(e store.RegisterEntry) error {
			rows = append(rows, e)
			return nil
		})
	}
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rows))
	for i, e := range rows {
		items[i] = map[string]any{"household_id": e.HouseholdID, "case_id": e.CaseID, "region_code": e.Region,
			"head_name": e.HeadName, "category": e.Category, "amount": e.Amount.String(), "members": e.Members,
			"start_month": e.StartMonth, "end_month": e.EndMonth, "status": e.Status, "urban": urbanCode(e.Urban),
			"phaseout_from": e.PhaseOutFrom, "phaseout_months": e.PhaseOutMonths, "last_review": e.LastReview,
			"review_due": e.ReviewDue, "relative_flag": e.RelativeFlag}
	}
	out := map[string]any{"items": items}
	if paged {
		out["total"], out["page"], out["page_size"] = total, page, size
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) recipientHistory(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	hs, err := s.a.Payments.History(r.Context(), p, id)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(hs))
	for i, h := range hs {
		items[i] = map[string]any{"at": h.At, "kind": h.Kind, "old_amount": h.OldAmount.String(),
			"new_amount": h.NewAmount.String(), "effective_month": h.EffectiveMonth, "reason": h.Reason,
			"case_id": h.CaseID, "task_id": h.TaskID, "actor": h.Actor}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func rosterJSON(ro store.Roster) map[string]any {
	return map[string]any{"id": ro.ID, "county": ro.County, "month": ro.Month, "status": ro.Status,
		"total": ro.Total.String(), "rows": ro.Rows, "built_at": ro.BuiltAt, "approved_by": ro.ApprovedBy,
		"approved_at": ro.ApprovedAt}
}

type rosterReq struct {
	County string `json:"county"`
	Month  string `json:"month"`
}

func (s *server) buildRoster(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var req rosterReq
	if err := decode(r, &req); err != nil {
		return err
	}
	county, err := region.Parse(req.County)
	if err != nil {
		e := errsOf(err)
		e.Field = "county"
		return e
	}
	ro, err := s.a.Payments.BuildRoster(r.Context(), p, county, req.Month)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rosterJSON(ro))
	return nil
}

func (s *server) approveRoster(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ro, err := s.a.Payments.ApproveRoster(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rosterJSON(ro))
	return nil
}

// getRoster returns a roster with its rows: head of household (masked
// unless the caller may see it in full), members, amount and payment status;
// ?pay_status=failed lists the rows still failed, for re-payment.
func (s *server) getRoster(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st := r.URL.Query().Get("pay_status")
	switch st {
	case "", recipients.PayPending, recipients.PayPaid, recipients.PayFailed:
	default:
		return errs.Invalidf("pay_status", "发放状态只能为 pending、paid 或 failed")
	}
	d, err := s.a.Payments.Detail(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := rosterJSON(d.Roster)
	out["paid"], out["failed"] = d.Paid(), d.Failed()
	reveal := p.Can(authz.SensitiveReveal)
	items := make([]map[string]any, 0, len(d.Rows))
	for i, x := range d.Rows {
		if st != "" && x.PayStatus != st {
			continue
		}
		var paidAt any
		if !x.PaidAt.IsZero() {
			paidAt = x.PaidAt
		}
		name := x.HeadName
		if !reveal {
			name = mask.Name(name)
		}
		items = append(items, map[string]any{"seq": i + 1, "household_id": x.HouseholdID, "region_code": x.Region,
			"month": d.Month, "head_name": name, "members": x.Members, "urban": urbanCode(x.Urban),
			"amount": x.Amount.String(), "note": x.Note, "pay_status": x.PayStatus, "pay_note": x.PayNote,
			"paid_at": paidAt})
	}
	out["items"] = items
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) rosterBankCSV(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// Built in memory first: an error must not leave half a file behind.
	var buf bytes.Buffer
	name, err := s.a.Payments.BankCSV(r.Context(), p, id, &buf)
	if err != nil {
		return err
	}
	return attach.Send(w, "text/csv", name, "roster-"+strconv.FormatInt(id, 10)+".csv", buf.Bytes())
}
