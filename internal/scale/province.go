// Package scale generates a province-sized dataset for demonstrations and
// benchmarks (`dibao demo --households N`, issue 8): 15 counties, 100
// townships and 2,000 villages of 河源省 (codes 41…, apart from the demo
// county 平安县 130199), their policy standards and staff, and N households
// — most of them recipients, the rest applications in every workflow state
// and stopped recipients. Generation is pure and deterministic for a seed;
// Load writes it through the store's bulk writer in audited chunks.
package scale

import (
	"fmt"

	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/store"
)

// Shape of the province.
const (
	Counties  = 15
	Townships = 100
	Villages  = 2000
)

// County is one generated county with its allowance standards.
type County struct {
	Code          region.Code
	Name          string
	UrbanStandard money.Fen
	RuralStandard money.Fen
}

var countyNames = []string{"伏牛", "白河", "桐柏", "淮源", "丹江", "嵩阳", "汝南", "颍川", "宛城", "洛北",
	"黄陂", "商水", "鸿沟", "太康", "柘城"}

var placeWords = []string{"东", "西", "南", "北", "中", "上", "下", "前", "后", "新", "老", "高", "石", "柳", "杨", "李",
	"王", "张", "刘", "陈", "马", "赵", "孙", "周", "吴", "郑", "河", "山", "桥", "湾", "岗", "坡", "塘", "庄", "营",
	"集", "店", "铺", "寨", "沟"}

// ProvinceCounties lists the 15 counties: codes 41cc2k000000, cc 11–15 (five cities
// of three counties each), standards that differ from county to county.
func ProvinceCounties() []County {
	out := make([]County, Counties)
	for i := range out {
		code := region.Code(fmt.Sprintf("41%02d%02d000000", 11+i/3, 21+i%3))
		out[i] = County{Code: code, Name: countyNames[i] + "县",
			UrbanStandard: money.FromYuan(int64(820 + 10*(i%9))), RuralStandard: money.FromYuan(int64(600 + 10*(i%7)))}
	}
	return out
}

// Regions lists the province's regions, each parent before its children:
// every county, then per county its townships (the first a 街道 of urban
// communities, the others 镇 and 乡 of villages), each followed by its
// twenty villages.
func Regions() []store.Region {
	var out []store.Region
	cs := ProvinceCounties()
	for _, c := range cs {
		out = append(out, store.Region{Code: c.Code, Name: c.Name, Level: region.County})
	}
	t := 0
	for ci, c := range cs {
		towns := Townships / Counties
		if ci < Townships%Counties {
			towns++
		}
		for k := 0; k < towns; k++ {
			urban := k == 0
			tc := region.Code(string(c.Code[:6]) + fmt.Sprintf("%03d", 101+k) + "000")
			suffix := "镇"
			switch {
			case urban:
				suffix = "街道"
			case k%3 == 2:
				suffix = "乡"
			}
			out = append(out, store.Region{Code: tc, Name: word(t) + word(t*7+3) + suffix, Level: region.Township,
				Parent: c.Code, Urban: urban})
			per := Villages / Townships
			for v := 0; v < per; v++ {
				n := t*per + v
				vc := region.Code(string(tc[:9]) + fmt.Sprintf("%03d", 201+v))
				name := word(n) + word(n/len(placeWords)+v) + "村"
				if urban {
					vc = region.Code(string(tc[:9]) + fmt.Sprintf("%03d", 1+v))
					name = word(n) + word(n/len(placeWords)+v+5) + "社区"
				}
				out = append(out, store.Region{Code: vc, Name: name, Level: region.Village, Parent: tc, Urban: urban})
			}
			t++
		}
	}
	return out
}

func word(i int) string { return placeWords[(i%len(placeWords)+len(placeWords))%len(placeWords)] }
