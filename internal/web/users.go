package web

import (
	"net/http"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/people"
	"dibao/internal/store"
)

type userRow struct {
	ID          int64
	Username    string
	DisplayName string
	Roles       string
	Posts       string
	Region      string
	Active      bool
	LockedUntil string
}

// userFilter is the list filter as typed, echoed back into its form.
type userFilter struct {
	Query  string
	Role   string
	Status string
}

type usersPage struct {
	Rows      []userRow
	Filter    userFilter
	Filtered  bool
	Roles     []roleOption
	CanManage bool
}

// accounts is the account service. It is built per request over the shared
// store; it holds no state of its own.
func (s *server) accounts() *people.Service {
	return s.a.People
}

// userList shows the accounts within the caller's region, filtered by the
// query string (nothing sensitive, so the filter may live in the URL).
func (s *server) userList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	uf := userFilter{Query: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Status: q.Get("status")}
	if len([]rune(uf.Query)) > 32 {
		uf.Query = string([]rune(uf.Query)[:32])
	}
	if !authz.Role(uf.Role).Valid() {
		uf.Role = ""
	}
	switch uf.Status {
	case "active", "inactive", "locked":
	default:
		uf.Status = ""
	}
	us, err := s.accounts().List(r.Context(), p, store.UserFilter{Query: uf.Query, Role: authz.Role(uf.Role),
		Status: uf.Status})
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	now := s.a.DB.Now()
	up := usersPage{Filter: uf, Filtered: uf != (userFilter{}), CanManage: p.Can(authz.UserManage)}
	for _, rl := range authz.AllRoles {
		up.Roles = append(up.Roles, roleOption{Code: string(rl), Label: rl.Label(), Checked: string(rl) == uf.Role})
	}
	for _, u := range us {
		row := userRow{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Region: villageName(names, u.Region),
			Active: u.Active, Posts: strings.ReplaceAll(u.Posts, ",", "、")}
		row.Roles = roleLabels(authz.JoinRoles(u.Roles))
		if now.Before(u.LockedUntil) {
			row.LockedUntil = localTime(u.LockedUntil)
		}
		up.Rows = append(up.Rows, row)
	}
	s.render(w, r, p, http.StatusOK, "users", "用户管理", []crumb{{Label: "用户管理", Href: "/users"}, {Label: "账号列表"}}, up)
	return nil
}
