package web

import (
	"net/http"
	"strconv"
	"time"

	"dibao/internal/authz"
)

type quickLink struct{ Label, Href, Note string }

type dashboardPage struct {
	Greeting   string
	Name       string
	RegionName string
	Today      string
	ShowCounts bool
	Households int
	Members    int
	Links      []quickLink
	Queue      *queueView // the work queue, for case-handling roles
	Training   []trainingDue
}

// trainingDue is an open training item on the home page: due soon or
// overdue items are the in-app reminder.
type trainingDue struct {
	Title   string
	Due     string
	Overdue bool
	Soon    bool
	Minutes string
}

func greeting(t time.Time) string {
	switch h := t.In(cst).Hour(); {
	case h < 5:
		return "您好"
	case h < 12:
		return "上午好"
	case h < 14:
		return "中午好"
	case h < 18:
		return "下午好"
	}
	return "晚上好"
}

var weekdays = []string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	now := s.a.DB.Now()
	u := s.userView(r.Context(), p)
	d := dashboardPage{Greeting: greeting(now), Name: u.Name, RegionName: u.RegionName,
		Today: now.In(cst).Format("2006年1月2日") + " " + weekdays[now.In(cst).Weekday()]}
	if handlesCases(p) {
		q, err := s.queue(r.Context(), p)
		if err != nil {
			return err
		}
		d.Queue = q
	}
	if p.UserID != 0 {
		mine, err := s.a.Training.MyTraining(r.Context(), p)
		if err != nil {
			return err
		}
		soon := now.In(cst).AddDate(0, 0, 7).Format(time.DateOnly)
		for _, it := range mine.Items {
			if it.Status != "open" {
				continue
			}
			d.Training = append(d.Training, trainingDue{Title: it.Title, Due: it.Due, Overdue: it.Overdue,
				Soon:    !it.Overdue && it.Due <= soon,
				Minutes: strconv.Itoa(it.MinutesCredited) + " / " + strconv.Itoa(it.RequiredMinutes) + " 分钟"})
		}
	}
	if p.Can(authz.HouseholdView) {
		n, m, err := s.a.DB.CountHouseholds(r.Context(), p.Scope())
		if err != nil {
			return err
		}
		d.ShowCounts, d.Households, d.Members = true, n, m
		if p.Can(authz.HouseholdEdit) {
			d.Links = append(d.Links, quickLink{"新建家庭", "/households/new", "登记申请家庭及其成员信息"})
		}
		d.Links = append(d.Links, quickLink{"家庭档案", "/households", "查询、查看辖区内的家庭档案"})
		if p.Has(authz.VillageClerk) {
			d.Links = append(d.Links, quickLink{"发起低保申请", "/households", "在家庭档案中选择家庭，点击“发起低保申请”"})
		}
		d.Links = append(d.Links, quickLink{"低保申请", "/cases", "查询辖区内的申请及办理进度"})
	}
	if handlesCases(p) {
		d.Links = append(d.Links, quickLink{"流程说明", "/workflow", "审核审批流程图、各环节办理人和时限"})
	}
	if p.Can(authz.AuditView) {
		d.Links = append(d.Links, quickLink{"审计日志", "/audit", "查看登录、修改和敏感信息查看记录"})
	}
	if p.Can(authz.UserView) {
		d.Links = append(d.Links, quickLink{"用户管理", "/users", "查看辖区内的工作人员账号"})
	}
	s.render(w, r, p, http.StatusOK, "dashboard", "工作台", []crumb{{Label: "工作台"}}, d)
	return nil
}
