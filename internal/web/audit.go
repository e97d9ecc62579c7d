package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/auditlog"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
)

// auditPageSize is the number of audit records per page.
const auditPageSize = 50

// actionLabels names the audit actions in Chinese; unknown actions show
// their code.
var actionLabels = map[string]string{
	"auth.login":                "登录",
	"auth.logout":               "退出登录",
	"auth.lock":                 "账号锁定",
	"household.create":          "新建家庭",
	"household.update":          "修改家庭",
	"household.income.add":      "添加收入",
	"household.income.delete":   "删除收入",
	"household.property.add":    "添加财产",
	"household.property.delete": "删除财产",
	"sensitive.reveal":          "查看敏感信息",
	"user.create":               "新建账号",
	"user.roles":                "变更角色",
	"user.unlock":               "解锁账号",
	"user.activate":             "启用账号",
	"user.deactivate":           "停用账号",
	"user.password_reset":       "重置密码",
	"region.create":             "新增行政区划",
	"calendar.import":           "导入节假日安排",
	"demo.load":                 "加载演示数据",
	"policy.set":                "调整政策参数",
	"training.plan.create":      "制定培训计划",
	"training.enroll.run":       "运行培训自动报名",
	"training.session.create":   "安排培训场次",
	"training.checkin":          "培训签到",
	"training.checkin.manual":   "培训手工签到",
	"training.feedback":         "培训评价",
	"learning.upload":           "上传学习资料",
	"learning.complete":         "完成在线学习",
	"policy.correct":            "更正政策参数",

	// Trainer registry and policy updates (issue 5).
	"training.trainer.select":      "遴选培训师",
	"training.trainer.development": "记录培训师培训",
	"training.expert.create":       "登记外聘专家",
	"training.expert.invite":       "记录专家邀请",
	"training.policy_update":       "发布政策更新学习",
}

var resultLabels = map[string]string{"ok": "成功", "failed": "失败", "denied": "拒绝"}

type auditRow struct {
	Seq       int64
	At        string
	Actor     string
	Roles     string
	Region    string
	Action    string
	Code      string
	Object    string
	Result    string
	ResultOK  bool
	RequestID string
	Detail    string
}

type auditPage struct {
	Actor, Action, Object string
	Rows                  []auditRow
	Older                 string
	Newest                string
	Paged                 bool
	Actions               []struct{ Code, Label string }
}

func roleLabels(s string) string {
	var out []string
	for _, r := range authz.ParseRoles(s) {
		out = append(out, r.Label())
	}
	return strings.Join(out, "、")
}

func (s *server) auditList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Object: strings.TrimSpace(q.Get("object")), Limit: auditPageSize}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	recs, err := auditlog.List(r.Context(), s.a.DB, p, f)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	ap := auditPage{Actor: f.Actor, Action: f.Action, Object: f.Object, Paged: f.Before > 0}
	for _, code := range []string{"auth.", "household.", "sensitive.reveal"} {
		l := map[string]string{"auth.": "登录与账号", "household.": "家庭档案", "sensitive.reveal": "查看敏感信息"}[code]
		ap.Actions = append(ap.Actions, struct{ Code, Label string }{code, l})
	}
	for _, x := range recs {
		row := auditRow{Seq: x.Seq, At: x.LocalTime(), Actor: x.Actor, Roles: roleLabels(x.Role),
			Region: names[region.Code(x.Region)], Action: actionLabels[x.Action], Code: x.Action, Object: x.Object,
			Result: resultLabels[x.Result], ResultOK: x.Result == "ok", RequestID: x.RequestID, Detail: x.Detail}
		if row.Action == "" {
			row.Action = x.Action
		}
		if row.Result == "" {
			row.Result = x.Result
		}
		ap.Rows = append(ap.Rows, row)
	}
	v := url.Values{}
	for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "object": f.Object} {
		if val != "" {
			v.Set(k, val)
		}
	}
	ap.Newest = "/audit"
	if len(v) > 0 {
		ap.Newest += "?" + v.Encode()
	}
	if len(recs) == auditPageSize {
		v.Set("before", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
		ap.Older = "/audit?" + v.Encode()
	}
	s.render(w, r, p, http.StatusOK, "audit", "审计日志", []crumb{{Label: "审计日志", Href: "/audit"}, {Label: "日志查询"}}, ap)
	return nil
}
