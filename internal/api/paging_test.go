package api_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"dibao/internal/api"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// TestHugePageNumbers: a page number whose offset overflows int was sent
// to the database as a negative OFFSET (PostgreSQL: 500; found by
// FuzzRegisterPaging). A far page is now an empty page or a field error.
func TestHugePageNumbers(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		testenv.SeedRegions(t, db)
		testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		testenv.User(t, db, "approver", testenv.County, authz.CountyApprover)
		testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "张三", Amount: 50000})
		a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		srv := httptest.NewServer(api.New(a))
		t.Cleanup(srv.Close)
		clerk, approver := login(t, srv, "clerk"), login(t, srv, "approver")
		for _, page := range []string{"9223372036854775807", "461168601842738791", "92233720368547759"} {
			code, body := call(t, srv, "GET", "/households?page_size=20&page="+page, clerk, nil)
			if code != 200 {
				t.Fatalf("households page %s: %d %s", page, code, body)
			}
			code, body = call(t, srv, "GET", "/recipients?page_size=200&page="+page, approver, nil)
			if code != 200 && (code != 400 || decodeErr(t, body).Error.Field != "page") {
				t.Fatalf("recipients page %s: %d %s", page, code, body)
			}
		}
	})
}
