package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// pageSize is the number of households per list page.
const pageSize = 20

type listFilter struct {
	Region  string
	Name    string
	Urban   string
	IDInput string // echoed only when invalid, so the clerk can correct it
	IDShown string // masked form of a valid ID number searched for
	IDError string
	Error   string // other filter problems (unknown region)
}

type listRow struct {
	ID      int64
	Head    string
	HeadID  string // masked
	Size    int
	Village string
	Urban   string
	Updated string
}

type pageLink struct {
	Label   string
	Href    string
	Current bool
	Gap     bool
}

type listPage struct {
	Filter   listFilter
	Regions  regionChoices
	Rows     []listRow
	Total    int
	Page     int
	Pages    int
	Links    []pageLink
	Prev     string
	Next     string
	CanEdit  bool
	Filtered bool
}

func urbanLabel(u bool) string {
	if u {
		return "城市"
	}
	return "农村"
}

// filterFrom reads the shared filter fields from a query or a form.
func filterFrom(v url.Values) (listFilter, store.HouseholdFilter) {
	lf := listFilter{Region: strings.TrimSpace(v.Get("region_code")), Name: strings.TrimSpace(v.Get("name")),
		Urban: v.Get("urban")}
	if lf.Urban != "urban" && lf.Urban != "rural" {
		lf.Urban = ""
	}
	if len([]rune(lf.Name)) > 30 {
		lf.Name = string([]rune(lf.Name)[:30])
	}
	f := store.HouseholdFilter{Name: lf.Name, Urban: lf.Urban, PageSize: pageSize}
	if lf.Region != "" {
		c, err := region.Parse(lf.Region)
		if err != nil {
			lf.Error = "所选村（社区）无效：" + errs.As(err).Message
			lf.Region = ""
		} else {
			f.Region = c
		}
	}
	return lf, f
}

// query encodes the filters (never the ID number) for links.
func (lf listFilter) query(page int) string {
	v := url.Values{}
	if lf.Region != "" {
		v.Set("region_code", lf.Region)
	}
	if lf.Name != "" {
		v.Set("name", lf.Name)
	}
	if lf.Urban != "" {
		v.Set("urban", lf.Urban)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/households"
	}
	return "/households?" + v.Encode()
}

func (s *server) householdList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	lf, f := filterFrom(r.URL.Query())
	f.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	if f.Page < 1 {
		f.Page = 1
	}
	return s.renderList(w, r, p, http.StatusOK, lf, f)
}

// householdSearch takes the filter form. The ID number travels only in the
// POST body: in a URL it would end up in browser history, proxy logs and
// bookmarks. Without an ID number the search redirects to the plain list.
func (s *server) householdSearch(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	lf, f := filterFrom(r.PostForm)
	idq := strings.TrimSpace(r.PostFormValue("id_number"))
	if idq == "" {
		http.Redirect(w, r, lf.query(1), http.StatusSeeOther)
		return nil
	}
	f.Page = 1
	id, err := s.a.Registry.ParseIDQuery(idq)
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			return err
		}
		lf.IDError = errs.As(err).Message
		if len(idq) <= 40 {
			lf.IDInput = idq
		}
		return s.renderList(w, r, p, statusOf(err, true), lf, f)
	}
	f.IDNumber = id
	lf.IDShown = id.Mask()
	return s.renderList(w, r, p, http.StatusOK, lf, f)
}

func (s *server) renderList(w http.ResponseWriter, r *http.Request, p authz.Principal, status int,
	lf listFilter, f store.HouseholdFilter) error {
	rc, err := s.regionChoices(r.Context(), p)
	if err != nil {
		return err
	}
	lp := listPage{Filter: lf, Regions: rc, Page: f.Page, CanEdit: p.Can(authz.HouseholdEdit),
		Filtered: lf.Region != "" || lf.Name != "" || lf.Urban != "" || lf.IDShown != ""}
	if lf.IDError == "" {
		rows, total, err := s.a.Registry.List(r.Context(), p, f)
		if err != nil {
			return err
		}
		lp.Total = total
		for _, x := range rows {
			lp.Rows = append(lp.Rows, listRow{ID: x.ID, Head: x.HeadName, HeadID: x.HeadID.Mask(), Size: x.Size,
				Village: villageName(rc.Names, x.Region), Urban: urbanLabel(x.Urban), Updated: localTime(x.UpdatedAt)})
		}
	} else if err := p.Require(authz.HouseholdView); err != nil {
		return err
	}
	lp.Pages = (lp.Total + pageSize - 1) / pageSize
	if lf.IDShown == "" {
		lp.Links, lp.Prev, lp.Next = pagination(lf, lp.Page, lp.Pages)
	}
	s.render(w, r, p, status, "households", "家庭档案",
		[]crumb{{Label: "家庭档案", Href: "/households"}, {Label: "家庭列表"}}, lp)
	return nil
}

// pagination returns page links: the first, the last and two either side
// of the current page, with gaps between.
func pagination(lf interface{ query(int) string }, page, pages int) (links []pageLink, prev, next string) {
	if pages <= 1 {
		return nil, "", ""
	}
	last := 0
	for i := 1; i <= pages; i++ {
		if i != 1 && i != pages && (i < page-2 || i > page+2) {
			continue
		}
		if last != 0 && i != last+1 {
			links = append(links, pageLink{Label: "…", Gap: true})
		}
		links = append(links, pageLink{Label: strconv.Itoa(i), Href: lf.query(i), Current: i == page})
		last = i
	}
	if page > 1 {
		prev = lf.query(page - 1)
	}
	if page < pages {
		next = lf.query(page + 1)
	}
	return links, prev, next
}
