package demo

import (
	"context"
	"fmt"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/region"
	"dibao/internal/store"
)

// ExamsMetaKey marks a database whose demo question bank is loaded.
const ExamsMetaKey = "demo_exams_loaded"

func single(cat enroll.Category, d int, stem string, correct int, opts ...string) exam.Question {
	return exam.Question{Kind: exam.Single, Category: cat, Difficulty: d, Stem: stem, Options: opts, Correct: []int{correct}}
}

func multiple(cat enroll.Category, d int, stem string, correct []int, opts ...string) exam.Question {
	return exam.Question{Kind: exam.Multiple, Category: cat, Difficulty: d, Stem: stem, Options: opts, Correct: correct}
}

func judge(cat enroll.Category, d int, stem string, right bool) exam.Question {
	c := 1
	if right {
		c = 0
	}
	return exam.Question{Kind: exam.TrueFalse, Category: cat, Difficulty: d, Stem: stem, Correct: []int{c}}
}

func fill(cat enroll.Category, d int, stem string, accepted ...string) exam.Question {
	return exam.Question{Kind: exam.Fill, Category: cat, Difficulty: d, Stem: stem, Accepted: accepted}
}

// DemoQuestions is the demo bank: 低保 policy questions across the four
// content categories and three difficulties.
func DemoQuestions() []exam.Question {
	P, B, C, E := enroll.PolicyLaw, enroll.BusinessSkills, enroll.Communication, enroll.Ethics
	return []exam.Question{
		single(P, 1, "最低生活保障标准由哪一级人民政府确定、公布？", 1, "村（居）民委员会", "省级或设区的市级人民政府", "乡镇人民政府", "县级民政部门"),
		single(P, 1, "低保审核确认结果应在申请人所在村（社区）公示，公示期为几天？", 1, "3天", "7天", "15天", "30天"),
		judge(P, 1, "最低生活保障以家庭为单位申请。", true),
		fill(P, 1, "享受低保的家庭人均收入好转超过低保标准后，可给予不超过____个月的渐退期。", "6", "六"),
		single(P, 1, "低保申请应当向哪里提出？", 2, "县级财政部门", "村（居）民委员会只负责登记不受理", "户籍所在地的乡镇人民政府（街道办事处）", "市级民政部门"),
		multiple(P, 2, "认定低保对象应当综合考虑哪些条件？", []int{0, 1, 2}, "户籍状况", "家庭收入", "家庭财产", "申请人的学历"),
		judge(P, 2, "共同生活的家庭成员中，在校就读的成年子女不计入家庭成员。", false),
		single(P, 2, "对特困人员以外的低保家庭中的重度残疾人，可以怎样处理？", 0, "按照单人户纳入低保", "直接取消低保资格", "只能随家庭整体申请", "转为临时救助对象"),
		fill(P, 3, "《社会救助暂行办法》由____发布施行。", "国务院"),
		multiple(P, 3, "下列哪些情形属于应当停发低保金的情况？", []int{0, 2}, "家庭人均收入连续超过低保标准且渐退期届满", "家庭新添一名子女", "拒不配合入户调查且经告知仍不配合", "户主年满60周岁"),
		single(B, 1, "入户调查时，调查人员不得少于几人？", 1, "1人", "2人", "3人", "5人"),
		judge(B, 1, "入户调查结束后，调查人员和申请人（或家庭成员）应在调查表上签字。", true),
		single(B, 1, "申请材料不齐全时，乡镇（街道）应当怎样处理？", 2, "直接驳回申请", "要求申请人下月再来", "一次性告知需要补齐的全部材料", "由工作人员代为伪造补齐"),
		fill(B, 1, "家庭经济状况核对应经申请人____授权后进行。", "书面", "签字"),
		multiple(B, 2, "家庭财产核查通常包括哪些内容？", []int{0, 1, 2}, "存款和有价证券", "机动车辆", "房产", "家庭成员的宗教信仰"),
		single(B, 2, "低保金原则上通过什么方式发放？", 3, "现金当面发放", "由村干部代领", "实物折抵", "社会化发放，直接打入保障对象账户"),
		judge(B, 2, "对低保家庭应当定期复核，收入来源不固定的家庭应当按月或按季度复核。", false),
		single(B, 3, "低保金额一般按照什么方式计算？", 0, "家庭人均收入低于当地低保标准的差额", "当地低保标准的固定比例", "家庭人口数乘以固定金额", "申请人自报金额"),
		fill(B, 3, "民主评议或入户调查发现家庭有未申报的机动车辆时，应当重新进行家庭____核查。", "经济状况", "财产"),
		single(C, 1, "群众来窗口咨询低保政策时，工作人员应当首先做到什么？", 1, "让群众自己上网查询", "热情接待、耐心解释政策", "只收材料不作解释", "请群众找村干部"),
		judge(C, 1, "对不符合条件的申请，应当书面告知申请人并说明理由。", true),
		multiple(C, 1, "公示期间收到群众异议的，应当如何处理？", []int{0, 1}, "组织重新调查核实", "将核实结果告知异议人", "不予理会", "公开异议人个人信息"),
		single(C, 2, "申请人对审核确认结果不服，可以采取什么途径？", 2, "只能接受", "找媒体曝光是唯一途径", "依法申请行政复议或提起行政诉讼", "向村委会缴费复核"),
		fill(C, 2, "公示低保对象信息时，应当保护申请人的____，不得公开身份证号等信息。", "隐私", "个人隐私"),
		judge(C, 3, "为了方便群众监督，公示时可以公开低保对象的完整身份证号码和银行账号。", false),
		judge(E, 1, "经办低保业务的工作人员近亲属申请低保的，应当如实登记备案。", true),
		single(E, 1, "工作人员在低保审核中收受申请人财物，属于什么行为？", 0, "违纪违法行为", "正常人情往来", "工作奖励", "合理报酬"),
		multiple(E, 1, "哪些人员的近亲属申请低保时应当备案？", []int{0, 1}, "村（居）民委员会干部", "经办低保业务的工作人员", "邻居", "申请人的同学"),
		fill(E, 1, "“人情保”“关系保”属于低保工作中应当严肃查处的____问题。", "腐败", "不正之风", "作风"),
		single(E, 2, "发现低保对象存在骗保行为，应当怎样处理？", 1, "视而不见", "停发低保金并依法追回已领取的资金", "只作口头批评", "继续发放"),
		judge(E, 2, "工作人员可以应亲友请求，在入户调查时对其家庭财产少登记一些。", false),
		judge(E, 3, "对滥用职权、玩忽职守、徇私舞弊的工作人员，依法给予处分；构成犯罪的，依法追究刑事责任。", true),
	}
}

// LoadExams loads the demo question bank through the real exam service and
// one exam for this quarter's regular training plan, open now for a week,
// closed-book, 60 minutes, drawn by rule. Once.
func LoadExams(ctx context.Context, db *store.DB, svc *exams.Service) (bool, error) {
	if v, err := db.Meta(ctx, ExamsMetaKey); err != nil || v != "" {
		return v != "", err
	}
	users, err := db.Users(ctx, region.All())
	if err != nil {
		return false, err
	}
	var admin authz.Principal
	for _, u := range users {
		if u.Username == "trainadmin" {
			admin = u.Principal()
		}
	}
	if admin.UserID == 0 {
		return false, fmt.Errorf("demo: load the demo county before its exams")
	}
	now := db.Now()
	if svc.Now != nil {
		now = svc.Now()
	}
	today := calendar.DayOf(now).Format("2006-01-02")
	plans, err := db.LearningPlans(ctx)
	if err != nil {
		return false, err
	}
	var plan int64
	for _, p := range plans {
		if p.Kind == string(enroll.Regular) && p.PeriodStart <= today && today <= p.PeriodEnd {
			plan = p.ID
		}
	}
	if plan == 0 {
		return false, fmt.Errorf("demo: load the demo training before its exams")
	}
	for _, q := range DemoQuestions() {
		if _, err := svc.CreateQuestion(ctx, admin, q); err != nil {
			return false, fmt.Errorf("demo question %q: %w", q.Stem, err)
		}
	}
	rule := func(c enroll.Category, d, n int) exam.Rule {
		return exam.Rule{Category: c, Difficulty: d, Count: n, Points: 5}
	}
	opens := now.In(calendar.Location()).Truncate(time.Hour)
	_, err = svc.CreateExam(ctx, admin, exams.ExamInput{Title: "本季度低保业务常规培训理论考试", PlanID: plan, OpensAt: opens,
		ClosesAt: opens.AddDate(0, 0, 7), Minutes: 60, ClosedBook: true, Review: exam.ReviewAnswers, Seed: 20260101,
		Paper: exam.Paper{Rules: []exam.Rule{rule(enroll.PolicyLaw, 1, 3), rule(enroll.PolicyLaw, 2, 2), rule(enroll.PolicyLaw, 3, 1),
			rule(enroll.BusinessSkills, 1, 3), rule(enroll.BusinessSkills, 2, 2), rule(enroll.BusinessSkills, 3, 1),
			rule(enroll.Communication, 1, 2), rule(enroll.Communication, 2, 1), rule(enroll.Ethics, 1, 3), rule(enroll.Ethics, 2, 2)}}})
	if err != nil {
		return false, err
	}
	err = db.InTx(ctx, authz.Principal{Username: "system:demo", Region: CountyCode}, func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, ExamsMetaKey, now.Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "exams", Detail: "question bank, one exam"})
	})
	return false, err
}
