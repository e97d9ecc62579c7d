package docs

import (
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/money"
)

// KindReviewNotice is the 低保待遇变更（停发）告知书 a review decision issues
// when it lowers, phases out or stops the payment.
const KindReviewNotice = "review_notice"

// ReviewNotice tells a recipient household, with the reasons, that a
// review decided to lower its monthly amount, phase it out (渐退) or stop
// it, from which month, and how to appeal.
type ReviewNotice struct {
	Header
	HeadName       string            `json:"head_name"`
	HouseholdSize  int               `json:"household_size"`
	TaskRef        string            `json:"task_ref"`           // the review task, e.g. 定期复核 第12号
	Outcome        string            `json:"outcome"`            // 减发, 渐退, 停保, 类别调整
	Stop           bool              `json:"stop"`               // the payment ends: the title is 停发告知书
	OldAmount      money.Fen         `json:"old_amount"`         // monthly, before
	NewAmount      money.Fen         `json:"new_amount"`         // monthly, after (0 when stopped)
	EffectiveMonth string            `json:"effective_month"`    // "2027-01"
	PhaseOutMonths int               `json:"phase_out_months"`   // 渐退: months the old amount continues
	Reasons        []string          `json:"reasons"`            // from the benefit engine and the review
	Lines          []ExplanationLine `json:"lines,omitempty"`    // the recomputation
	DecidedOn      time.Time         `json:"decided_on"`         // the county decision
	Appeal         Appeal            `json:"appeal"`             // where to appeal
	Versions       []ParamVersion    `json:"versions,omitempty"` // parameter versions, printed small
}

func (d ReviewNotice) check(l *errs.List) {
	d.Header.check(l)
	if strings.TrimSpace(d.HeadName) == "" {
		l.Add("head_name", "告知书缺少户主姓名")
	}
	if d.HouseholdSize < 1 {
		l.Add("household_size", "家庭人口应至少为1人")
	}
	if strings.TrimSpace(d.Outcome) == "" {
		l.Add("outcome", "告知书缺少复核结果")
	}
	if d.OldAmount < 0 || d.NewAmount < 0 {
		l.Add("amount", "保障金额不能为负数")
	}
	if _, ok := parseMonth(d.EffectiveMonth); !ok {
		l.Add("effective_month", "生效月份应为“2026-12”格式")
	}
	if d.DecidedOn.IsZero() {
		l.Add("decided_on", "告知书缺少决定日期")
	}
	checkReasons(l, d.Reasons, "告知书应写明变更或停发的理由")
}
