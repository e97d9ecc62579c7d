package demo

import (
	"time"

	"dibao/internal/authz"
	"dibao/internal/fakedata"
	"dibao/internal/money"
	"dibao/internal/region"
)

// The fictional county. 130199 lies in the range of 石家庄市 (1301xx) but is
// not a real county code, so the demo can never be mistaken for real data.
const (
	CountyCode     region.Code = "130199000000"
	CountyName                 = "平安县"
	CountyFullName             = "河北省石家庄市平安县"
	countyAddr6                = "130199"
)

// Password is the password of every demo account (demo mode only).
const Password = "dibao-demo-2026"

// DefaultSeed is the seed the CLI uses, so that every demo install shows the
// same county.
const DefaultSeed int64 = 20260101

// Demo policy values used by ExpectedEligible (SPEC §4 defaults and the 2026
// demo standards); the benefit engine reads the real, versioned parameters.
const (
	UrbanStandard money.Fen = 900_00 // yuan 900 per person per month
	RuralStandard money.Fen = 650_00 // yuan 650 per person per month
	AssetMonths             = 24
	MaxHomes                = 1
)

// MetaKey is the meta-table key recording when the demo county was loaded.
const MetaKey = "demo_loaded"

type townDef struct {
	code  region.Code
	name  string
	urban bool
}

type villageDef struct {
	code       region.Code
	name       string
	urban      bool
	surname    string // dominant surname of a village named after a clan, or ""
	households int
	street     string // street name for urban addresses
}

// Township codes: 001–099 streets (街道), 100–199 towns (镇), 200–399
// townships (乡). Village codes: 001–199 communities (居委会), 200–399
// villages (村委会).
var towns = []townDef{
	{"130199001000", "城关街道", true},
	{"130199101000", "东湖镇", false},
	{"130199102000", "南河镇", false},
	{"130199201000", "西山乡", false},
}

var villages = []villageDef{
	{"130199001001", "幸福社区", true, "", 20, "幸福路"},
	{"130199001002", "和平社区", true, "", 18, "和平街"},
	{"130199001003", "建设社区", true, "", 16, "建设大街"},
	{"130199101001", "东湖社区", true, "", 14, "兴华街"},
	{"130199101201", "李家庄村", false, "李", 24, ""},
	{"130199101202", "王家庄村", false, "王", 16, ""},
	{"130199101203", "张家湾村", false, "张", 14, ""},
	{"130199101204", "柳树屯村", false, "", 12, ""},
	{"130199102001", "南河社区", true, "", 12, "南河路"},
	{"130199102201", "前进村", false, "", 14, ""},
	{"130199102202", "红星村", false, "", 12, ""},
	{"130199102203", "大刘庄村", false, "刘", 14, ""},
	{"130199201201", "西山村", false, "", 12, ""},
	{"130199201202", "石门村", false, "石", 12, ""},
	{"130199201203", "杨树沟村", false, "杨", 12, ""},
}

// The village of the demo village clerk, and the township of the township
// staff.
const (
	clerkVillage region.Code = "130199101201" // 李家庄村
	staffTown    region.Code = "130199101000" // 东湖镇
)

type staffDef struct {
	username, name string
	role           authz.Role
	region         region.Code
	posts          string
	hired          func(today time.Time) time.Time
}

func yearsAgo(y, m int) func(time.Time) time.Time {
	return func(t time.Time) time.Time { return t.AddDate(-y, -m, 0) }
}

// staff is fixed (not seeded) so that the login page and the README agree.
// township2 was hired three days ago: the onboarding-training demo.
var staff = []staffDef{
	{"village", "李秀梅", authz.VillageClerk, clerkVillage, "受理", yearsAgo(6, 2)},
	{"township", "王志刚", authz.TownshipOfficer, staffTown, "受理,调查", yearsAgo(9, 5)},
	{"township2", "赵晓雪", authz.TownshipOfficer, staffTown, "调查",
		func(t time.Time) time.Time { return t.AddDate(0, 0, -3) }},
	{"reviewer", "孙建华", authz.TownshipReviewer, staffTown, "审核", yearsAgo(12, 1)},
	{"county", "周卫东", authz.CountyApprover, CountyCode, "审批", yearsAgo(15, 7)},
	{"countyadmin", "吴丽娟", authz.CountyAdmin, CountyCode, "管理", yearsAgo(8, 3)},
	{"trainadmin", "郑海燕", authz.TrainingAdmin, CountyCode, "培训管理", yearsAgo(5, 9)},
	{"trainer", "冯国庆", authz.Trainer, CountyCode, "培训", yearsAgo(18, 4)},
	{"custodian", "陈淑芳", authz.ArchiveCustodian, CountyCode, "档案管理", yearsAgo(11, 0)},
	{"auditor", "何立新", authz.Auditor, CountyCode, "审计", yearsAgo(7, 6)},
	{"secadmin", "许文博", authz.SecurityAdmin, CountyCode, "安全管理", yearsAgo(4, 8)},
	{"sysadmin", "韩磊", authz.SystemAdmin, CountyCode, "系统管理", yearsAgo(3, 2)},
}

// The shared tables of generated names, work, banks and phones.
var (
	surnames      = fakedata.Surnames
	maleOld       = fakedata.MaleOld
	maleMid       = fakedata.MaleMid
	maleYoung     = fakedata.MaleYoung
	femaleOld     = fakedata.FemaleOld
	femaleMid     = fakedata.FemaleMid
	femaleYoung   = fakedata.FemaleYoung
	wageRural     = fakedata.WageRural
	wageUrban     = fakedata.WageUrban
	bizRural      = fakedata.BizRural
	bizUrban      = fakedata.BizUrban
	banks         = fakedata.Banks
	phonePrefixes = fakedata.PhonePrefixes
)

// Address prefixes of people born outside the county (spouses married in,
// people who moved): the system must accept any valid prefix.
var otherAddr6 = []string{"130102", "130105", "130682", "130421", "131102", "410122", "371522", "511025", "140105"}

var (
	seriousIllness = []string{"尿毒症，每周血液透析3次", "肺癌术后，正在化疗", "脑梗死后遗症，长期卧床", "白血病，正在住院治疗",
		"肝硬化失代偿期", "乳腺癌术后放化疗", "重度再生障碍性贫血", "系统性红斑狼疮，长期服用激素", "冠心病心脏支架术后，需长期服药",
		"胃癌术后", "帕金森病，生活不能自理"}
	childIllness   = []string{"先天性心脏病，需手术治疗", "急性淋巴细胞白血病，正在化疗", "肾病综合征，长期治疗"}
	chronicIllness = []string{"高血压，长期服药", "2型糖尿病，长期注射胰岛素", "慢性支气管炎", "类风湿性关节炎",
		"冠心病", "慢性胃炎", "腰椎间盘突出", "慢性阻塞性肺疾病", ""}
	disabilityKinds = []string{"肢体", "肢体", "视力", "听力", "言语", "智力", "精神", "多重"}
	// disabilityCause gives, per kind, causes for grades 1–2 and for 3–4.
	disabilityCause = map[string][2][]string{
		"肢体": {{"双下肢截肢", "脊髓损伤，下肢瘫痪", "脑瘫，四肢功能障碍"}, {"左下肢截肢", "右上肢功能障碍", "小儿麻痹后遗症"}},
		"视力": {{"双眼失明"}, {"双眼低视力"}},
		"听力": {{"双耳全聋"}, {"双耳中度听力损失"}},
		"言语": {{"无言语能力"}, {"言语功能障碍"}},
		"智力": {{"先天性智力低下，生活需照料"}, {"轻度智力障碍"}},
		"精神": {{"精神分裂症，需长期服药"}, {"双相情感障碍，病情稳定"}},
		"多重": {{"肢体与言语多重残疾"}, {"听力与言语多重残疾"}},
	}
	gradeCN = []string{"", "一", "二", "三", "四"}
)
