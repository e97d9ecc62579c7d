package web

import (
	"dibao/internal/errs"
	"dibao/internal/recipients"
	"dibao/internal/workflow"
)

// Fixtures of the change-report and spot-check pages for the template
// render test, error states included.

func reportFixtures() reportListPage {
	f := reportForm{HouseholdID: "9", Kind: "income_up", Today: "2026-09-22", Key: "ab12"}
	f.Err, f.Summary = fieldErrors(errs.List{errs.Invalidf("kind", "请选择变化类型")})
	return reportListPage{CanReport: true, Form: f, Households: []choice{{"9", "刘大山（户号 9）", true}},
		Kinds:  []choice{{"income_up", "收入增加", true}},
		States: []choice{{"open", "办理中", false}},
		Rows: []reportRow{{ID: 3, Head: "刘大山", Village: "东湖镇 / 李家庄村", Kind: "收入增加", ChangedOn: "2026-09-01",
			State: "待乡镇核实", Tone: "blue", Reported: "2026-09-22 09:00"}}}
}

func reportPageFixture() reportPage {
	def := workflow.ChangeReport()
	confirm, _ := def.Transition("confirm")
	pg := reportPage{ID: 3, Version: 1, HouseholdID: 9, Head: "刘大山", Village: "东湖镇 / 李家庄村", Kind: "收入增加",
		ChangedOn: "2026-09-01", Detail: "长子外出务工", State: "reported", StateLabel: "待乡镇核实", Tone: "blue", Recused: true,
		History: []reportEventView{{Seq: 1, Label: "村级报告变化情况", To: "待乡镇核实", At: "2026-09-22 09:00", Actor: "村官",
			Values: []kv{{"变化类型", "收入增加"}}}}}
	card := optionCard{Action: "/reviews/reports/3/act/confirm", ID: "confirm", Label: confirm.Label, Enabled: true, Version: 1, Key: "k1", Failed: true,
		Style: "btn-primary", Summary: []string{"请填写核实情况"}}
	for _, fd := range confirm.Records {
		fv := fieldView{Name: fd.Name, Label: fd.Label, Kind: string(fd.Kind), ID: "f-confirm-" + fd.Name, Options: fd.Options}
		if fd.Kind == workflow.KindText {
			fv.Kind, fv.Err = "textarea", "请填写核实情况"
		}
		card.Fields = append(card.Fields, fv)
	}
	pg.Cards = []optionCard{card, {Action: "/reviews/reports/3/act/refute", ID: "refute", Label: "核实不属实", Reason: workflow.MsgRecusal}}
	return pg
}

func spotCheckListFixture() spotCheckListPage {
	return spotCheckListPage{CanDraw: true, Seed: "x", SeedErr: "随机种子应为正整数（留空则由系统生成）",
		Summary: []string{"随机种子应为正整数（留空则由系统生成）"},
		Rows: []spotCheckRow{{ID: 2, Month: "2026-09", Seed: "42", Rate: "30%", Chosen: 3, Sampled: 3, Recorded: 1, By: "county",
			At: "2026-09-22 09:00"}}}
}

func spotCheckFixture() spotCheckPage {
	row := sampleRow{HouseholdID: 9, Head: "刘*山", Village: "东湖镇 / 李家庄村", Reasons: reasonTags("近亲属备案、有投诉举报"),
		Finding: "未录入", Failed: true, FormFinding: "unverifiable"}
	row.Err, row.Summary = fieldErrors(errs.List{errs.Invalidf("note", "结论为不属实或无法核实的，请写明核查情况")})
	return spotCheckPage{ID: 2, Month: "2026-09", Seed: "42", Rate: "30%", Sampled: 1, Flagged: 1, CanRecord: true,
		Findings: recipients.SpotCheckFindings, Rows: []sampleRow{row}}
}
