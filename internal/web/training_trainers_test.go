package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTrainerRegistryPage drives /training/trainers as the training admin:
// the invitation target shows red until this year's invitations reach
// expert_invites_per_year (2), a trainer is selected with criteria and
// development training, a bad form comes back with its errors, every write
// is audited, and a trainer cannot open the page.
func TestTrainerRegistryPage(t *testing.T) {
	te := setupTraining(t)
	admin := te.loginAs("tadmin")

	r := admin.get("/training")
	if !strings.Contains(r.body, `href="/training/trainers"`) {
		t.Fatal("training dashboard lacks the trainer registry link")
	}
	r = admin.get("/training/trainers")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="expert-invites-below"`) ||
		!strings.Contains(r.body, `id="stat-expert-invites">0<small> / 2 次`) || !strings.Contains(r.body, `id="trainer-empty"`) {
		t.Fatalf("empty registry page: %d\n%s", r.StatusCode, r.body)
	}

	// A selection without criteria or approver comes back with errors.
	uid := strconv.FormatInt(te.trainer.UserID, 10)
	r = admin.post("/training/trainers", url.Values{"user_id": {uid}, "experience_years": {"6"}, "approved_on": {"2026-03-01"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请勾选该人员符合的遴选条件") ||
		!strings.Contains(r.body, "请填写审批人") {
		t.Fatalf("bad selection: %d\n%s", r.StatusCode, r.body)
	}
	r = admin.post("/training/trainers", url.Values{"user_id": {uid}, "experience_years": {"6"},
		"criteria": {"experience", "expression"}, "approved_by": {"县民政局 王局长"}, "approved_on": {"2026-03-01"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("select trainer: %d\n%s", r.StatusCode, r.body)
	}
	r = admin.post("/training/trainers/"+uid+"/development", url.Values{"on": {"2026-05-10"}, "title": {"省级师资培训"}, "hours": {"8"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("development: %d\n%s", r.StatusCode, r.body)
	}

	r = admin.post("/training/experts", url.Values{"name": {"李教授"}, "organisation": {"省民政学院"}, "title": {"教授"}, "field": {"社会救助"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add expert: %d\n%s", r.StatusCode, r.body)
	}
	r = admin.get("/training/trainers?saved=expert")
	m := regexp1(`id="expert-(\d+)"`, r.body)
	if m == "" || !strings.Contains(r.body, "外聘专家已登记") {
		t.Fatalf("expert row missing:\n%s", r.body)
	}
	for _, day := range []string{"2026-04-01", "2026-09-20"} {
		r = admin.post("/training/experts/"+m+"/invitations", url.Values{"on": {day}, "topic": {"低保政策解读"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite: %d\n%s", r.StatusCode, r.body)
		}
	}

	r = admin.get("/training/trainers")
	for _, want := range []string{`id="trainer-` + uid + `"`, "业务经验丰富、具备良好表达能力", "县民政局 王局长", "省级师资培训",
		"8学时", `id="stat-expert-invites">2<small> / 2 次`, `id="expert-invites-met"`, "2026-09-20 低保政策解读"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("registry page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="expert-invites-below"`) {
		t.Error("target met but the red badge still shows")
	}

	got := strings.Join(te.auditActions("training."), "\n")
	for _, a := range []string{"training.trainer.select", "training.trainer.development", "training.expert.create", "training.expert.invite"} {
		if !strings.Contains(got, a) {
			t.Errorf("audit lacks %s:\n%s", a, got)
		}
	}

	trainer := te.loginAs("trainer")
	if r := trainer.get("/training/trainers"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer opened the registry: %d", r.StatusCode)
	}
}

// regexp1 returns the first submatch of pattern in s, or "".
func regexp1(pattern, s string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if len(m) < 2 {
		return ""
	}
	return m[1]
}
