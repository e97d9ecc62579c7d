package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
)

// The policy parameters of SPEC §4 over the API: the set in force for a
// region on a date, the versions of one parameter, and a new version. The
// same roles as the web page may read (county administrator, system
// administrator, county approver); the policy service decides who may write.

const (
	msgPolicyView = "只有县级业务管理员、系统管理员和县级审批人可以查看政策参数"
	msgPolicyNote = "请填写调整说明（依据的文件或调整原因）"
)

// maxPolicyNote bounds the note as the store does (runes).
const maxPolicyNote = 500

func requirePolicyView(p authz.Principal) error {
	if policy.CanView(p) {
		return nil
	}
	return errs.New(errs.Forbidden, "", msgPolicyView)
}

// policyRegion reads a region code (field names the parameter for errors):
// raw, or the caller's own county or township when raw is empty. It must
// exist and lie within the caller's scope.
func (s *server) policyRegion(ctx context.Context, p authz.Principal, raw, field string) (region.Code, error) {
	var c region.Code
	if strings.TrimSpace(raw) == "" {
		c = p.Region
		if c.Level() == region.Village {
			c = c.Township()
		}
		if c == "" {
			return "", errs.New(errs.Invalid, field, "请指定地区")
		}
	} else {
		var err error
		if c, err = region.Parse(raw); err != nil {
			return "", errs.New(errs.Invalid, field, errs.As(err).Message)
		}
	}
	if !p.Scope().Contains(c) {
		return "", errs.New(errs.Forbidden, field, "所选地区不在您的管辖范围内")
	}
	if _, err := s.a.DB.Region(ctx, c); err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return "", errs.New(errs.NotFound, field, "行政区划不存在")
		}
		return "", err
	}
	return c, nil
}

func policyDef(name string) (policy.Def, error) {
	d, ok := policy.Lookup(name)
	if !ok {
		return policy.Def{}, errs.New(errs.NotFound, "name", "政策参数不存在："+name)
	}
	return d, nil
}

func levelCodes(d policy.Def) []int {
	out := make([]int, len(d.Levels))
	for i, l := range d.Levels {
		out[i] = int(l)
	}
	return out
}

// listPolicy is GET /policy?region=&date=: every parameter in force for the
// region on the date (today by default), each with the version that
// supplied it ("default" for the built-in value).
func (s *server) listPolicy(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requirePolicyView(p); err != nil {
		return err
	}
	q := r.URL.Query()
	rc, err := s.policyRegion(r.Context(), p, q.Get("region"), "region")
	if err != nil {
		return err
	}
	on := s.a.DB.Now()
	if ds := strings.TrimSpace(q.Get("date")); ds != "" {
		if on, err = policy.ParseDate(ds); err != nil {
			return errs.New(errs.Invalid, "date", "日期格式应为 YYYY-MM-DD（2000 至 2099 年）")
		}
	}
	set, err := policy.Resolve(r.Context(), s.a.DB, rc, on)
	if err != nil {
		return err
	}
	all := set.All()
	items := make([]map[string]any, len(all))
	for i, x := range all {
		items[i] = map[string]any{"name": x.Def.Name, "label": x.Def.Label, "group": x.Def.Group,
			"kind": x.Def.Kind.String(), "value": x.Value.String(), "display": x.Def.Format(x.Value), "unit": x.Def.Unit,
			"version": x.Version, "default": x.Version == policy.DefaultVersion, "source": x.Def.Source,
			"source_label": x.Def.Source.Label(), "levels": levelCodes(x.Def)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"region_code": rc, "date": set.Date(), "items": items})
	return nil
}

// policyHistory is GET /policy/{name}/history?region=: every version of the
// parameter set for the region's county and township, oldest effective
// date first, corrections after what they correct.
func (s *server) policyHistory(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requirePolicyView(p); err != nil {
		return err
	}
	d, err := policyDef(r.PathValue("name"))
	if err != nil {
		return err
	}
	rc, err := s.policyRegion(r.Context(), p, r.URL.Query().Get("region"), "region")
	if err != nil {
		return err
	}
	hist, err := policy.History(r.Context(), s.a.DB, rc, d.Name)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(hist))
	for i, h := range hist {
		items[i] = map[string]any{"id": h.ID, "version": h.Version, "region_code": h.Region, "value": h.Value,
			"display": h.Display, "effective_from": h.EffectiveFrom, "note": h.Note, "corrects": h.Corrects,
			"superseded": h.Superseded, "created_by": h.CreatedByName, "created_at": h.CreatedAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": d.Name, "label": d.Label, "region_code": rc, "items": items})
	return nil
}

// policySetReq is the body of POST /policy/{name}. Value may be a JSON
// string, number or boolean; it is read as the text a person would type.
type policySetReq struct {
	RegionCode    string          `json:"region_code"`
	Value         json.RawMessage `json:"value"`
	EffectiveFrom string          `json:"effective_from"`
	Note          string          `json:"note"`
}

// valueText turns the JSON value into the text policy.Parse reads.
func valueText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errs.Invalidf("value", "字段 value 的类型不正确")
		}
		return s, nil
	case '{', '[':
		return "", errs.Invalidf("value", "字段 value 应为字符串、数字或布尔值")
	}
	return string(raw), nil
}

// checkPolicySet collects every problem of a new version that can be seen
// without the stored versions; the service checks them again, and the
// rules that tie parameters together.
func checkPolicySet(name, value, effectiveFrom, note, today string) error {
	var l errs.List
	if _, err := policy.Parse(name, value); err != nil {
		l = append(l, errs.As(err))
	}
	if on, err := policy.ParseDate(effectiveFrom); err != nil {
		l = append(l, errs.As(err))
	} else if policy.DateOf(on) < today {
		l = append(l, errs.New(errs.Invalid, "effective_from", policy.MsgBackdated))
	}
	switch n := len([]rune(strings.TrimSpace(note))); {
	case n == 0:
		l = append(l, errs.New(errs.Invalid, "note", msgPolicyNote))
	case n > maxPolicyNote:
		l.Add("note", "调整说明不能超过 %d 字", maxPolicyNote)
	}
	return l.Err()
}

// setPolicy is POST /policy/{name}: a new version for a county or township
// from an effective date today or later. The answer names the version
// now in force from that date.
func (s *server) setPolicy(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := requirePolicyView(p); err != nil {
		return err
	}
	d, err := policyDef(r.PathValue("name"))
	if err != nil {
		return err
	}
	var req policySetReq
	if err := decode(r, &req); err != nil {
		return err
	}
	rc, err := s.policyRegion(r.Context(), p, req.RegionCode, "region_code")
	if err != nil {
		return err
	}
	value, err := valueText(req.Value)
	if err != nil {
		return err
	}
	if err := policy.CanSet(p, d, rc); err != nil {
		return err
	}
	if err := checkPolicySet(d.Name, value, req.EffectiveFrom, req.Note, policy.DateOf(s.a.DB.Now())); err != nil {
		return err
	}
	warn, err := s.a.Training.SetPolicyValue(r.Context(), p, rc, d.Name, value, req.EffectiveFrom, req.Note)
	if err != nil {
		return err
	}
	if warn != nil {
		s.a.Log.Error("policy-update training items", "err", warn)
	}
	on, _ := policy.ParseDate(req.EffectiveFrom)
	set, err := policy.Resolve(r.Context(), s.a.DB, rc, on)
	if err != nil {
		return err
	}
	var v policy.Resolved
	for _, x := range set.All() {
		if x.Def.Name == d.Name {
			v = x
		}
	}
	w.Header().Set("Location", "/api/v1/policy/"+urlEscape(d.Name)+"/history?region="+string(rc))
	writeJSON(w, http.StatusCreated, map[string]any{"name": d.Name, "region_code": rc, "effective_from": set.Date(),
		"value": v.Value.String(), "display": d.Format(v.Value), "version": v.Version})
	return nil
}
