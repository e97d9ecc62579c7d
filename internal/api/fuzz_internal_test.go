package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"dibao/internal/errs"
	"dibao/internal/store"
)

type fuzzBody struct {
	Name    string            `json:"name"`
	Version int64             `json:"version"`
	Amount  string            `json:"amount"`
	Flag    bool              `json:"flag"`
	IDs     []int64           `json:"ids"`
	Inner   *fuzzBody         `json:"inner"`
	Extra   map[string]string `json:"extra"`
}

// FuzzDecode sends arbitrary bodies through the API's JSON decoder: a
// refusal is an Invalid error with a Chinese message and a field that is
// empty or the offending JSON field; an accepted body round-trips.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"张三","version":3,"ids":[1,2],"inner":{"flag":true}}`, `{"name":1}`,
		`{"nope":1}`, `{"a":1}{"b":2}`, `{}`, `[]`, `null`, ``, `{"ids":[1e400]}`, `{"extra":{"k":"v"}}  `, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, _ := http.NewRequest("POST", "/", bytes.NewReader(body))
		var v fuzzBody
		err := decode(r, &v)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Message == "" {
				t.Fatalf("decode(%q) = %#v", body, err)
			}
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back fuzzBody
		r2, _ := http.NewRequest("POST", "/", bytes.NewReader(out))
		if err := decode(r2, &back); err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("round trip of %q: %+v, %v", out, back, err)
		}
	})
}

// FuzzRegisterPaging: the register's paging parameters give a page of 1
// to 200 rows at a non-negative offset, or a field error.
func FuzzRegisterPaging(f *testing.F) {
	for _, s := range []string{"page=2&page_size=50", "page=0", "page_size=201", "page=9223372036854775807&page_size=200",
		"region=130199101201", "region=x", "page=-1", "page_size=1&page=46116860184273880"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		var rf store.RegisterFilter
		paged, page, size, err := registerPaging(q, &rf)
		if err != nil {
			if e := errs.As(err); e.Code != errs.Invalid || e.Field == "" || paged {
				t.Fatalf("registerPaging(%q) = %#v", raw, err)
			}
			return
		}
		if page < 1 || size < 1 || size > 200 {
			t.Fatalf("page %d size %d", page, size)
		}
		if paged && (rf.Offset < 0 || rf.Limit != size || rf.Offset/size != page-1) {
			t.Fatalf("registerPaging(%q): limit %d offset %d for page %d", raw, rf.Limit, rf.Offset, page)
		}
	})
}
