package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/idcard"
	"dibao/internal/registry"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// Cases measures case transitions: for n households already in the store
// (created first, untimed), open an application and take it
// through intake → accept → forward with the workflow service (facts,
// guards, deadlines, documents, audit), against the same three state
// changes done raw on a second set of cases.
func Cases(ctx context.Context, db *store.DB, clerk authz.Principal, n int, progress io.Writer) (Result, error) {
	svc := &casework.Service{DB: db, Now: db.Now}
	reg := &registry.Service{DB: db, Now: db.Now}
	ids := newIDs()
	hids := make([]int64, 2*n)
	for i := range hids {
		// Offset the generator so these IDs differ from the household workload's.
		h, err := reg.Create(ctx, clerk, draft(clerk.Region, func(a, b int) idcard.ID { return ids(a+1_000_000, b) }, i))
		if err != nil {
			return Result{}, fmt.Errorf("bench cases: household %d: %w", i, err)
		}
		hids[i] = h.ID
	}
	ok := make([]casework.MaterialInput, 0, len(casework.Materials))
	for _, m := range casework.Materials {
		ok = append(ok, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	today := time.Now().Format(time.DateOnly)
	res := Result{Name: "case transitions", Ops: 3 * n}
	for i := 0; i < n; i++ {
		c, err := svc.Open(ctx, clerk, hids[i], casework.Declaration{None: true})
		if err != nil {
			return res, err
		}
		if c, err = svc.SetMaterials(ctx, clerk, c.ID, c.Version, ok); err != nil {
			return res, err
		}
		start := time.Now()
		for _, t := range []struct {
			id string
			v  map[string][]string
		}{{"intake", map[string][]string{"application_date": {today}}}, {"accept", nil}, {"forward", nil}} {
			out, err := svc.Act(ctx, clerk, casework.Action{CaseID: c.ID, Version: c.Version, Transition: t.id,
				Input: workflow.Input{Values: t.v}})
			if err != nil {
				return res, fmt.Errorf("case %d %s: %w", i, t.id, err)
			}
			c = out.Case
		}
		res.App += time.Since(start)
		raw, err := svc.Open(ctx, clerk, hids[n+i], casework.Declaration{None: true})
		if err != nil {
			return res, err
		}
		start = time.Now()
		for _, t := range [][3]string{{"intake", "draft", "submitted"}, {"accept", "submitted", "accepted"}, {"forward", "accepted", "forwarded"}} {
			if err := db.RawTransition(ctx, raw.ID, t[0], t[1], t[2]); err != nil {
				return res, err
			}
		}
		res.Raw += time.Since(start)
		if progress != nil && (i+1)%max(n/10, 1) == 0 {
			fmt.Fprintf(progress, "\rcases %3d%%", (i+1)*100/n)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	res.Ratio = ratio(res.App, res.Raw)
	return res, nil
}
