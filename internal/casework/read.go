package casework

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/docs"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/store"
	"dibao/internal/upload"
	"dibao/internal/workflow"
)

// View is everything the case page shows, read in one snapshot.
type View struct {
	Case       store.Case
	Definition workflow.Definition
	State      workflow.State
	Household  household.Household
	Events     []store.Event
	Documents  []store.Document
	Files      []store.CaseFile
	Visits     []store.Visit
	Objections []store.Objection
	Materials  []store.Material
	Relatives  []store.Relative
	Options    []workflow.Option // what the caller may do now (disabled ones carry the reason)
	Benefit    benefit.Result    // computed now on the current household data
	Frozen     *benefit.Result   // the result frozen on the case at submission/approval, if any
	Schedule   workflow.Schedule
	Params     workflow.Params
	Versions   map[string]string // parameter versions the case uses
}

// Get returns the case page's view for the caller.
func (s *Service) Get(ctx context.Context, p authz.Principal, caseID int64) (View, error) {
	var v View
	err := s.read(ctx, p, caseID, func(L *loaded) error {
		v = View{Case: L.c, Definition: L.def, Household: L.h, Events: L.events, Visits: L.visits, Objections: L.objs,
			Materials: L.mats, Relatives: L.rels, Benefit: L.benefit, Schedule: L.sched, Params: L.params}
		v.State, _ = L.def.State(L.c.State)
		v.Options = workflow.Available(L.def, L.c.State, p, p.Region.Level(), s.facts(L, workflow.Input{}))
		_ = json.Unmarshal([]byte(L.c.Policy), &v.Versions)
		if L.c.Benefit != "" {
			var b benefit.Result
			if json.Unmarshal([]byte(L.c.Benefit), &b) == nil {
				v.Frozen = &b
			}
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	if v.Documents, err = s.DB.Documents(ctx, caseID); err != nil {
		return v, err
	}
	v.Files, err = s.DB.Files(ctx, caseID)
	return v, err
}

// QueueItem is one case in a work queue.
type QueueItem struct {
	Case     store.Case
	State    workflow.State
	Due      string // current step due date
	Overdue  bool
	DueSoon  bool // the current step is due within four days
	TotalDue string
}

// Queue is the caller's home page: open cases in scope waiting for one of
// the caller's roles, overdue first, then by due date.
// QueueStates are the open states of the built-in profiles in which one of
// p's roles acts.
func QueueStates(p authz.Principal) []string {
	var states []string
	for _, d := range workflow.BuiltIn() {
		for _, st := range d.States {
			if !st.Terminal && p.Has(st.Actor) && !slices.Contains(states, st.ID) {
				states = append(states, st.ID)
			}
		}
	}
	return states
}

// QueueLimit is how many cases a work queue shows at most, the most
// urgent first; the case list pages through the rest.
const QueueLimit = 100

func (s *Service) Queue(ctx context.Context, p authz.Principal) ([]QueueItem, error) {
	// Only the states one of p's roles acts in are read (issue 8: at
	// province scale a county holds thousands of open cases, most waiting
	// for someone else), the most urgent QueueLimit of them.
	states := QueueStates(p)
	if len(states) == 0 {
		return nil, nil
	}
	cases, err := s.DB.Cases(ctx, p.Scope(), store.CaseFilter{Open: "open", States: states, Limit: QueueLimit})
	if err != nil {
		return nil, err
	}
	var out []QueueItem
	today := s.today()
	for _, c := range cases {
		d, ok := workflow.Profile(c.Profile)
		if !ok {
			continue
		}
		st, ok := d.State(c.State)
		if !ok || !p.Has(st.Actor) {
			continue
		}
		it := QueueItem{Case: c, State: st, Due: c.DueDate, TotalDue: c.TotalDue}
		it.Overdue, it.DueSoon = Urgency(c, today)
		out = append(out, it)
	}
	return out, nil
}

// Urgency says whether an open case is past its step or total due date,
// or else whether its step is due within four days — the one rule the
// queue, the case list and the API share.
func Urgency(c store.Case, today time.Time) (overdue, dueSoon bool) {
	if c.Closed {
		return false, false
	}
	day := today.Format(time.DateOnly)
	overdue = (c.DueDate != "" && c.DueDate < day) || (c.TotalDue != "" && c.TotalDue < day)
	dueSoon = !overdue && c.DueDate != "" && c.DueDate <= today.AddDate(0, 0, 4).Format(time.DateOnly)
	return overdue, dueSoon
}

// List returns cases in the caller's scope.
func (s *Service) List(ctx context.Context, p authz.Principal, f store.CaseFilter) ([]store.Case, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	return s.DB.Cases(ctx, p.Scope(), f)
}

// Upload stores a scanned material of a case still at the counter or under
// investigation; the type is checked from the content.
func (s *Service) Upload(ctx context.Context, p authz.Principal, caseID int64, material, name string, data []byte) (store.CaseFile, error) {
	if !p.Has(authz.VillageClerk) && !p.Has(authz.TownshipOfficer) {
		return store.CaseFile{}, errs.New(errs.Forbidden, "", "只有村（社区）或乡镇经办人可以上传申请材料")
	}
	if !validMaterial(material) {
		return store.CaseFile{}, errs.Invalidf("material", "请选择材料类别")
	}
	f, err := upload.Check(name, data)
	if err != nil {
		return store.CaseFile{}, err
	}
	cf := store.CaseFile{CaseID: caseID, Token: f.Token, Material: material, Name: f.Name, ContentType: string(f.Type),
		Size: f.Size, Checksum: f.Checksum, Data: f.Data}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		c, err := tx.CaseForUpdate(ctx, caseID)
		if err != nil {
			return err
		}
		if c.Closed {
			return errs.New(errs.Conflict, "", "案件已办结，不能再上传材料")
		}
		if err := tx.AddFile(ctx, &cf); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "case.file.upload", Object: caseObj(caseID),
			Detail: material + " " + f.Type.Ext() + " sm3=" + f.Checksum[:16]})
	})
	cf.Data = nil
	return cf, err
}

func validMaterial(code string) bool {
	for _, m := range Materials {
		if m.Code == code {
			return true
		}
	}
	return code == "other"
}

// File returns a scan by its token; reading one is audited because scans
// carry identity documents.
func (s *Service) File(ctx context.Context, p authz.Principal, token string) (store.CaseFile, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return store.CaseFile{}, err
	}
	f, err := s.DB.FileByToken(ctx, p.Scope(), token)
	if err != nil {
		return f, err
	}
	if !upload.Verify(f.Data, f.Checksum) {
		return store.CaseFile{}, errs.Wrap(errs.New(errs.Internal, "", "checksum mismatch"), "文件校验失败：存储的文件已被改动")
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		return tx.Audit(ctx, store.Entry{Action: "case.file.view", Object: caseObj(f.CaseID),
			Detail: "file:" + strconv.FormatInt(f.ID, 10)})
	})
	return f, err
}

// Document renders an issued document from its stored snapshot; printing
// is audited like any view of personal data.
func (s *Service) Document(ctx context.Context, p authz.Principal, caseID int64, number string) ([]byte, error) {
	if err := p.Require(authz.HouseholdView); err != nil {
		return nil, err
	}
	if _, err := s.DB.Case(ctx, p.Scope(), caseID); err != nil {
		return nil, err
	}
	ds, err := s.DB.Documents(ctx, caseID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Number != number {
			continue
		}
		html, err := docs.RenderJSON(d.Kind, []byte(d.Data))
		if err != nil {
			return nil, err
		}
		err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
			return tx.Audit(ctx, store.Entry{Action: "case.document.view", Object: caseObj(caseID), Detail: d.Number})
		})
		return html, err
	}
	return nil, errs.New(errs.NotFound, "", "文书不存在")
}
