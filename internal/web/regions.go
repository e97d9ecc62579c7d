package web

import (
	"context"

	"dibao/internal/authz"
	"dibao/internal/region"
)

// villageOption is one village or community in a select box.
type villageOption struct {
	Code  string
	Name  string
	Urban bool
}

// villageGroup is the villages of one township, rendered as an optgroup.
type villageGroup struct {
	Township string
	Villages []villageOption
}

// regionChoices lists the villages and communities within the caller's
// scope grouped by township, plus every region's name for labelling.
type regionChoices struct {
	Groups []villageGroup
	Names  map[region.Code]string
	Count  int
	Only   *villageOption // the single village when there is just one
}

func (s *server) regionChoices(ctx context.Context, p authz.Principal) (regionChoices, error) {
	var rc regionChoices
	names, err := s.a.DB.RegionNames(ctx)
	if err != nil {
		return rc, err
	}
	rc.Names = names
	rs, err := s.a.DB.Regions(ctx, p.Scope())
	if err != nil {
		return rc, err
	}
	idx := map[region.Code]int{}
	for _, r := range rs {
		if r.Level != region.Village {
			continue
		}
		i, ok := idx[r.Parent]
		if !ok {
			town := names[r.Parent]
			if town == "" {
				town = "其他"
			}
			i = len(rc.Groups)
			idx[r.Parent] = i
			rc.Groups = append(rc.Groups, villageGroup{Township: town})
		}
		rc.Groups[i].Villages = append(rc.Groups[i].Villages, villageOption{Code: string(r.Code), Name: r.Name, Urban: r.Urban})
		rc.Count++
	}
	if rc.Count == 1 {
		rc.Only = &rc.Groups[0].Villages[0]
	}
	return rc, nil
}

// villageName labels a village code as "乡镇 / 村".
func villageName(names map[region.Code]string, c region.Code) string {
	n := names[c]
	if n == "" {
		return string(c)
	}
	if c.Level() == region.Village {
		if t := names[c.Parent()]; t != "" {
			return t + " / " + n
		}
	}
	return n
}
