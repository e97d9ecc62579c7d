package chart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed parses the SVG as XML, failing on any syntax error.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func TestBarAccessibleAndDeterministic(t *testing.T) {
	c := Chart{ID: "by-cat", Title: "按类别<户>", XLabel: "保障类别", YLabel: "户数",
		Categories: []string{"A类", "B类"}, Series: []Series{{Name: "户数", Values: []float64{12, 3}}}}
	svg := Bar(c)
	wellFormed(t, svg)
	for _, want := range []string{
		`role="img"`, `aria-labelledby="by-cat-title by-cat-desc"`,
		`<title id="by-cat-title">按类别&lt;户&gt;</title>`,
		`<desc id="by-cat-desc">户数：A类 12，B类 3</desc>`,
		`>保障类别</text>`, `>户数</text>`, // axis labels
		`<text class="value" `, `>12</text>`, `>3</text>`, // values
		`<title>A类 户数：12</title>`,
		`>20</text>`, // the axis top: 12 rounds up to 20
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("bar chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "<script") || strings.Contains(svg, "onclick") {
		t.Error("chart must not carry script")
	}
	if Bar(c) != svg {
		t.Error("the same chart drew different output")
	}
	if got := strings.Count(svg, "<rect "); got != 2 {
		t.Errorf("%d bars, want 2", got)
	}
}

func TestBarGroupedAndStacked(t *testing.T) {
	c := Chart{ID: "g", Title: "城乡", Categories: []string{"甲镇", "乙镇"},
		Series: []Series{{Name: "城市", Values: []float64{4, 1}}, {Name: "农村", Values: []float64{6}}}}
	g := Bar(c)
	wellFormed(t, g)
	// Legend, one bar per series and category; the missing value is 0.
	for _, want := range []string{`class="legend-item"`, `>城市</text>`, `>农村</text>`, `<title>乙镇 农村：0</title>`} {
		if !strings.Contains(g, want) {
			t.Errorf("grouped chart lacks %q", want)
		}
	}
	if n := strings.Count(g, "<rect "); n != 2+4 { // 2 legend swatches + 4 bars
		t.Errorf("grouped: %d rects, want 6", n)
	}
	c.Stacked = true
	s := Bar(c)
	wellFormed(t, s)
	// Stacked: zero-height segments are left out; totals are printed.
	if n := strings.Count(s, "<rect "); n != 2+3 {
		t.Errorf("stacked: %d rects, want 5", n)
	}
	for _, want := range []string{`class="value total"`, `>10</text>`, `>1</text>`} {
		if !strings.Contains(s, want) {
			t.Errorf("stacked chart lacks %q", want)
		}
	}
}

func TestLine(t *testing.T) {
	c := Chart{ID: "months", Title: "月度资金", XLabel: "月份", YLabel: "金额（元）",
		Categories: []string{"2026-01", "2026-02", "2026-03"},
		Series:     []Series{{Name: "发放总额", Values: []float64{1000.5, 1200, 900}}}}
	svg := Line(c)
	wellFormed(t, svg)
	for _, want := range []string{`<polyline`, `>1000.5</text>`, `>1200</text>`, `>2026-02</text>`, `>金额（元）</text>`,
		`<title>2026-03 发放总额：900</title>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("line chart lacks %q", want)
		}
	}
	if n := strings.Count(svg, "<circle"); n != 3 {
		t.Errorf("%d points, want 3", n)
	}
	if Line(c) != svg {
		t.Error("not deterministic")
	}
}

func TestEmptyAndNiceMax(t *testing.T) {
	for _, svg := range []string{Bar(Chart{ID: "e", Title: "空"}), Line(Chart{ID: "e", Title: "空"})} {
		wellFormed(t, svg)
		if !strings.Contains(svg, "暂无数据") {
			t.Errorf("empty chart does not say so: %s", svg)
		}
	}
	for _, c := range []struct{ in, want float64 }{{0, 1}, {-3, 1}, {1, 1}, {3, 5}, {12, 20}, {21, 25}, {101, 200}, {0.3, 0.5}, {900, 1000}} {
		if got := NiceMax(c.in); got != c.want {
			t.Errorf("NiceMax(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if Number(2.50) != "2.5" || Number(3) != "3" || Number(1234.567) != "1234.57" {
		t.Error("Number formats wrongly")
	}
}

func TestLongCategoriesAreShortened(t *testing.T) {
	long := "已受理，待转交乡镇人民政府"
	svg := Bar(Chart{ID: "s", Title: "环节", Width: 400, Categories: []string{long, "b", "c", "d", "e", "f"},
		Series: []Series{{Name: "件数", Values: []float64{1, 2, 3, 4, 5, 6}}}})
	wellFormed(t, svg)
	if strings.Contains(svg, `class="category" x="`) && strings.Contains(svg, ">"+long+"</text>") {
		t.Error("a label wider than its band was not shortened")
	}
	if !strings.Contains(svg, "…</text>") || !strings.Contains(svg, "<title>"+long+" 件数：1</title>") {
		t.Errorf("shortened label or full title missing:\n%s", svg)
	}
	if got := fit("A类", 100); got != "A类" {
		t.Errorf("fit shortened a short label: %q", got)
	}
}
