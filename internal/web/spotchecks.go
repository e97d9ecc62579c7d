package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/mask"
	"dibao/internal/recipients"
	"dibao/internal/review"
)

// County spot checks: past draws with their seed and results progress, a
// new draw (optionally with a given seed, which repeats an earlier sample),
// and per draw the sample with why each household was chosen and a result
// form per household. Routes are registered in reportRoutes.

type spotCheckRow struct {
	ID           int64
	Month        string
	Seed         string
	Rate         string
	Chosen       int
	Sampled      int
	Recorded     int
	NotConfirmed int
	Unverifiable int
	Done         bool
	By           string
	At           string
}

type spotCheckListPage struct {
	Rows    []spotCheckRow
	CanDraw bool
	Seed    string
	SeedErr string
	Summary []string
}

func (s *server) spotCheckList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderSpotChecks(w, r, p, http.StatusOK, "", nil)
}

func (s *server) renderSpotChecks(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, seed string,
	formErr error) error {
	list, err := s.a.Payments.SpotChecks(r.Context(), p)
	if err != nil {
		return err
	}
	pg := spotCheckListPage{CanDraw: countyOffice(p), Seed: seed}
	if formErr != nil {
		var fields map[string]string
		fields, pg.Summary = fieldErrors(formErr)
		pg.SeedErr = fields["seed"]
	}
	for _, x := range list {
		c := x.Check
		pg.Rows = append(pg.Rows, spotCheckRow{ID: c.ID, Month: c.Month, Seed: strconv.FormatUint(c.Seed, 10), Rate: rateLabel(c.Rate),
			Chosen: c.Chosen, Sampled: x.Progress.Sampled, Recorded: x.Progress.Recorded, NotConfirmed: x.Progress.NotConfirmed,
			Unverifiable: x.Progress.Unverifiable, Done: x.Progress.Sampled > 0 && x.Progress.Recorded == x.Progress.Sampled,
			By: c.CreatedBy, At: localTime(c.CreatedAt)})
	}
	s.render(w, r, p, status, "spotchecks", "县级抽查", []crumb{reviewsCrumb, {Label: "县级抽查"}}, pg)
	return nil
}

// rateLabel shows a recorded rate "30/100" as 30%.
func rateLabel(rate string) string {
	num, den, ok := strings.Cut(rate, "/")
	if ok && den == "100" {
		return num + "%"
	}
	return rate
}

// parseSeed reads the optional seed input: empty draws a new seed.
func parseSeed(raw string) (uint64, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || n == 0 {
		return 0, errs.Invalidf("seed", "随机种子应为正整数（留空则由系统生成）")
	}
	return n, nil
}

func (s *server) spotCheckDraw(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	raw := r.PostFormValue("seed")
	seed, err := parseSeed(raw)
	var res recipients.SpotCheckResult
	if err == nil {
		res, err = s.a.Payments.DrawSpotCheck(r.Context(), p, p.Region.County(), seed)
	}
	if err != nil {
		if !pageFailure(err) || errs.CodeOf(err) == errs.Forbidden {
			return err
		}
		return s.renderSpotChecks(w, r, p, statusOf(err, true), raw, err)
	}
	s.redirect(w, r, "/reviews/spot-checks/"+strconv.FormatInt(res.Check.ID, 10), "spot_drawn")
	return nil
}

type sampleRow struct {
	HouseholdID int64
	Head        string
	Village     string
	Reasons     []reasonTag
	Finding     string
	FindingCode string
	Note        string
	By          string
	At          string
	Failed      bool
	Err         map[string]string
	Summary     []string
	FormFinding string
	FormNote    string
}

type reasonTag struct{ Label, Tone string }

type spotCheckPage struct {
	ID        int64
	Month     string
	Seed      string
	Rate      string
	By        string
	At        string
	Sampled   int
	Recorded  int
	Random    int
	Flagged   int
	Rows      []sampleRow
	Findings  []household.Enum
	CanRecord bool
	Missing   bool // a draw without a recorded sample
}

// sampleFailure is a failed result form: which household, input and error.
type sampleFailure struct {
	HouseholdID int64
	Values      url.Values
	Err         error
}

func reasonTags(reason string) []reasonTag {
	var out []reasonTag
	for _, x := range strings.Split(reason, "、") {
		tone := "grey"
		switch x {
		case review.ReasonRelative:
			tone = "amber"
		case review.ReasonComplaint:
			tone = "red"
		}
		out = append(out, reasonTag{x, tone})
	}
	return out
}

func (s *server) renderSpotCheck(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int,
	f *sampleFailure) error {
	ctx := r.Context()
	c, samples, err := s.a.Payments.SpotCheckDetail(ctx, p, id)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return err
	}
	pg := spotCheckPage{ID: c.ID, Month: c.Month, Seed: strconv.FormatUint(c.Seed, 10), Rate: rateLabel(c.Rate), By: c.CreatedBy,
		At: localTime(c.CreatedAt), Sampled: len(samples), Findings: recipients.SpotCheckFindings, CanRecord: countyOffice(p),
		Missing: len(samples) == 0 && c.Chosen > 0}
	for _, x := range samples {
		row := sampleRow{HouseholdID: x.HouseholdID, Head: mask.Name(x.HeadName), Village: villageName(names, x.Region),
			Reasons: reasonTags(x.Reason), FindingCode: x.Finding, Finding: recipients.SpotCheckFindingLabel(x.Finding),
			Note: x.Note, By: x.RecordedBy, FormFinding: x.Finding, FormNote: x.Note}
		if !x.RecordedAt.IsZero() && x.RecordedBy != "" {
			row.At = localTime(x.RecordedAt)
		}
		if x.Finding != "" {
			pg.Recorded++
		}
		if x.Reason == review.ReasonRandom {
			pg.Random++
		} else {
			pg.Flagged++
		}
		if f != nil && f.HouseholdID == x.HouseholdID {
			row.Failed = true
			row.Err, row.Summary = fieldErrors(f.Err)
			row.FormFinding, row.FormNote = f.Values.Get("finding"), f.Values.Get("note")
		}
		pg.Rows = append(pg.Rows, row)
	}
	s.render(w, r, p, status, "spotcheck", "县级抽查 "+strconv.FormatInt(c.ID, 10),
		[]crumb{reviewsCrumb, {Label: "县级抽查", Href: "/reviews/spot-checks"}, {Label: "第 " + strconv.FormatInt(c.ID, 10) + " 次"}}, pg)
	return nil
}

func (s *server) spotCheckDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderSpotCheck(w, r, p, id, http.StatusOK, nil)
}

func (s *server) spotCheckResult(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hid, err := pathID(r, "household")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err = s.a.Payments.RecordSpotCheckResult(r.Context(), p, recipients.SpotCheckFinding{SpotCheckID: id, HouseholdID: hid,
		Finding: r.PostFormValue("finding"), Note: r.PostFormValue("note")})
	if err != nil {
		if !pageFailure(err) || errs.CodeOf(err) == errs.Forbidden && !countyOffice(p) {
			return err
		}
		return s.renderSpotCheck(w, r, p, id, statusOf(err, true), &sampleFailure{HouseholdID: hid, Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/reviews/spot-checks/"+strconv.FormatInt(id, 10)+"#sample-"+strconv.FormatInt(hid, 10), "spot_result")
	return nil
}
