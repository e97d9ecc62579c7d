package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"dibao/internal/benefit"
	"dibao/internal/docs"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// names are the region names a document header prints.
type names struct{ county, township, village string }

func (s *Service) regionNames(ctx context.Context, c region.Code) names {
	get := func(code region.Code) string {
		if r, err := s.DB.Region(ctx, code); err == nil {
			return r.Name
		}
		return string(code)
	}
	return names{county: get(c.County()), township: get(c.Township()), village: get(c)}
}

// issue creates the documents a transition produces: numbered per county,
// kind and year, with a JSON snapshot of exactly what was issued.
func (s *Service) issue(ctx context.Context, tx *store.Tx, L *loaded, t workflow.Transition, rec map[string]any,
	in workflow.Input) ([]store.Document, error) {
	if len(t.Documents) == 0 {
		return nil, nil
	}
	var out []store.Document
	if L.names == nil {
		n := s.regionNames(ctx, L.c.Region)
		L.names = &n
	}
	n := *L.names
	now := s.Now()
	today := s.today()
	for _, kind := range t.Documents {
		serial, err := tx.NextSerial(ctx, "doc:"+kind, L.c.Region.County(), today.Year())
		if err != nil {
			return nil, err
		}
		hdr := docs.Header{Number: docs.Number(kind, L.c.Region.County(), today.Year(), serial), IssuedOn: now,
			CountyName: n.county, TownshipName: n.township, VillageName: n.village, Issuer: n.township + "人民政府"}
		cs := docs.Case{CaseNumber: L.c.Number, HeadName: L.h.HeadName(), HouseholdSize: len(L.h.Members)}
		applied := appliedOn(L)
		var data any
		switch kind {
		case docs.KindReceipt:
			hdr.Issuer = n.village + "村（居）民委员会"
			var ms []docs.Material
			for _, m := range Materials {
				ms = append(ms, docs.Material{Name: m.Label})
			}
			due, _ := time.Parse(time.DateOnly, L.c.DueDate)
			data = docs.Receipt{Header: hdr, Case: cs, AppliedOn: applied, AcceptedOn: now, Materials: ms,
				NextStep: "报送" + n.township + "人民政府开展家庭经济状况调查", DueOn: due, Handler: actorName(tx)}
		case docs.KindDeficiencyNotice:
			hdr.Issuer = n.village + "村（居）民委员会"
			var items []docs.Deficiency
			for _, m := range Materials {
				for _, x := range L.mats {
					if x.Code == m.Code && x.Status != "ok" {
						problem := "缺少"
						if x.Status == "wrong" {
							problem = "有误：" + x.Note
						}
						supply := "请补充提供" + m.Label
						if x.Note != "" && x.Status == "missing" {
							supply = x.Note
						}
						items = append(items, docs.Deficiency{Material: m.Label, Problem: problem, Supply: supply})
					}
				}
			}
			// Ten working days to hand in the corrections: local practice,
			// printed so the applicant knows the date.
			data = docs.DeficiencyNotice{Header: hdr, Case: cs, AppliedOn: applied, Items: items,
				ResubmitBy: L.cal.AddWorkingDays(today, 10), Handler: actorName(tx)}
		case docs.KindRefusalNotice:
			hdr.Issuer = n.village + "村（居）民委员会"
			reasons := []string{labelOf(t, "ground", rec)}
			if r := strings.TrimSpace(in.Reason); r != "" {
				reasons = append(reasons, r)
			}
			data = docs.RefusalNotice{Header: hdr, Case: cs, AppliedOn: applied, Reasons: reasons,
				Basis: "《社会救助暂行办法》第十一条", Appeal: appeal(n)}
		case docs.KindHomeVisitForm:
			if t.ID == "county_home_visit" {
				hdr.Issuer = n.county + "民政局"
			}
			data = s.homeVisitForm(ctx, tx, hdr, cs, L, rec)
		case docs.KindAppraisalRecord:
			data = docs.AppraisalRecord{Header: hdr, Case: cs, HeldAt: parseDay(rec["meeting_date"]), Place: n.village + "村（居）民委员会",
				Host: actorName(tx), Recorder: actorName(tx), Participants: participants(rec["participants"]),
				Discussion: str(rec["minutes"]), Outcome: labelOf(t, "outcome", rec)}
		case docs.KindPublicityList:
			end := L.cal.AddWorkingDays(today, L.params.PublicityWD)
			data = docs.PublicityList{Header: hdr, PeriodStart: today, PeriodEnd: end,
				Rows: []docs.PublicityRow{{HeadName: L.h.HeadName(), HouseholdSize: len(L.h.Members), Amount: L.benefit.Amount,
					Period: docs.ChineseMonth(today.AddDate(0, 1, 0).Format("2006-01")) + "起"}},
				ObjectionTo: n.township + "人民政府社会救助服务站", ObjectionDeadline: end}
		case docs.KindApprovalNotice:
			hdr.Issuer = n.county + "民政局"
			hdr.TownshipName, hdr.VillageName = n.township, n.village
			data = docs.ApprovalNotice{Header: hdr, Case: cs, AppliedOn: applied, DecidedOn: now,
				Category: labelOf(t, "category", rec), Amount: L.benefit.Amount, StartMonth: L.c.StartMonth,
				Members: L.benefit.Members, Lines: explanation(L.benefit), Versions: versions(L.benefit)}
		case docs.KindRejectionNotice:
			hdr.Issuer = n.county + "民政局"
			reasons := []string{strings.TrimSpace(in.Reason)}
			for _, r := range L.benefit.Reasons {
				reasons = append(reasons, r.Text)
			}
			data = docs.RejectionNotice{Header: hdr, Case: cs, AppliedOn: applied, DecidedOn: now, Reasons: reasons,
				DeliverBy: L.cal.AddWorkingDays(today, L.params.RejectionNoticeWD), Appeal: appeal(n)}
		default:
			return nil, fmt.Errorf("casework: no document builder for %q", kind)
		}
		// Rendering now proves the snapshot is complete before it is issued.
		if _, err := docs.Render(kind, data); err != nil {
			return nil, err
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		d := store.Document{CaseID: L.c.ID, Kind: kind, Number: hdr.Number, Data: string(raw)}
		if err := tx.AddDocument(ctx, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) homeVisitForm(ctx context.Context, tx *store.Tx, hdr docs.Header, cs docs.Case, L *loaded, rec map[string]any) docs.HomeVisitForm {
	visited := parseDay(rec["visit_date"])
	var inv []string
	ids, _ := rec["investigators"].([]int64)
	for _, id := range ids {
		if u, err := tx.UserByID(ctx, id); err == nil {
			inv = append(inv, u.DisplayName)
		}
	}
	f := docs.HomeVisitForm{Header: hdr, Case: cs, Address: L.h.Address, HouseholdType: map[bool]string{true: "城市", false: "农村"}[L.h.Urban],
		VisitedOn: visited, Investigators: inv, LivingConditions: str(rec["findings"]), Opinion: ""}
	for _, m := range L.h.Members {
		dis := "无"
		if m.DisabilityGrade > 0 {
			dis = []string{"", "一级", "二级", "三级", "四级"}[m.DisabilityGrade]
		}
		f.Members = append(f.Members, docs.VisitMember{Name: m.Name, Relation: m.Relation.Label(), IDNumber: m.IDNumber,
			Age: m.IDNumber.Age(visited), Health: m.Health.Label(), Disability: dis, Labour: m.Labour.Label()})
	}
	for _, in := range L.h.Incomes {
		f.Incomes = append(f.Incomes, docs.IncomeRow{Kind: in.Kind.Label(), Description: in.Description, Amount: in.Amount, Months: in.Months})
	}
	for _, p := range L.h.Properties {
		note := ""
		if p.Exempt {
			note = "豁免"
		}
		f.Properties = append(f.Properties, docs.PropertyRow{Kind: p.Kind.Label(), Description: p.Description,
			Quantity: p.Quantity, Value: p.Value, Note: note})
	}
	return f
}

func actorName(tx *store.Tx) string {
	if p := tx.Principal(); p.DisplayName != "" {
		return p.DisplayName
	}
	return tx.Principal().Username
}

func appliedOn(L *loaded) time.Time {
	for _, e := range L.events {
		if e.Transition == "intake" {
			var d struct {
				Values map[string]any `json:"values"`
			}
			if json.Unmarshal([]byte(e.Data), &d) == nil {
				if t := parseDay(d.Values["application_date"]); !t.IsZero() {
					return t
				}
			}
			return e.At
		}
	}
	return L.c.CreatedAt
}

func appeal(n names) docs.Appeal {
	return docs.Appeal{ReviewBody: n.county + "人民政府", Court: n.county + "人民法院"}
}

func parseDay(v any) time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func str(v any) string { s, _ := v.(string); return s }

// labelOf returns the Chinese label of a select field's recorded value.
func labelOf(t workflow.Transition, field string, rec map[string]any) string {
	v := str(rec[field])
	for _, f := range t.Records {
		if f.Name == field {
			for _, c := range f.Options {
				if c.Value == v {
					return c.Label
				}
			}
		}
	}
	return v
}

func participants(v any) []docs.Participant {
	var out []docs.Participant
	for _, name := range strings.FieldsFunc(str(v), func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == '\n' }) {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, docs.Participant{Name: name, Role: "参加人员"})
		}
	}
	return out
}

func explanation(r benefit.Result) []docs.ExplanationLine {
	out := make([]docs.ExplanationLine, len(r.Lines))
	for i, l := range r.Lines {
		out[i] = docs.ExplanationLine{Label: l.Label, Formula: l.Formula, Amount: l.Amount}
	}
	return out
}

func versions(r benefit.Result) []docs.ParamVersion {
	var out []docs.ParamVersion
	for _, k := range sortedKeys(r.Versions) {
		out = append(out, docs.ParamVersion{Name: k, Version: r.Versions[k]})
	}
	return out
}
