package store

import "testing"

func TestWithConnectTimeout(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/d":                                  "postgres://u:p@h:5432/d?connect_timeout=5",
		"postgres://u:p@h/d?sslmode=disable&search_path=t_1":       "postgres://u:p@h/d?sslmode=disable&search_path=t_1&connect_timeout=5",
		"postgres://u:p@h/d?connect_timeout=30":                    "postgres://u:p@h/d?connect_timeout=30",
		"postgresql://u@h/d?sslmode=disable&connect_timeout=1&x=y": "postgresql://u@h/d?sslmode=disable&connect_timeout=1&x=y",
	} {
		if got := withConnectTimeout(in); got != want {
			t.Errorf("withConnectTimeout(%q) = %q, want %q", in, got, want)
		}
	}
}
