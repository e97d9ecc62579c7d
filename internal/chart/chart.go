// Package chart draws simple, accessible charts as server-side SVG: bar
// charts (single, grouped or stacked series) and line charts. Output is
// deterministic (same input, same bytes), needs no script, and carries its
// meaning as text: a <title> and <desc>, axis labels, tick values and each
// value printed next to its bar or point, so a screen reader or a printout
// loses nothing. Pages show the table behind each chart as well.
package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Series is one named row of values, one per category (bar) or label
// (line); a missing value is 0.
type Series struct {
	Name   string
	Values []float64
}

// Chart describes a chart. ID must be unique on the page (it names the
// title and description for aria-labelledby).
type Chart struct {
	ID         string
	Title      string
	Desc       string   // a sentence describing the data; generated when empty
	XLabel     string   // axis title under the categories
	YLabel     string   // axis title of the values
	Categories []string // bar groups or line points, left to right
	Series     []Series
	Stacked    bool                 // bars: stack the series instead of grouping them
	Format     func(float64) string // value labels; default: up to two decimals
	Width      int                  // default 640
	Height     int                  // default 320
}

// Palette is the series colours, in order (colour-blind safe, Okabe–Ito).
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const (
	marginLeft   = 64
	marginRight  = 16
	marginTop    = 40
	marginBottom = 64
	legendHeight = 20
)

type frame struct {
	c          Chart
	w, h       int
	x0, y0, x1 float64 // plot area: x0..x1 horizontally, y0 top
	y1         float64 // plot bottom
	max        float64
	ticks      []float64
	b          strings.Builder
	hasLegend  bool
}

func (c Chart) format(v float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return Number(v)
}

// Number formats v with at most two decimals and no trailing zeros.
func Number(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func esc(s string) string { return html.EscapeString(s) }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// NiceMax rounds a positive maximum up to 1, 2, 2.5 or 5 times a power of
// ten, the axis top; 1 for a maximum of 0 or less.
func NiceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v-1e-9*p {
			return m * p
		}
	}
	return 10 * p
}

func (c Chart) value(s Series, i int) float64 {
	if i < len(s.Values) {
		v := s.Values[i]
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0
		}
		return v
	}
	return 0
}

func newFrame(c Chart, max float64) *frame {
	f := &frame{c: c, w: c.Width, h: c.Height}
	if f.w <= 0 {
		f.w = 640
	}
	if f.h <= 0 {
		f.h = 320
	}
	f.hasLegend = len(c.Series) > 1
	f.x0, f.x1 = marginLeft, float64(f.w-marginRight)
	f.y0, f.y1 = marginTop, float64(f.h-marginBottom)
	if f.hasLegend {
		f.y0 += legendHeight
	}
	f.max = NiceMax(max)
	for i := 0; i <= 4; i++ {
		f.ticks = append(f.ticks, f.max*float64(i)/4)
	}
	return f
}

func (f *frame) y(v float64) float64 { return f.y1 - (f.y1-f.y0)*v/f.max }

func (f *frame) desc() string {
	if f.c.Desc != "" {
		return f.c.Desc
	}
	var parts []string
	for _, s := range f.c.Series {
		var vals []string
		for i, cat := range f.c.Categories {
			vals = append(vals, cat+" "+f.c.format(f.c.value(s, i)))
		}
		p := strings.Join(vals, "，")
		if s.Name != "" {
			p = s.Name + "：" + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "；")
}

func (f *frame) open(kind string) {
	id := esc(f.c.ID)
	fmt.Fprintf(&f.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" id="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title %s-desc" font-family="sans-serif" font-size="12">`,
		kind, id, f.w, f.h, f.w, f.h, id, id)
	fmt.Fprintf(&f.b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(f.c.Title), id, esc(f.desc()))
	fmt.Fprintf(&f.b, `<text class="chart-title" x="%d" y="20" text-anchor="middle" font-size="14" font-weight="bold">%s</text>`,
		f.w/2, esc(f.c.Title))
	if f.hasLegend {
		x := f.x0
		for i, s := range f.c.Series {
			fmt.Fprintf(&f.b, `<g class="legend-item"><rect x="%s" y="30" width="12" height="12" fill="%s"/><text x="%s" y="40">%s</text></g>`,
				f1(x), Palette[i%len(Palette)], f1(x+16), esc(s.Name))
			x += 16 + float64(12*runeWidth(s.Name)) + 20
		}
	}
	// Grid, ticks and the value axis.
	f.b.WriteString(`<g class="axis axis-y">`)
	for _, t := range f.ticks {
		y := f.y(t)
		fmt.Fprintf(&f.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/><text x="%s" y="%s" text-anchor="end">%s</text>`,
			f1(f.x0), f1(y), f1(f.x1), f1(y), f1(f.x0-6), f1(y+4), esc(f.c.format(t)))
	}
	fmt.Fprintf(&f.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333"/>`, f1(f.x0), f1(f.y0), f1(f.x0), f1(f.y1))
	if f.c.YLabel != "" {
		cy := (f.y0 + f.y1) / 2
		fmt.Fprintf(&f.b, `<text class="axis-label" x="14" y="%s" text-anchor="middle" transform="rotate(-90 14 %s)">%s</text>`,
			f1(cy), f1(cy), esc(f.c.YLabel))
	}
	f.b.WriteString(`</g>`)
	fmt.Fprintf(&f.b, `<g class="axis axis-x"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333"/>`, f1(f.x0), f1(f.y1), f1(f.x1), f1(f.y1))
	if f.c.XLabel != "" {
		fmt.Fprintf(&f.b, `<text class="axis-label" x="%s" y="%d" text-anchor="middle">%s</text>`, f1((f.x0+f.x1)/2), f.h-8, esc(f.c.XLabel))
	}
	f.b.WriteString(`</g>`)
}

// runeWidth counts a CJK character as two columns of a Latin one.
func runeWidth(s string) int {
	n := 0
	for _, r := range s {
		if r > 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return (n + 1) / 2
}

// category writes a category label under the axis, shortened with "…"
// when it is wider than its band (the full label stays in the bars'
// titles, the description and the table beside the chart).
func (f *frame) category(x, band float64, label string) {
	fmt.Fprintf(&f.b, `<text class="category" x="%s" y="%s" text-anchor="middle">%s</text>`, f1(x), f1(f.y1+18),
		esc(fit(label, band)))
}

// fit shortens s to about width pixels at 12px (CJK characters 12px wide,
// others 7px).
func fit(s string, width float64) string {
	w := 0.0
	rs := []rune(s)
	for i, r := range rs {
		cw := 7.0
		if r > 0x2E80 {
			cw = 12
		}
		if w+cw > width-4 {
			if i == 0 {
				return s
			}
			return string(rs[:i-1]) + "…"
		}
		w += cw
	}
	return s
}

func (f *frame) close() string {
	f.b.WriteString(`</svg>`)
	return f.b.String()
}

// Bar draws a bar chart: one group per category with a bar per series
// side by side, or one stacked bar per category when c.Stacked. Each bar
// is labelled with its value (a stacked bar also with its total).
func Bar(c Chart) string {
	max := 0.0
	for i := range c.Categories {
		sum := 0.0
		for _, s := range c.Series {
			v := c.value(s, i)
			sum += v
			if !c.Stacked {
				max = math.Max(max, v)
			}
		}
		if c.Stacked {
			max = math.Max(max, sum)
		}
	}
	f := newFrame(c, max)
	f.open("bar")
	n := len(c.Categories)
	if n == 0 {
		fmt.Fprintf(&f.b, `<text x="%d" y="%s" text-anchor="middle">暂无数据</text>`, f.w/2, f1((f.y0+f.y1)/2))
		return f.close()
	}
	band := (f.x1 - f.x0) / float64(n)
	inner := band * 0.7
	ns := max1(len(c.Series))
	for i, cat := range c.Categories {
		left := f.x0 + band*float64(i) + (band-inner)/2
		fmt.Fprintf(&f.b, `<g class="bar-group" data-category="%s">`, esc(cat))
		if c.Stacked {
			base := 0.0
			for k, s := range c.Series {
				v := c.value(s, i)
				if v > 0 {
					top, bottom := f.y(base+v), f.y(base)
					fmt.Fprintf(&f.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
						f1(left), f1(top), f1(inner), f1(bottom-top), Palette[k%len(Palette)], esc(barTitle(cat, s.Name, c.format(v))))
					if bottom-top >= 14 {
						fmt.Fprintf(&f.b, `<text class="value" x="%s" y="%s" text-anchor="middle" fill="#fff">%s</text>`,
							f1(left+inner/2), f1((top+bottom)/2+4), esc(c.format(v)))
					}
				}
				base += v
			}
			fmt.Fprintf(&f.b, `<text class="value total" x="%s" y="%s" text-anchor="middle">%s</text>`,
				f1(left+inner/2), f1(f.y(base)-4), esc(c.format(base)))
		} else {
			w := inner / float64(ns)
			for k, s := range c.Series {
				v := c.value(s, i)
				x, top := left+w*float64(k), f.y(v)
				fmt.Fprintf(&f.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
					f1(x), f1(top), f1(w), f1(f.y1-top), Palette[k%len(Palette)], esc(barTitle(cat, s.Name, c.format(v))))
				fmt.Fprintf(&f.b, `<text class="value" x="%s" y="%s" text-anchor="middle">%s</text>`,
					f1(x+w/2), f1(top-4), esc(c.format(v)))
			}
		}
		f.b.WriteString(`</g>`)
		f.category(left+inner/2, band, cat)
	}
	return f.close()
}

func barTitle(cat, series, v string) string {
	if series == "" {
		return cat + "：" + v
	}
	return cat + " " + series + "：" + v
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// Line draws a line chart: one polyline per series through its values at
// the categories, each point marked and labelled with its value.
func Line(c Chart) string {
	max := 0.0
	for _, s := range c.Series {
		for i := range c.Categories {
			max = math.Max(max, c.value(s, i))
		}
	}
	f := newFrame(c, max)
	f.open("line")
	n := len(c.Categories)
	if n == 0 {
		fmt.Fprintf(&f.b, `<text x="%d" y="%s" text-anchor="middle">暂无数据</text>`, f.w/2, f1((f.y0+f.y1)/2))
		return f.close()
	}
	band := (f.x1 - f.x0) / float64(n)
	x := func(i int) float64 { return f.x0 + band*(float64(i)+0.5) }
	// Label every category when they fit, else about eight of them.
	step := 1
	if n > 12 {
		step = (n + 7) / 8
	}
	for i, cat := range c.Categories {
		if i%step == 0 || i == n-1 {
			f.category(x(i), band*float64(step), cat)
		}
	}
	for k, s := range c.Series {
		col := Palette[k%len(Palette)]
		pts := make([]string, n)
		for i := range c.Categories {
			pts[i] = f1(x(i)) + "," + f1(f.y(c.value(s, i)))
		}
		fmt.Fprintf(&f.b, `<g class="series" data-series="%s"><polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`,
			esc(s.Name), col, strings.Join(pts, " "))
		for i, cat := range c.Categories {
			v := c.value(s, i)
			fmt.Fprintf(&f.b, `<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s</title></circle>`,
				f1(x(i)), f1(f.y(v)), col, esc(barTitle(cat, s.Name, c.format(v))))
			if i%step == 0 || i == n-1 {
				fmt.Fprintf(&f.b, `<text class="value" x="%s" y="%s" text-anchor="middle">%s</text>`,
					f1(x(i)), f1(f.y(v)-8), esc(c.format(v)))
			}
		}
		f.b.WriteString(`</g>`)
	}
	return f.close()
}
