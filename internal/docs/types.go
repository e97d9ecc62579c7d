package docs

import (
	"encoding/json"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

// Header is what every document shows at its top and bottom: its number and
// date, where it was issued and who issued it (the name printed beside the
// seal).
type Header struct {
	Number       string    `json:"number"`                  // from Number, e.g. DB-SL-130199-2026-000012
	IssuedOn     time.Time `json:"issued_on"`               // printed beside the seal as 2026年11月27日
	CountyName   string    `json:"county_name"`             // 平安县
	TownshipName string    `json:"township_name,omitempty"` // 东湖镇; empty on county-wide documents
	VillageName  string    `json:"village_name,omitempty"`  // 柳树村; empty above village level
	Issuer       string    `json:"issuer"`                  // office under the seal: 平安县民政局, 东湖镇人民政府
}

// RegionName joins the county, township and village names into the place
// line a document prints, e.g. 平安县东湖镇柳树村.
func (h Header) RegionName() string {
	return h.CountyName + h.TownshipName + h.VillageName
}

func (h Header) check(l *errs.List) {
	if strings.TrimSpace(h.Number) == "" {
		l.Add("number", "文书缺少编号")
	}
	if h.IssuedOn.IsZero() {
		l.Add("issued_on", "文书缺少日期")
	}
	if strings.TrimSpace(h.CountyName) == "" {
		l.Add("county_name", "文书缺少县（市、区）名称")
	}
	if strings.TrimSpace(h.Issuer) == "" {
		l.Add("issuer", "文书缺少出具单位")
	}
}

// Case identifies the application a document belongs to. Names are printed
// in full: these documents go to the household or stay in the case file; only
// the publicity list, which has no Case, is public.
type Case struct {
	CaseNumber    string `json:"case_number"`    // from CaseNumber, e.g. 130199-2026-000123
	HeadName      string `json:"head_name"`      // applicant, the head of household
	HouseholdSize int    `json:"household_size"` // members of the household
}

func (c Case) check(l *errs.List) {
	if strings.TrimSpace(c.CaseNumber) == "" {
		l.Add("case_number", "文书缺少案件编号")
	}
	if strings.TrimSpace(c.HeadName) == "" {
		l.Add("head_name", "文书缺少申请人（户主）姓名")
	}
	if c.HouseholdSize < 1 {
		l.Add("household_size", "家庭人口应至少为1人")
	}
}

// Appeal names where a decision can be challenged. Both fields may be empty;
// the notice then states the right without naming the bodies.
type Appeal struct {
	ReviewBody string `json:"review_body,omitempty"` // 行政复议机关, e.g. 平安县人民政府
	Court      string `json:"court,omitempty"`       // 人民法院, e.g. 平安县人民法院
}

// Material is one item handed in with an application.
type Material struct {
	Name   string `json:"name"`             // 最低生活保障申请书
	Copies int    `json:"copies,omitempty"` // 份数; 0 prints blank
	Note   string `json:"note,omitempty"`   // 原件核对后退回, 复印件, 扫描件 …
}

// Receipt is the 受理回执: the application was complete and has been accepted.
type Receipt struct {
	Header
	Case
	AppliedOn  time.Time  `json:"applied_on"`        // when the application was handed in
	AcceptedOn time.Time  `json:"accepted_on"`       // when it was accepted
	Materials  []Material `json:"materials"`         // everything received
	NextStep   string     `json:"next_step"`         // e.g. 报送东湖镇人民政府开展家庭经济状况调查
	DueOn      time.Time  `json:"due_on"`            // the next step is due by this date
	Handler    string     `json:"handler,omitempty"` // 受理人
	Contact    string     `json:"contact,omitempty"` // 咨询电话 of the office
}

func (d Receipt) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	if d.AcceptedOn.IsZero() {
		l.Add("accepted_on", "受理回执缺少受理日期")
	}
	if len(d.Materials) == 0 {
		l.Add("materials", "受理回执应列明已收到的材料")
	}
}

// Deficiency is one missing or defective item of a deficiency notice.
type Deficiency struct {
	Material string `json:"material"` // 户口簿
	Problem  string `json:"problem"`  // 缺少, 复印件不清晰, 未签字 …
	Supply   string `json:"supply"`   // what to hand in: 提供全部家庭成员户口簿首页及本人页复印件
}

// DeficiencyNotice is the 补正材料一次性告知书: it must list every missing or
// defective item at once, so that the applicant comes back only once.
type DeficiencyNotice struct {
	Header
	Case
	AppliedOn  time.Time    `json:"applied_on"`        // when the materials were handed in
	Items      []Deficiency `json:"items"`             // all of them, never only the first
	ResubmitBy time.Time    `json:"resubmit_by"`       // deadline to hand in the corrections
	Handler    string       `json:"handler,omitempty"` // 经办人
	Contact    string       `json:"contact,omitempty"` // 咨询电话
}

func (d DeficiencyNotice) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	if len(d.Items) == 0 {
		l.Add("items", "补正告知书应列明需要补正的全部材料")
	}
	for _, it := range d.Items {
		if strings.TrimSpace(it.Material) == "" || strings.TrimSpace(it.Supply) == "" {
			l.Add("items", "每项补正内容应写明材料名称和需要补正的内容")
			break
		}
	}
	if d.ResubmitBy.IsZero() {
		l.Add("resubmit_by", "补正告知书缺少补正期限")
	}
}

// RefusalNotice is the 不予受理告知书.
type RefusalNotice struct {
	Header
	Case
	AppliedOn time.Time `json:"applied_on"`      // when the application was handed in
	Reasons   []string  `json:"reasons"`         // every reason, in writing
	Basis     string    `json:"basis,omitempty"` // legal basis, e.g. 《社会救助暂行办法》第十一条
	Appeal    Appeal    `json:"appeal"`
}

func (d RefusalNotice) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	checkReasons(l, d.Reasons, "不予受理告知书应写明理由")
}

// VisitMember is one row of the members table of the home-visit form. Health
// and disability are labels (慢性病, 二级), never the detail text.
type VisitMember struct {
	Name       string    `json:"name"`
	Relation   string    `json:"relation"`             // 户主, 配偶, 子女 …
	IDNumber   idcard.ID `json:"id_number"`            // printed and stored masked only
	Age        int       `json:"age"`                  // on the visit date
	Health     string    `json:"health"`               // 健康, 慢性病, 重病
	Disability string    `json:"disability,omitempty"` // 无 or the grade, e.g. 二级
	Labour     string    `json:"labour"`               // 有劳动能力 …
}

// MarshalJSON stores the ID number masked, so that the snapshot kept with an
// issued form never holds a full number in clear (SPEC §2.4: ID numbers are
// encrypted at rest); a reprint from the snapshot masks again to the same
// text.
func (m VisitMember) MarshalJSON() ([]byte, error) {
	type plain VisitMember
	p := plain(m)
	p.IDNumber = idcard.ID(m.IDNumber.Mask())
	return json.Marshal(p)
}

// IncomeRow is one income item as declared and found on the visit.
type IncomeRow struct {
	Member      string    `json:"member,omitempty"` // whose; empty for the household's
	Kind        string    `json:"kind"`             // 工资性收入 …
	Description string    `json:"description,omitempty"`
	Amount      money.Fen `json:"amount"` // total over Months
	Months      int       `json:"months"`
	Note        string    `json:"note,omitempty"`
}

// PropertyRow is one asset.
type PropertyRow struct {
	Kind        string    `json:"kind"` // 存款, 机动车辆, 房产 …
	Description string    `json:"description,omitempty"`
	Quantity    int       `json:"quantity"`
	Value       money.Fen `json:"value"`
	Note        string    `json:"note,omitempty"` // e.g. 残疾人功能性补偿代步车（豁免）
}

// HomeVisitForm is the 家庭经济状况入户调查表 of one home visit.
type HomeVisitForm struct {
	Header
	Case
	Address          string        `json:"address"`              // 家庭住址
	HouseholdType    string        `json:"household_type"`       // 城市 or 农村
	VisitedOn        time.Time     `json:"visited_on"`           // date (and time) of the visit
	Investigators    []string      `json:"investigators"`        // printed names; at least two signature lines are always printed
	Members          []VisitMember `json:"members"`              // household members
	Incomes          []IncomeRow   `json:"incomes"`              // income items
	Properties       []PropertyRow `json:"properties"`           // assets
	LivingConditions string        `json:"living_conditions"`    // housing, furnishings, daily life
	Neighbours       string        `json:"neighbours,omitempty"` // 邻里走访情况
	Opinion          string        `json:"opinion"`              // 调查人员意见
	Respondent       string        `json:"respondent,omitempty"` // 被调查人; the head if empty
}

func (d HomeVisitForm) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	if d.VisitedOn.IsZero() {
		l.Add("visited_on", "入户调查表缺少调查日期")
	}
}

// Participant is one person at a democratic appraisal.
type Participant struct {
	Name string `json:"name"`
	Role string `json:"role"` // 乡镇干部, 村（居）民代表, 驻村干部 …
}

// AppraisalRecord is the 民主评议记录 of one meeting about one case.
type AppraisalRecord struct {
	Header
	Case
	HeldAt       time.Time     `json:"held_at"` // date and time of the meeting
	Place        string        `json:"place"`
	Host         string        `json:"host"`     // 主持人
	Recorder     string        `json:"recorder"` // 记录人
	Expected     int           `json:"expected,omitempty"`
	Participants []Participant `json:"participants"`
	Discussion   string        `json:"discussion"` // 评议情况: what was said
	For          int           `json:"for"`        // votes for
	Against      int           `json:"against"`
	Abstain      int           `json:"abstain"`
	Outcome      string        `json:"outcome"` // 评议结论, e.g. 同意纳入最低生活保障
}

func (d AppraisalRecord) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	if d.HeldAt.IsZero() {
		l.Add("held_at", "民主评议记录缺少评议时间")
	}
	if len(d.Participants) == 0 {
		l.Add("participants", "民主评议记录应列明参加人员")
	}
	if strings.TrimSpace(d.Outcome) == "" {
		l.Add("outcome", "民主评议记录缺少评议结论")
	}
	if d.For < 0 || d.Against < 0 || d.Abstain < 0 {
		l.Add("for", "票数不能为负数")
	}
}

// PublicityRow is one household on a publicity list. It has exactly the
// allow-listed fields of SPEC §2.4 and nothing else: no ID number, phone,
// address, income, property or health can reach a public list through it.
type PublicityRow struct {
	HeadName      string    `json:"head_name"` // printed masked (张*明) whatever is passed
	HouseholdSize int       `json:"household_size"`
	Amount        money.Fen `json:"amount"`           // proposed monthly amount
	Period        string    `json:"period,omitempty"` // e.g. 2026年12月起; blank cell if empty
}

// PublicityList is the 公示名单 of one village or community for one
// publicity period; it is posted in public.
type PublicityList struct {
	Header
	PeriodStart       time.Time      `json:"period_start"`
	PeriodEnd         time.Time      `json:"period_end"`
	Rows              []PublicityRow `json:"rows"`
	ObjectionTo       string         `json:"objection_to"`                // office taking objections, e.g. 东湖镇人民政府社会救助服务站
	ObjectionPhone    string         `json:"objection_phone,omitempty"`   // its office phone
	ObjectionDeadline time.Time      `json:"objection_deadline"`          // usually PeriodEnd
	SupervisionPhone  string         `json:"supervision_phone,omitempty"` // county 监督电话
}

func (d PublicityList) check(l *errs.List) {
	d.Header.check(l)
	if strings.TrimSpace(d.VillageName) == "" {
		l.Add("village_name", "公示名单缺少村（社区）名称")
	}
	if d.PeriodStart.IsZero() || d.PeriodEnd.IsZero() {
		l.Add("period_start", "公示名单缺少公示期")
	} else if d.PeriodEnd.Before(d.PeriodStart) {
		l.Add("period_end", "公示期结束日期早于开始日期")
	}
	if strings.TrimSpace(d.ObjectionTo) == "" {
		l.Add("objection_to", "公示名单应写明异议受理单位")
	}
	if d.ObjectionDeadline.IsZero() {
		l.Add("objection_deadline", "公示名单应写明异议截止日期")
	}
}

// ExplanationLine is one line of the benefit explanation (benefit.Line):
// label, how the figure was obtained and the figure.
type ExplanationLine struct {
	Label   string    `json:"label"`
	Formula string    `json:"formula,omitempty"`
	Amount  money.Fen `json:"amount"`
}

// ParamVersion is one policy parameter version the amount used.
type ParamVersion struct {
	Name    string `json:"name"`    // e.g. standard.rural
	Version string `json:"version"` // e.g. 130199000000/2026-01-01/v3
}

// ApprovalNotice is the 最低生活保障审批通知书, which doubles as the allowance
// certificate: it states the monthly amount in figures and in 大写.
type ApprovalNotice struct {
	Header
	Case
	AppliedOn     time.Time         `json:"applied_on"`
	DecidedOn     time.Time         `json:"decided_on"`
	Category      string            `json:"category"`                 // 农村低保, 城市低保, 单人保 …
	Amount        money.Fen         `json:"amount"`                   // monthly
	StartMonth    string            `json:"start_month"`              // "2026-12"
	Members       int               `json:"members"`                  // persons the amount covers
	CertificateNo string            `json:"certificate_no,omitempty"` // 低保证号
	Lines         []ExplanationLine `json:"lines"`                    // the benefit explanation
	Versions      []ParamVersion    `json:"versions"`                 // parameter versions, printed small
	Notes         []string          `json:"notes,omitempty"`          // further notices to the household
}

func (d ApprovalNotice) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	if d.Amount < 0 {
		l.Add("amount", "保障金额不能为负数")
	}
	if _, err := money.Upper(d.Amount); err != nil {
		l.Add("amount", "保障金额过大")
	}
	if _, ok := parseMonth(d.StartMonth); !ok {
		l.Add("start_month", "起始月份应为“2026-12”格式")
	}
	if d.Members < 1 {
		l.Add("members", "保障人数应至少为1人")
	}
	if strings.TrimSpace(d.Category) == "" {
		l.Add("category", "审批通知书缺少保障类别")
	}
}

// RejectionNotice is the 不予批准通知书, with written reasons; the township
// delivers it by DeliverBy.
type RejectionNotice struct {
	Header
	Case
	AppliedOn time.Time `json:"applied_on"`
	DecidedOn time.Time `json:"decided_on"`
	Reasons   []string  `json:"reasons"`
	DeliverBy time.Time `json:"deliver_by"` // 送达期限
	Appeal    Appeal    `json:"appeal"`
}

func (d RejectionNotice) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	checkReasons(l, d.Reasons, "不予批准通知书应写明理由")
	if d.DeliverBy.IsZero() {
		l.Add("deliver_by", "不予批准通知书缺少送达期限")
	}
}

// Finding is one row of a check report: what was declared against what the
// checking platform returned.
type Finding struct {
	Item     string `json:"item"`               // 核对项目: 工商登记, 车辆, 不动产, 存款 …
	Subject  string `json:"subject"`            // 核对对象: a member's name or 全户
	Declared string `json:"declared,omitempty"` // 申报情况
	Result   string `json:"result"`             // 核对结果
	Mismatch bool   `json:"mismatch"`           // declared and checked disagree
	Note     string `json:"note,omitempty"`
}

// CheckReport is the 家庭经济状况核对报告; the summary comes from the caller
// (the cross-check adapter's result).
type CheckReport struct {
	Header
	Case
	RequestedOn time.Time `json:"requested_on"`
	CompletedOn time.Time `json:"completed_on"`
	Source      string    `json:"source"`   // 核对机构 or adapter, e.g. 平安县居民家庭经济状况核对中心
	Summary     string    `json:"summary"`  // free text; line breaks are kept
	Findings    []Finding `json:"findings"` // the table
}

func (d CheckReport) check(l *errs.List) {
	d.Header.check(l)
	d.Case.check(l)
	if strings.TrimSpace(d.Summary) == "" {
		l.Add("summary", "核对报告缺少核对结果摘要")
	}
}

func checkReasons(l *errs.List, reasons []string, msg string) {
	for _, r := range reasons {
		if strings.TrimSpace(r) != "" {
			return
		}
	}
	l.Add("reasons", "%s", msg)
}
