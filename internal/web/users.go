package web

import (
	"net/http"
	"strings"

	"dibao/internal/authz"
)

type userRow struct {
	Username    string
	DisplayName string
	Roles       string
	Region      string
	Active      bool
	LockedUntil string
}

type usersPage struct {
	Rows []userRow
}

// userList shows the accounts within the caller's region. There is no
// account service yet, so the permission is checked here before the store
// is read; it moves into that service when user management is built.
func (s *server) userList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := p.Require(authz.UserView); err != nil {
		return err
	}
	us, err := s.a.DB.Users(r.Context(), p.Scope())
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	now := s.a.DB.Now()
	var up usersPage
	for _, u := range us {
		row := userRow{Username: u.Username, DisplayName: u.DisplayName, Region: villageName(names, u.Region),
			Active: u.Active}
		var labels []string
		for _, rl := range u.Roles {
			labels = append(labels, rl.Label())
		}
		row.Roles = strings.Join(labels, "、")
		if now.Before(u.LockedUntil) {
			row.LockedUntil = localTime(u.LockedUntil)
		}
		up.Rows = append(up.Rows, row)
	}
	s.render(w, r, p, http.StatusOK, "users", "用户管理", []crumb{{Label: "用户管理", Href: "/users"}, {Label: "账号列表"}}, up)
	return nil
}
