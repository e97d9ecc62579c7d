package benefit

import (
	"strconv"
	"strings"
)

// Explain renders the result as plain Chinese text, one fact per line, for
// decision documents and the trainee view: conclusion, every figure with its
// formula, every test, the reasons, and the parameter versions used.
func (r Result) Explain() string {
	var b strings.Builder
	w := func(s ...string) {
		for _, x := range s {
			b.WriteString(x)
		}
		b.WriteByte('\n')
	}
	w("低保待遇计算说明")
	w("结论：", r.Outcome.Label())
	if r.Outcome != OutcomeInvalid {
		w("家庭类别：", urbanLabel(r.Urban), "；发放方式：", r.Mode.Label(), "；低保标准：", r.Standard.String(), " 元/人·月")
		if r.MembersNote != "" {
			w("计入家庭成员：", r.MembersNote)
		}
	}
	if r.Amount > 0 || r.Eligible {
		who := "保障 " + strconv.Itoa(r.Persons) + " 人"
		if r.Outcome == OutcomeSinglePerson {
			who = "单人保 " + strconv.Itoa(r.Persons) + " 人"
		}
		w("月保障金：", r.Amount.String(), " 元（", who, "）")
	}
	if r.Tier != "" {
		w("困难档次：", r.Tier)
	}
	if len(r.Lines) > 0 {
		w("计算明细：")
		for i, l := range r.Lines {
			s := "  " + strconv.Itoa(i+1) + ". " + l.Label + "：" + l.Amount.String() + " 元"
			if l.Formula != "" {
				s += "；" + l.Formula
			}
			if len(l.Params) > 0 {
				s += "〔参数：" + strings.Join(l.Params, "、") + "〕"
			}
			w(s)
		}
	}
	if len(r.Checks) > 0 {
		w("审核条件：")
		for _, c := range r.Checks {
			mark := "［符合］"
			if !c.Passed {
				mark = "［不符合］"
			}
			w("  ", mark, c.Text)
		}
	}
	if len(r.Reasons) > 0 {
		w("不符合或无法计算的原因：")
		for i, x := range r.Reasons {
			w("  ", strconv.Itoa(i+1), ". ", x.Text)
		}
	}
	if len(r.Categories) > 0 {
		w("分类施保类别：", strings.Join(r.Categories, "、"))
	}
	if len(r.Used) > 0 {
		w("所用参数及版本：")
		for _, n := range r.Used {
			v, ok := r.Versions[n]
			if !ok {
				v = "（未登记版本）"
			}
			w("  ", n, "：", v)
		}
	}
	return b.String()
}
