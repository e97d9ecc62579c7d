package crosscheck

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/household"
	"dibao/internal/money"
)

func TestSummary(t *testing.T) {
	reps, err := ReadResultCSV(strings.NewReader(handWritten()))
	if err != nil {
		t.Fatal(err)
	}
	withNotes := reps[0]
	withNotes.ReceivedAt = today
	withNotes.Notes = "平台备注：户主" + string(idHead) + "已核验"

	cases := []struct {
		name string
		rep  Report
		want string
	}{
		{"hand-written result", withNotes, `核对请求编号：HD-130199-2026-000123-01
核对状态：部分完成
收到结果时间：2026年7月22日 10:00
核对发现收入3项、财产2项：
1. ` + idHead.Mask() + `，社会保险/养老金，收入（养老金（个人账户等计入部分））：城乡居民基本养老保险待遇，12个月共2,400.00元（月均200.00元）
2. ` + idHead.Mask() + `，银行存款，财产（存款）：银行存款余额，价值12,345.67元
3. ` + idWife.Mask() + `，社会保险/养老金，收入（养老金（个人账户等计入部分））：城乡居民基本养老保险待遇，12个月共1,800.00元（月均150.00元）
4. ` + idSon.Mask() + `，社会保险/养老金，收入（养老金（个人账户等计入部分））：企业职工养老保险缴费记录，6个月共18,000.00元（月均3,000.00元）
5. ` + idSon.Mask() + `，机动车，财产（机动车辆）：小型普通客车1辆，价值45,000.00元
以下项目经核对未发现记录：
- ` + idHead.Mask() + `：机动车
- ` + idWife.Mask() + `：机动车、银行存款
以下项目未能核对，需通过入户调查等方式核实：
- ` + idSon.Mask() + `，银行存款：银行系统维护，暂停查询
备注：平台备注：户主` + idHead.Mask() + `已核验
`},
		{"nothing found", Report{RequestID: "HD-1", Status: StatusComplete, Checked: []Check{{idGirl, Vehicle}, {idGirl, Deposit}}}, `核对请求编号：HD-1
核对状态：核对完成
核对结果：未发现收入或财产记录。
以下项目经核对未发现记录：
- ` + idGirl.Mask() + `：机动车、银行存款
`},
		{"failed", Report{RequestID: "HD-1", Status: StatusFailed, Gaps: []Gap{{IDNumber: idGirl, Source: Tax, Reason: "接口故障"}}}, `核对请求编号：HD-1
核对状态：核对失败
以下项目未能核对，需通过入户调查等方式核实：
- ` + idGirl.Mask() + `，个人所得税：接口故障
`},
		{"uneven monthly amount, quantity, ID in description", Report{RequestID: "HD-1", Status: StatusComplete,
			Findings: []Finding{
				{IDNumber: idSon, Source: Tax, Kind: KindIncome, IncomeKind: "wage", Description: "代扣代缴", Amount: 1000000, Months: 3},
				{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "车主" + string(idSon), Amount: 6000000, Quantity: 2},
			},
			Checked: []Check{{idSon, Tax}, {idSon, Vehicle}}}, `核对请求编号：HD-1
核对状态：核对完成
核对发现收入1项、财产1项：
1. ` + idSon.Mask() + `，个人所得税，收入（工资性收入）：代扣代缴，3个月共10,000.00元（月均约3,333.33元）
2. ` + idSon.Mask() + `，机动车，财产（机动车辆）：车主` + idSon.Mask() + `，数量2，价值60,000.00元
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.rep.Summary()
			if got != c.want {
				t.Fatalf("Summary:\n%s\nwant:\n%s", got, c.want)
			}
			if fullID.MatchString(got) {
				t.Fatal("summary shows a full ID number")
			}
		})
	}
	if s := (&Simulator{}).Report(sampleRequest()).Summary(); !strings.Contains(s, SimulatorNote) {
		t.Fatal("a simulated report does not say so")
	}
}

func TestToItems(t *testing.T) {
	rep := Report{
		RequestID: "HD-1",
		Findings: []Finding{
			{IDNumber: idHead, Source: SocialInsurance, Kind: KindIncome, IncomeKind: "pension", Description: "养老金", Amount: 240000, Months: 12},
			{IDNumber: idSon, Source: Vehicle, Kind: KindProperty, PropertyKind: "vehicle", Description: "<b>轿车</b>", Amount: 4500000, Quantity: 1},
			{IDNumber: idSon, Source: Tax, Kind: KindIncome, IncomeKind: "wage", Description: strings.Repeat("长", 300), Amount: 1800000, Months: 6},
			{IDNumber: idWife, Source: Deposit, Kind: KindProperty, PropertyKind: "deposit", Description: "户主" + string(idWife), Amount: 1234567},
		},
	}
	incomes, properties := ToItems(rep)
	wantIn := []household.Income{
		{Kind: "pension", Description: "信息核对（社会保险/养老金）：养老金", Amount: 240000, Months: 12},
		{Kind: "wage", Description: string([]rune("信息核对（个人所得税）：" + strings.Repeat("长", 300))[:199]) + "…", Amount: 1800000, Months: 6},
	}
	wantProp := []household.Property{
		{Kind: "vehicle", Description: "信息核对（机动车）：＜b＞轿车＜/b＞", Value: 4500000, Quantity: 1},
		{Kind: "deposit", Description: "信息核对（银行存款）：户主" + idWife.Mask(), Value: 1234567, Quantity: 1},
	}
	if !reflect.DeepEqual(incomes, wantIn) {
		t.Errorf("incomes\n%+v\nwant\n%+v", incomes, wantIn)
	}
	if !reflect.DeepEqual(properties, wantProp) {
		t.Errorf("properties\n%+v\nwant\n%+v", properties, wantProp)
	}
	// What the investigator adopts passes the household's own form rules.
	for i, in := range incomes {
		_, err := household.ParseIncome(household.IncomeDraft{Kind: string(in.Kind), Description: in.Description,
			Amount: in.Amount.String(), Months: strconv.Itoa(in.Months)}, nil)
		if err != nil {
			t.Errorf("income %d rejected by household: %v", i, err)
		}
	}
	for i, p := range properties {
		_, err := household.ParseProperty(household.PropertyDraft{Kind: string(p.Kind), Description: p.Description,
			Value: p.Value.String(), Quantity: strconv.Itoa(p.Quantity)})
		if err != nil {
			t.Errorf("property %d rejected by household: %v", i, err)
		}
	}
	// Simulated findings all map onto valid household kinds.
	for _, req := range population(30) {
		in, pr := ToItems((&Simulator{Seed: 5}).Report(req))
		for _, x := range in {
			if household.IncomeKind(x.Kind).Label() == string(x.Kind) || x.Amount <= 0 || x.Amount > money.Fen(100_000_000_00) {
				t.Fatalf("income %+v", x)
			}
		}
		for _, x := range pr {
			if x.Kind.Label() == string(x.Kind) {
				t.Fatalf("property %+v", x)
			}
		}
	}
}
