package workflow

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Layout constants of the diagram, in SVG user units (px at 100 %).
const (
	svgMargin    = 24.0
	svgTitleH    = 40.0
	svgGapX      = 36.0  // between boxes in a layer
	svgLabelFont = 12.0  // edge labels and activities
	svgStateFont = 14.0  // state labels
	svgSubFont   = 11.0  // role and deadline line
	svgPadX      = 14.0  // inside a box
	svgMinBoxW   = 150.0 // so that short labels still make a clear box
	svgLaneStep  = 16.0  // between send-back lanes
	svgRowH      = 20.0  // one row of edge labels in a gap
	svgBendH     = 22.0  // the part of a gap where edges bend sideways
	svgFontStack = `"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif`
)

// SVG draws the definition as a top-down layered diagram: states are
// rounded boxes in the definition's order, the main path (the first
// state-changing transition of each state) runs straight down the middle,
// side outcomes branch to the right, and send-backs are drawn as orange
// lanes beside the main path. Activities are listed inside their states'
// boxes rather than drawn as self-loops, and transitions open from any
// state (withdrawal, termination, extension) are shown once in a panel at
// the top left. current, if not empty, is highlighted. The output is
// deterministic for a given definition; render only validated ones.
func SVG(d Definition, current string) []byte {
	l := layout(d, current)
	return l.render()
}

type svgNode struct {
	id     string
	state  State
	dummy  bool // a bend point of a long edge
	spine  bool
	rank   int
	order  int // index in d.States, or for dummies the edge's
	x      float64
	y      float64 // top
	w, h   float64
	acts   []string
	preds  []*svgNode
	leftP  []*svgPort
	rightP []*svgPort
}

type svgPort struct {
	e    *svgEdge
	exit bool
	y    float64
}

type svgEdge struct {
	from, to *svgNode
	label    string
	back     bool
	spine    bool
	side     int // back edges: -1 left lane, +1 right lane, 0 direct curve
	lane     float64
	dummies  []*svgNode
	labelX   float64
	labelY   float64
	gapRow   int
	x1, x2   float64 // forward edges: x of the ports on the source and target
}

type svgLayout struct {
	title   string
	current string
	nodes   []*svgNode // states in the graph, in definition order
	byID    map[string]*svgNode
	edges   []*svgEdge
	layers  [][]*svgNode
	layerY  []float64
	layerH  []float64
	gapRows []int
	spineX  float64
	spineW  float64
	panel   svgPanel
	width   float64
	height  float64
}

// svgPanel holds the transitions open from any state.
type svgPanel struct {
	x, y, w, h float64
	acts       []string
	targets    []*svgNode
	labels     []string
}

func layout(d Definition, current string) *svgLayout {
	l := &svgLayout{title: d.Title, current: current, byID: map[string]*svgNode{}}
	index := map[string]int{}
	for i, s := range d.States {
		index[s.ID] = i
	}
	// States entered only from AnyOpen transitions go to the panel.
	explicitIn := map[string]bool{d.Initial: true}
	for _, t := range d.Transitions {
		if !t.IsActivity() && !slices.Contains(t.From, AnyOpen) {
			explicitIn[t.To] = true
		}
	}
	for i, s := range d.States {
		n := &svgNode{id: s.ID, state: s, order: i}
		for _, t := range d.Transitions {
			if t.IsActivity() && slices.Contains(t.From, s.ID) {
				n.acts = append(n.acts, t.Label)
			}
		}
		l.byID[s.ID] = n
		if explicitIn[s.ID] {
			l.nodes = append(l.nodes, n)
		} else {
			l.panel.targets = append(l.panel.targets, n)
		}
	}
	for _, t := range d.Transitions {
		if !slices.Contains(t.From, AnyOpen) {
			continue
		}
		if t.IsActivity() {
			l.panel.acts = append(l.panel.acts, t.Label)
			continue
		}
		if i := slices.IndexFunc(l.panel.targets, func(n *svgNode) bool { return n.id == t.To }); i >= 0 {
			for len(l.panel.labels) <= i {
				l.panel.labels = append(l.panel.labels, "")
			}
			l.panel.labels[i] = joinLabel(l.panel.labels[i], t.Label)
		}
	}

	// Edges, one per (from, to) pair; a send-back is any edge that goes to
	// a state listed earlier, which the author lists in process order.
	for _, t := range d.Transitions {
		if t.IsActivity() || slices.Contains(t.From, AnyOpen) {
			continue
		}
		to := l.byID[t.To]
		for _, f := range t.From {
			from := l.byID[f]
			if from == nil || to == nil {
				continue
			}
			i := slices.IndexFunc(l.edges, func(e *svgEdge) bool { return e.from == from && e.to == to })
			if i >= 0 {
				l.edges[i].label = joinLabel(l.edges[i].label, t.Label)
				continue
			}
			l.edges = append(l.edges, &svgEdge{from: from, to: to, label: t.Label, back: index[t.To] <= index[f]})
		}
	}

	// The main path: from the initial state, always the first forward edge.
	if n := l.byID[d.Initial]; n != nil {
		n.spine = true
		for cur := n; ; {
			i := slices.IndexFunc(l.edges, func(e *svgEdge) bool { return e.from == cur && !e.back && !e.to.spine })
			if i < 0 {
				break
			}
			l.edges[i].spine = true
			cur = l.edges[i].to
			cur.spine = true
		}
	}

	// Ranks: longest path over forward edges; definition order is a
	// topological order of them by construction.
	for _, n := range l.nodes {
		for _, e := range l.edges {
			if e.to == n && !e.back {
				n.rank = max(n.rank, e.from.rank+1)
				n.preds = append(n.preds, e.from)
			}
		}
	}
	maxRank := 0
	for _, n := range l.nodes {
		maxRank = max(maxRank, n.rank)
	}
	l.layers = make([][]*svgNode, maxRank+1)
	for _, n := range l.nodes {
		n.w, n.h = nodeSize(n)
		l.layers[n.rank] = append(l.layers[n.rank], n)
	}
	// Long forward edges get a bend point in every layer they cross; the
	// first carries the label, so the label's room is reserved.
	for ei, e := range l.edges {
		if e.back || e.to.rank-e.from.rank <= 1 {
			continue
		}
		prev := e.from
		for r := e.from.rank + 1; r < e.to.rank; r++ {
			dm := &svgNode{id: fmt.Sprintf("edge%d_%d", ei, r), dummy: true, spine: e.spine, rank: r,
				order: len(l.byID) + ei, preds: []*svgNode{prev}, w: 10}
			if r == e.from.rank+1 { // carries the label, so reserve its room
				dm.w = textWidth(e.label, svgLabelFont) + 12
			}
			e.dummies = append(e.dummies, dm)
			l.layers[r] = append(l.layers[r], dm)
			prev = dm
		}
		e.to.preds = slices.DeleteFunc(e.to.preds, func(p *svgNode) bool { return p == e.from })
		e.to.preds = append(e.to.preds, prev)
	}

	// Horizontal: the main path in one column; everything else to its
	// right, as close above-aligned to its predecessors as it may be.
	for _, layer := range l.layers {
		for _, n := range layer {
			if n.spine {
				l.spineW = max(l.spineW, n.w)
			}
		}
	}
	for _, layer := range l.layers {
		var side []*svgNode
		for _, n := range layer {
			if n.spine {
				n.x = l.spineX
			} else {
				side = append(side, n)
			}
		}
		want := func(n *svgNode) float64 {
			if len(n.preds) == 0 {
				return math.Inf(1)
			}
			s := 0.0
			for _, p := range n.preds {
				s += p.x
			}
			return s / float64(len(n.preds))
		}
		slices.SortStableFunc(side, func(a, b *svgNode) int {
			if c := cmpFloat(want(a), want(b)); c != 0 {
				return c
			}
			return a.order - b.order
		})
		cursor := l.spineX + l.spineW/2 + svgGapX
		for _, n := range side {
			x := cursor + n.w/2
			if w := want(n); !math.IsInf(w, 1) && w > x {
				x = w
			}
			n.x = x
			cursor = x + n.w/2 + svgGapX
		}
	}

	// Forward-edge ports: shifted toward the other end so that a fan of
	// edges leaves one box at distinct points while the main path stays
	// straight.
	for _, e := range l.edges {
		if e.back {
			continue
		}
		first, last := e.to, e.from
		if len(e.dummies) > 0 {
			first, last = e.dummies[0], e.dummies[len(e.dummies)-1]
		}
		e.x1 = e.from.x + clamp((first.x-e.from.x)*0.15, -e.from.w/2+12, e.from.w/2-12)
		e.x2 = e.to.x + clamp((last.x-e.to.x)*0.15, -e.to.w/2+12, e.to.w/2-12)
	}

	// Edge labels between adjacent layers sit just above the target, where
	// a fan of edges has spread out; rows stack upwards so they never
	// overlap.
	l.gapRows = make([]int, len(l.layers))
	type placed struct{ lo, hi float64 }
	rows := make([][][]placed, len(l.layers))
	var short []*svgEdge
	for _, e := range l.edges {
		if !e.back && len(e.dummies) == 0 {
			short = append(short, e)
		}
	}
	slices.SortStableFunc(short, func(a, b *svgEdge) int { return cmpFloat(a.x2, b.x2) })
	for _, e := range short {
		g := e.from.rank
		w := textWidth(e.label, svgLabelFont) + 8
		lo, hi := e.x2-w/2, e.x2+w/2
		r := 0
		for ; r < len(rows[g]); r++ {
			if !slices.ContainsFunc(rows[g][r], func(p placed) bool { return lo < p.hi+6 && p.lo < hi+6 }) {
				break
			}
		}
		if r == len(rows[g]) {
			rows[g] = append(rows[g], nil)
		}
		rows[g][r] = append(rows[g][r], placed{lo, hi})
		e.gapRow = r
		l.gapRows[g] = max(l.gapRows[g], r+1)
	}

	l.routeBackEdges()

	// Vertical positions; a box grows so its send-back ports, each exit
	// with its label above, get 20 units apiece.
	for _, n := range l.nodes {
		n.h = max(n.h, 12+20*float64(max(len(n.leftP), len(n.rightP))))
	}
	l.layerY = make([]float64, len(l.layers))
	l.layerH = make([]float64, len(l.layers))
	y := svgMargin + svgTitleH
	for r, layer := range l.layers {
		for _, n := range layer {
			if !n.dummy {
				l.layerH[r] = max(l.layerH[r], n.h)
			}
		}
		l.layerH[r] = max(l.layerH[r], 30)
		l.layerY[r] = y
		for _, n := range layer {
			if n.dummy {
				n.y, n.h = y, l.layerH[r]
			} else {
				n.y = y + (l.layerH[r]-n.h)/2
			}
		}
		y += l.layerH[r] + l.gapHeight(r)
	}

	l.placePorts()
	l.placeLabels()
	l.placePanel()
	l.fit()
	return l
}

// A gap between layers is a zone where edges bend (svgBendH), then one row
// per stacked label, where every short edge runs straight down into its
// target, then room for the arrowhead.
func (l *svgLayout) gapHeight(r int) float64 {
	return svgBendH + float64(max(1, l.gapRows[r]))*svgRowH + 10
}

// labelZoneTop is where the straight, labelled part of the edges below
// layer r begins.
func (l *svgLayout) labelZoneTop(r int) float64 {
	return l.layerY[r] + l.layerH[r] + svgBendH
}

// routeBackEdges assigns lanes: between two main-path states on the left,
// nested by span so they do not cross; into a side state on the right; and
// from a side state as a direct curve.
func (l *svgLayout) routeBackEdges() {
	var left, right []*svgEdge
	labelRoomL, labelRoomR := 0.0, 0.0
	for _, e := range l.edges {
		if !e.back {
			continue
		}
		switch {
		case !e.from.spine:
			e.side = 0
		case e.to.spine:
			e.side = -1
			left = append(left, e)
			labelRoomL = max(labelRoomL, textWidth(e.label, svgLabelFont)+20)
		default:
			e.side = 1
			right = append(right, e)
			labelRoomR = max(labelRoomR, textWidth(e.label, svgLabelFont)+20)
		}
	}
	span := func(e *svgEdge) int { return e.from.rank - e.to.rank }
	bySpan := func(a, b *svgEdge) int {
		if c := span(a) - span(b); c != 0 {
			return c
		}
		return a.from.rank - b.from.rank
	}
	slices.SortStableFunc(left, bySpan)
	slices.SortStableFunc(right, bySpan)
	for i, e := range left {
		e.lane = l.spineX - l.spineW/2 - labelRoomL - float64(i)*svgLaneStep
		e.from.leftP = append(e.from.leftP, &svgPort{e: e, exit: true})
		e.to.leftP = append(e.to.leftP, &svgPort{e: e})
	}
	for i, e := range right {
		edge := 0.0
		for r := e.to.rank; r <= e.from.rank; r++ {
			for _, n := range l.layers[r] {
				edge = max(edge, n.x+n.w/2)
			}
		}
		e.lane = edge + labelRoomR + float64(i)*svgLaneStep
		e.from.rightP = append(e.from.rightP, &svgPort{e: e, exit: true})
		e.to.rightP = append(e.to.rightP, &svgPort{e: e})
	}
	for _, e := range l.edges {
		if e.back && e.side == 0 {
			e.to.rightP = append(e.to.rightP, &svgPort{e: e})
		}
	}
}

// placePorts spreads the send-back ports along each box side. Order, top
// to bottom: entries from outer lanes first, then inner; exits to inner
// lanes first, then outer — the order in which horizontal segments do not
// cross their own lanes. Exits sit below entries because each carries its
// label above its line.
func (l *svgLayout) placePorts() {
	for _, n := range l.nodes {
		for _, ports := range [][]*svgPort{n.leftP, n.rightP} {
			slices.SortStableFunc(ports, func(a, b *svgPort) int {
				if a.exit != b.exit {
					if a.exit {
						return 1
					}
					return -1
				}
				da, db := math.Abs(a.e.lane-n.x), math.Abs(b.e.lane-n.x)
				if a.exit {
					return cmpFloat(da, db)
				}
				return cmpFloat(db, da)
			})
			k := float64(len(ports))
			step := min(28, (n.h-12)/k)
			top := n.y + n.h/2 - step*(k-1)/2 + 4
			for i, p := range ports {
				p.y = top + step*float64(i)
			}
		}
	}
}

func (l *svgLayout) port(n *svgNode, e *svgEdge, side int) float64 {
	ports := n.leftP
	if side > 0 {
		ports = n.rightP
	}
	for _, p := range ports {
		if p.e == e {
			return p.y
		}
	}
	return n.y + n.h/2
}

func (l *svgLayout) placeLabels() {
	for _, e := range l.edges {
		switch {
		case e.back && e.side == -1:
			e.labelX = e.from.x - e.from.w/2 - 10
			e.labelY = l.port(e.from, e, -1) - 5
		case e.back && e.side == 1:
			e.labelX = e.from.x + e.from.w/2 + 10
			e.labelY = l.port(e.from, e, 1) - 5
		case e.back:
			p0, p1, p2, p3 := l.directCurve(e)
			e.labelX, e.labelY = bezier(p0, p1, p2, p3, 0.5)
		case len(e.dummies) > 0:
			d := e.dummies[0]
			e.labelX, e.labelY = d.x, d.y+d.h/2
		default:
			e.labelX = e.x2
			e.labelY = l.labelZoneTop(e.from.rank) + svgRowH/2 + float64(e.gapRow)*svgRowH
		}
	}
}

type pt struct{ x, y float64 }

func (l *svgLayout) forwardCurve(x1, y1, x2, y2 float64) (pt, pt, pt, pt) {
	m := (y1 + y2) / 2
	return pt{x1, y1}, pt{x1, m}, pt{x2, m}, pt{x2, y2}
}

// directCurve is a send-back from a side state: from its top up into the
// right side of the target.
func (l *svgLayout) directCurve(e *svgEdge) (pt, pt, pt, pt) {
	sx, sy := e.from.x+e.from.w/4, e.from.y
	tx, ty := e.to.x+e.to.w/2, l.port(e.to, e, 1)
	return pt{sx, sy}, pt{sx, ty}, pt{sx, ty}, pt{tx + 2, ty}
}

func bezier(p0, p1, p2, p3 pt, t float64) (float64, float64) {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return a*p0.x + b*p1.x + c*p2.x + d*p3.x, a*p0.y + b*p1.y + c*p2.y + d*p3.y
}

// placePanel puts the any-state panel at the top left, beside the first
// states and clear of the send-back lanes, which start lower down.
func (l *svgLayout) placePanel() {
	p := &l.panel
	if len(p.targets) == 0 && len(p.acts) == 0 {
		return
	}
	headW := textWidth("任一办理中状态", svgStateFont) + 2*svgPadX
	for _, a := range p.acts {
		headW = max(headW, textWidth("◦ "+a, svgLabelFont)+2*svgPadX)
	}
	headH := 34 + float64(len(p.acts))*17
	slot := func(i int) float64 {
		w := p.targets[i].w
		if i < len(p.labels) {
			w = max(w, textWidth(p.labels[i], svgLabelFont)+12)
		}
		return w
	}
	rowW, targetH := 0.0, 0.0
	for i, n := range p.targets {
		n.w, n.h = nodeSize(n)
		rowW += slot(i)
		targetH = max(targetH, n.h)
	}
	rowW += svgGapX * float64(max(0, len(p.targets)-1))
	p.w = max(headW, rowW)
	p.y = svgMargin + svgTitleH
	bottom := p.y + headH + 64 + targetH
	right := l.spineX - l.spineW/2 - 50
	for _, e := range l.edges {
		if e.back && e.side < 0 && l.port(e.to, e, -1) < bottom+30 {
			right = min(right, e.lane-40)
		}
	}
	p.x = right - p.w
	x := p.x + (p.w-rowW)/2
	for i, n := range p.targets {
		n.x = x + slot(i)/2
		n.y = p.y + headH + 64 + (targetH-n.h)/2
		x += slot(i) + svgGapX
	}
	p.h = headH // the head box alone; the targets are drawn as states
}

// fit shifts everything so the drawing starts at the margin and records
// the canvas size.
func (l *svgLayout) fit() {
	minX, maxX, maxY := math.Inf(1), math.Inf(-1), 0.0
	see := func(lo, hi, bottom float64) {
		minX, maxX, maxY = min(minX, lo), max(maxX, hi), max(maxY, bottom)
	}
	all := append([]*svgNode{}, l.nodes...)
	all = append(all, l.panel.targets...)
	for _, n := range all {
		see(n.x-n.w/2, n.x+n.w/2, n.y+n.h)
	}
	for _, layer := range l.layers {
		for _, n := range layer {
			see(n.x-n.w/2, n.x+n.w/2, n.y+n.h)
		}
	}
	for _, e := range l.edges {
		if e.back && e.side != 0 {
			see(e.lane, e.lane, 0)
			w := textWidth(e.label, svgLabelFont) + 8
			if e.side < 0 {
				see(e.labelX-w, e.labelX, 0)
			} else {
				see(e.labelX, e.labelX+w, 0)
			}
		}
	}
	if l.panel.w > 0 {
		see(l.panel.x, l.panel.x+l.panel.w, l.panel.y+l.panel.h)
	}
	if math.IsInf(minX, 0) { // no states at all
		minX, maxX = 0, 0
	}
	legendY := maxY + 36
	maxY = legendY + 24
	see(minX, minX+textWidth(legendText, svgLabelFont), maxY)
	dx := svgMargin - minX
	for _, n := range all {
		n.x += dx
	}
	for _, layer := range l.layers {
		for _, n := range layer {
			if n.dummy {
				n.x += dx
			}
		}
	}
	for _, e := range l.edges {
		e.lane += dx
		e.labelX += dx
		e.x1 += dx
		e.x2 += dx
	}
	l.panel.x += dx
	l.spineX += dx
	l.width = math.Ceil(maxX + dx + svgMargin)
	l.height = math.Ceil(maxY + svgMargin)
}

const legendText = "图例：灰色实线为推进，橙色为退回或重新办理，框内“◦”为不改变状态的办理事项，虚线框内的操作适用于任一办理中状态；蓝框为当前状态。"

// Colours: calm greys for the flow, orange for going back, blue for "you
// are here" — the three things a reader looks for.
const (
	colInk     = "#343a40"
	colMuted   = "#6c757d"
	colEdge    = "#495057"
	colBack    = "#e8590c"
	colBox     = "#ffffff"
	colBorder  = "#868e96"
	colTermBox = "#f1f3f5"
	colCurBox  = "#e7f1ff"
	colCur     = "#1c7ed6"
)

func (l *svgLayout) render() []byte {
	var b bytes.Buffer
	f := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	f(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family=%s role="img" aria-label="%s">`+"\n",
		num(l.width), num(l.height), num(l.width), num(l.height), attr(svgFontStack), esc(l.title))
	f(`<title>%s</title>`+"\n", esc(l.title))
	f(`<defs><marker id="wf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,1 L9,5 L0,9 z" fill="%s"/></marker>`, colEdge)
	f(`<marker id="wf-arrow-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,1 L9,5 L0,9 z" fill="%s"/></marker></defs>`+"\n", colBack)
	f(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	f(`<text x="%s" y="%s" font-size="18" font-weight="bold" fill="%s">%s</text>`+"\n", num(svgMargin), num(svgMargin+18), colInk, esc(l.title))

	// Edges first, so boxes and labels sit on top of them.
	f(`<g class="wf-edges" fill="none" stroke-width="1.6">` + "\n")
	for _, e := range l.edges {
		if !e.back {
			f(`<path d="%s" stroke="%s" marker-end="url(#wf-arrow)"/>`+"\n", l.forwardPath(e), colEdge)
			continue
		}
		f(`<path d="%s" stroke="%s" marker-end="url(#wf-arrow-back)"/>`+"\n", l.backPath(e), colBack)
	}
	if p := l.panel; p.w > 0 {
		for _, n := range p.targets {
			x1 := p.x + p.w/2 + clamp((n.x-(p.x+p.w/2))*0.3, -p.w/2+16, p.w/2-16)
			p0, p1, p2, p3 := l.forwardCurve(x1, p.y+p.h, n.x, n.y)
			f(`<path d="M%s,%s C%s,%s %s,%s %s,%s" stroke="%s" marker-end="url(#wf-arrow)"/>`+"\n",
				num(p0.x), num(p0.y), num(p1.x), num(p1.y), num(p2.x), num(p2.y), num(p3.x), num(p3.y), colEdge)
		}
	}
	f("</g>\n")

	// States.
	f(`<g class="wf-states">` + "\n")
	for _, n := range append(append([]*svgNode{}, l.nodes...), l.panel.targets...) {
		l.renderNode(&b, n)
	}
	f("</g>\n")

	// The any-state panel.
	if p := l.panel; p.w > 0 {
		f(`<g class="wf-any">`+"\n"+`<rect x="%s" y="%s" width="%s" height="%s" rx="10" fill="#fff9db" stroke="%s" stroke-dasharray="6 4" stroke-width="1.4"/>`+"\n",
			num(p.x), num(p.y), num(p.w), num(p.h), colBorder)
		f(`<text x="%s" y="%s" font-size="%s" font-weight="bold" text-anchor="middle" fill="%s">任一办理中状态</text>`+"\n",
			num(p.x+p.w/2), num(p.y+22), num(svgStateFont), colInk)
		for i, a := range p.acts {
			f(`<text x="%s" y="%s" font-size="%s" fill="%s">◦ %s</text>`+"\n",
				num(p.x+svgPadX), num(p.y+42+float64(i)*17), num(svgLabelFont), colInk, esc(a))
		}
		for i, n := range p.targets {
			if i < len(p.labels) && p.labels[i] != "" {
				l.renderLabel(&b, p.labels[i], n.x, n.y-20, "middle", colEdge)
			}
		}
		f("</g>\n")
	}

	// Labels last, each on a white backing so crossing lines stay legible.
	f(`<g class="wf-labels">` + "\n")
	for _, e := range l.edges {
		switch {
		case e.back && e.side < 0:
			l.renderLabel(&b, e.label, e.labelX, e.labelY-2, "end", colBack)
		case e.back && e.side > 0:
			l.renderLabel(&b, e.label, e.labelX, e.labelY-2, "start", colBack)
		case e.back:
			l.renderLabel(&b, e.label, e.labelX, e.labelY, "middle", colBack)
		default:
			l.renderLabel(&b, e.label, e.labelX, e.labelY, "middle", colEdge)
		}
	}
	f("</g>\n")
	f(`<text x="%s" y="%s" font-size="%s" fill="%s">%s</text>`+"\n",
		num(svgMargin), num(l.height-svgMargin-4), num(svgLabelFont), colMuted, esc(legendText))
	f("</svg>\n")
	return b.Bytes()
}

func (l *svgLayout) forwardPath(e *svgEdge) string {
	var s strings.Builder
	x, y := e.x1, e.from.y+e.from.h
	fmt.Fprintf(&s, "M%s,%s", num(x), num(y))
	curve := func(x2, y2 float64) {
		_, p1, p2, p3 := l.forwardCurve(x, y, x2, y2)
		fmt.Fprintf(&s, " C%s,%s %s,%s %s,%s", num(p1.x), num(p1.y), num(p2.x), num(p2.y), num(p3.x), num(p3.y))
		x, y = x2, y2
	}
	if len(e.dummies) == 0 {
		// Bend first, then straight down through the label rows.
		curve(e.x2, l.labelZoneTop(e.from.rank))
		fmt.Fprintf(&s, " L%s,%s", num(x), num(e.to.y-1))
		return s.String()
	}
	for _, dm := range e.dummies {
		curve(dm.x, dm.y)
		y = dm.y + dm.h
		fmt.Fprintf(&s, " L%s,%s", num(x), num(y))
	}
	curve(e.x2, e.to.y-1)
	return s.String()
}

func (l *svgLayout) backPath(e *svgEdge) string {
	if e.side == 0 {
		p0, p1, p2, p3 := l.directCurve(e)
		return fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", num(p0.x), num(p0.y), num(p1.x), num(p1.y), num(p2.x), num(p2.y), num(p3.x), num(p3.y))
	}
	const r = 10.0
	sy, ty := l.port(e.from, e, e.side), l.port(e.to, e, e.side)
	var sx, tx float64
	if e.side < 0 {
		sx, tx = e.from.x-e.from.w/2, e.to.x-e.to.w/2-2
	} else {
		sx, tx = e.from.x+e.from.w/2, e.to.x+e.to.w/2+2
	}
	dir := float64(-e.side) // from the lane back toward the boxes
	return fmt.Sprintf("M%s,%s H%s Q%s,%s %s,%s V%s Q%s,%s %s,%s H%s",
		num(sx), num(sy), num(e.lane+dir*r),
		num(e.lane), num(sy), num(e.lane), num(sy-r),
		num(ty+r),
		num(e.lane), num(ty), num(e.lane+dir*r), num(ty),
		num(tx))
}

func (l *svgLayout) renderNode(b *bytes.Buffer, n *svgNode) {
	s := n.state
	fill, stroke, width := colBox, colBorder, 1.4
	if s.Terminal {
		fill = colTermBox
	}
	cur := n.id == l.current
	if cur {
		fill, stroke, width = colCurBox, colCur, 3
	}
	x, y := n.x-n.w/2, n.y
	fmt.Fprintf(b, `<g class="wf-state" data-state="%s">`, esc(n.id))
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" rx="10" fill="%s" stroke="%s" stroke-width="%s"/>`,
		num(x), num(y), num(n.w), num(n.h), fill, stroke, num(width))
	if s.Terminal {
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" rx="7" fill="none" stroke="%s" stroke-width="1"/>`,
			num(x+3), num(y+3), num(n.w-6), num(n.h-6), stroke)
	}
	if cur {
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="40" height="18" rx="9" fill="%s"/><text x="%s" y="%s" font-size="11" text-anchor="middle" fill="#ffffff">当前</text>`,
			num(x+n.w-44), num(y-10), colCur, num(x+n.w-24), num(y+3))
	}
	ty := y + 22
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" font-weight="bold" text-anchor="middle" fill="%s">%s</text>`,
		num(n.x), num(ty), num(svgStateFont), colInk, esc(s.Label))
	if sub := subLine(s); sub != "" {
		ty += 17
		fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" text-anchor="middle" fill="%s">%s</text>`,
			num(n.x), num(ty), num(svgSubFont), colMuted, esc(sub))
	}
	if len(n.acts) > 0 {
		ty += 8
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#dee2e6"/>`, num(x+8), num(ty), num(x+n.w-8), num(ty))
		for _, a := range n.acts {
			ty += 17
			fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" fill="%s">◦ %s</text>`,
				num(x+svgPadX), num(ty), num(svgLabelFont), colInk, esc(a))
		}
	}
	b.WriteString("</g>\n")
}

func (l *svgLayout) renderLabel(b *bytes.Buffer, text string, x, y float64, anchor, colour string) {
	w := textWidth(text, svgLabelFont) + 8
	left := x - w/2
	switch anchor {
	case "start":
		left = x - 4
	case "end":
		left = x - w + 4
	}
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="17" rx="3" fill="#ffffff" fill-opacity="0.92"/>`,
		num(left), num(y-9), num(w))
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s">%s</text>`+"\n",
		num(x), num(y+4), num(svgLabelFont), anchor, colour, esc(text))
}

func subLine(s State) string {
	var parts []string
	if s.Actor != "" {
		parts = append(parts, s.Actor.Label())
	}
	if s.Deadline != nil && s.Deadline.Label != "" {
		parts = append(parts, s.Deadline.Label)
	}
	return strings.Join(parts, " · ")
}

func nodeSize(n *svgNode) (float64, float64) {
	w := textWidth(n.state.Label, svgStateFont)
	h := 36.0
	if sub := subLine(n.state); sub != "" {
		w = max(w, textWidth(sub, svgSubFont))
		h += 17
	}
	for _, a := range n.acts {
		w = max(w, textWidth("◦ "+a, svgLabelFont))
	}
	if len(n.acts) > 0 {
		h += 8 + 17*float64(len(n.acts))
	}
	return max(svgMinBoxW, w+2*svgPadX), h
}

// textWidth estimates rendered width: CJK and full-width characters are
// one em, the rest about 0.6 em. Good enough to size boxes; no font
// metrics are available without I/O.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x2E80 && r != '◦' && r != '·' {
			w += 0.6 * size
		} else {
			w += size
		}
	}
	return w
}

func joinLabel(a, b string) string {
	if a == "" {
		return b
	}
	if a == b {
		return a
	}
	return a + "／" + b
}

func clamp(v, lo, hi float64) float64 {
	if hi < lo {
		return (lo + hi) / 2
	}
	return max(lo, min(hi, v))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// num prints coordinates with at most one decimal, so output is stable
// and small.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func attr(s string) string { return `'` + strings.ReplaceAll(esc(s), "'", "&#39;") + `'` }
