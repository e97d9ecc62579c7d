package web

import (
	"html/template"
	"net/http"
	"strconv"

	"dibao/internal/authz"
	"dibao/internal/chart"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/stats"
	"dibao/internal/workflow"
)

// countyRoutes registers the pages of the county dashboard.
func (s *server) countyRoutes(mux *http.ServeMux) {
	mux.Handle("GET /county", s.auth(s.countyDashboard))
}

type countyStageRow struct {
	stats.StageRow
	Name   string
	Median string
}

type countyPage struct {
	Region  string
	Name    string
	Choices []struct{ Code, Label string }
	C       stats.County
	Amount  string
	Towns   []struct {
		stats.TownshipRow
		Name, Amount string
	}
	Cats []struct {
		stats.CategoryRow
		Amount string
	}
	Months []struct {
		stats.MonthRow
		Amount string
	}
	Stages []countyStageRow
	Charts map[string]template.HTML
}

func yuanFloat(f money.Fen) float64 { return float64(f) / 100 }

func (s *server) countyDashboard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	want := r.URL.Query().Get("region")
	c, err := s.a.Stats.County(r.Context(), p, want)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	pg := countyPage{Region: string(c.Region), Name: names[c.Region], C: c, Amount: c.Amount.Yuan(),
		Charts: map[string]template.HTML{}}
	if pg.Name == "" {
		pg.Name = string(c.Region)
	}
	if p.Region != "" {
		pg.Choices = append(pg.Choices, struct{ Code, Label string }{string(p.Region), names[p.Region] + "（全部）"})
		rs, err := s.a.DB.Regions(r.Context(), p.Scope())
		if err != nil {
			return err
		}
		for _, x := range rs {
			if x.Level == region.Township && x.Code != p.Region {
				pg.Choices = append(pg.Choices, struct{ Code, Label string }{string(x.Code), x.Name})
			}
		}
	}
	yuan := func(v float64) string { return money.Fen(int64(v*100 + 0.5)).Yuan() }

	// Recipients by category, urban and rural stacked.
	var cats []string
	var urban, rural []float64
	for _, x := range c.ByCategory {
		pg.Cats = append(pg.Cats, struct {
			stats.CategoryRow
			Amount string
		}{x, x.Amount.Yuan()})
		cats = append(cats, x.Label)
		urban = append(urban, float64(x.UrbanHouseholds))
		rural = append(rural, float64(x.RuralHouseholds))
	}
	pg.Charts["category"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-category", Title: "保障对象按类别和城乡（户）",
		XLabel: "保障类别", YLabel: "户数", Categories: cats, Stacked: true,
		Series: []chart.Series{{Name: "城市", Values: urban}, {Name: "农村", Values: rural}}}))

	var sups []string
	var supN []float64
	for _, x := range c.BySupplement {
		sups = append(sups, x.Label)
		supN = append(supN, float64(x.Households))
	}
	pg.Charts["supplement"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-supplement", Title: "享受分类施保的家庭（户）",
		XLabel: "分类施保类别", YLabel: "户数", Categories: sups, Series: []chart.Series{{Name: "户数", Values: supN}}}))

	var towns []string
	var tu, tr, ta []float64
	for _, x := range c.ByTownship {
		n := names[x.Code]
		if n == "" {
			n = string(x.Code)
		}
		pg.Towns = append(pg.Towns, struct {
			stats.TownshipRow
			Name, Amount string
		}{x, n, x.Amount.Yuan()})
		towns = append(towns, n)
		tu = append(tu, float64(x.Urban))
		tr = append(tr, float64(x.Rural))
		ta = append(ta, yuanFloat(x.Amount))
	}
	pg.Charts["township"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-township", Title: "各乡镇保障户数（城市／农村）",
		XLabel: "乡镇（街道）", YLabel: "户数", Categories: towns, Stacked: true, Width: 880,
		Series: []chart.Series{{Name: "城市", Values: tu}, {Name: "农村", Values: tr}}}))
	pg.Charts["township_amount"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-township-amount", Title: "各乡镇月保障金合计（元）",
		XLabel: "乡镇（街道）", YLabel: "金额（元）", Categories: towns, Format: yuan, Width: 880,
		Series: []chart.Series{{Name: "月保障金", Values: ta}}}))

	var months []string
	var ma []float64
	for _, x := range c.Months {
		pg.Months = append(pg.Months, struct {
			stats.MonthRow
			Amount string
		}{x, x.Amount.Yuan()})
		months = append(months, x.Month)
		ma = append(ma, yuanFloat(x.Amount))
	}
	title := "月度保障资金（发放名册合计，元）"
	if c.MonthsSource == "register" {
		title = "月度保障资金（按保障对象名册测算，元）"
	}
	pg.Charts["months"] = template.HTML(chart.Line(chart.Chart{ID: "chart-months", Title: title, XLabel: "月份",
		YLabel: "金额（元）", Categories: months, Format: yuan, Width: 880, Series: []chart.Series{{Name: "资金", Values: ma}}}))

	titles := map[string]string{}
	for _, d := range workflow.Profiles() {
		if d.Name != workflow.ProfileSeed {
			titles[d.Name] = d.Title
		}
	}
	var stages, openStages, medStages []string
	var sc, so, sd, sm []float64
	for _, x := range c.Stages {
		n := x.Label
		if t := titles[x.Profile]; t != "" {
			n += "（" + t + "）"
		}
		row := countyStageRow{StageRow: x, Name: n, Median: "—"}
		if x.Samples > 0 {
			row.Median = strconv.FormatFloat(x.MedianDays, 'f', 1, 64)
			medStages = append(medStages, n)
			sm = append(sm, x.MedianDays)
		}
		pg.Stages = append(pg.Stages, row)
		if x.Cases > 0 {
			stages = append(stages, n)
			sc = append(sc, float64(x.Cases))
		}
		if !x.Terminal && x.Cases > 0 {
			openStages = append(openStages, n)
			so = append(so, float64(x.Overdue))
			sd = append(sd, float64(x.DueSoon))
		}
	}
	pg.Charts["stages"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-stages", Title: "低保申请按办理环节（件）",
		XLabel: "办理环节", YLabel: "件数", Categories: stages, Width: 880,
		Series: []chart.Series{{Name: "件数", Values: sc}}}))
	pg.Charts["overdue"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-overdue", Title: "办理中申请的期限（件）",
		XLabel: "办理环节", YLabel: "件数", Categories: openStages, Width: 880,
		Series: []chart.Series{{Name: "已逾期", Values: so}, {Name: "4日内到期", Values: sd}}}))
	pg.Charts["median"] = template.HTML(chart.Bar(chart.Chart{ID: "chart-median", Title: "各环节办理天数中位数（天）",
		XLabel: "办理环节", YLabel: "天", Categories: medStages, Width: 880,
		Series: []chart.Series{{Name: "中位天数", Values: sm}}}))

	s.render(w, r, p, http.StatusOK, "county_dashboard", "统计分析",
		[]crumb{{Label: "统计分析", Href: "/county"}, {Label: pg.Name}}, pg)
	return nil
}
