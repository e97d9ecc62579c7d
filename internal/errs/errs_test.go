package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestAsAndCodeOf(t *testing.T) {
	var l List
	l.Add("a", "第%d项", 1)
	l.Add("b", "第二项")
	cases := []struct {
		name  string
		err   error
		code  Code
		field string
	}{
		{"domain error", New(NotFound, "", "不存在"), NotFound, ""},
		{"wrapped domain error", fmt.Errorf("ctx: %w", New(Conflict, "v", "冲突")), Conflict, "v"},
		{"list gives first", l, Invalid, "a"},
		{"foreign error", errors.New("boom"), Internal, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := As(c.err)
			if e.Code != c.code || e.Field != c.field || CodeOf(c.err) != c.code {
				t.Fatalf("As(%v) = %+v, want code %s field %q", c.err, e, c.code, c.field)
			}
		})
	}
	if f := Fields(l); len(f) != 2 || f["a"] != "第1项" || f["b"] != "第二项" {
		t.Fatalf("Fields = %v", f)
	}
	if l := (List{}); l.Err() != nil {
		t.Fatal("empty list must be nil error")
	}
}
