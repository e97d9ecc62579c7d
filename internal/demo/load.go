package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
)

// LoadResult says what Load did.
type LoadResult struct {
	AlreadyLoaded bool      // the demo county was loaded before; nothing was written
	LoadedAt      time.Time // when the demo county was (or had been) loaded
	Regions       int
	Users         int
	Households    int
	Members       int
	Incomes       int
	Properties    int
	Duration      time.Duration // wall time of this call
}

var errAlreadyLoaded = errors.New("demo: already loaded")

// Load writes ds in one transaction, with audit records, and marks the
// database with MetaKey. If the mark is already there it writes nothing and
// reports AlreadyLoaded, so it is safe to call at every start-up.
func Load(ctx context.Context, db *store.DB, ds Dataset) (LoadResult, error) {
	start := time.Now()
	if v, err := db.Meta(ctx, MetaKey); err != nil {
		return LoadResult{}, err
	} else if v != "" {
		return LoadResult{AlreadyLoaded: true, LoadedAt: parseTime(v), Duration: time.Since(start)}, nil
	}
	// argon2 is the slow part: hash outside the write transaction, in parallel.
	hashes := make([]string, len(ds.Users))
	hashErrs := make([]error, len(ds.Users))
	var wg sync.WaitGroup
	for i, u := range ds.Users {
		wg.Go(func() { hashes[i], hashErrs[i] = access.HashPassword(u.Password) })
	}
	wg.Wait()
	if err := errors.Join(hashErrs...); err != nil {
		return LoadResult{}, fmt.Errorf("demo: hash passwords: %w", err)
	}

	county := CountyCode
	if len(ds.Regions) > 0 {
		county = ds.Regions[0].Code
	}
	p := authz.System("demo")
	p.Region = county
	var res LoadResult
	err := db.InTx(ctx, p, func(tx *store.Tx) error {
		// Checked again inside the transaction: two processes starting at
		// once must not both load.
		if v, err := tx.MetaTx(ctx, MetaKey); err != nil {
			return err
		} else if v != "" {
			res.LoadedAt = parseTime(v)
			return errAlreadyLoaded
		}
		res = LoadResult{}
		for _, r := range ds.Regions {
			if err := tx.PutRegion(ctx, r); err != nil {
				return fmt.Errorf("demo: region %s: %w", r.Code, err)
			}
			res.Regions++
		}
		if err := tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "region:" + string(county),
			Detail: fmt.Sprintf("演示数据：写入行政区划%d个", res.Regions)}); err != nil {
			return err
		}
		for i, u := range ds.Users {
			id, err := tx.CreateUser(ctx, store.User{Username: u.Username, DisplayName: u.DisplayName,
				PasswordHash: hashes[i], Region: u.Region, Roles: []authz.Role{u.Role}, Posts: u.Posts,
				HireDate: u.HireDate.Format(time.DateOnly), Active: true})
			if err != nil {
				return fmt.Errorf("demo: user %s: %w", u.Username, err)
			}
			if err := tx.Audit(ctx, store.Entry{Action: "demo.load", Object: fmt.Sprintf("user:%d", id),
				Detail: fmt.Sprintf("演示账号 %s（%s）", u.Username, u.Role.Label())}); err != nil {
				return err
			}
			res.Users++
		}
		for i := range ds.Households {
			if err := loadHousehold(ctx, tx, ds, i, &res); err != nil {
				return err
			}
		}
		now := db.Now()
		res.LoadedAt = now
		if err := tx.SetMeta(ctx, MetaKey, now.UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "demo",
			Detail: fmt.Sprintf("演示数据加载完成：种子%d，区划%d个，账号%d个，家庭%d户，成员%d人，收入%d项，财产%d项",
				ds.Seed, res.Regions, res.Users, res.Households, res.Members, res.Incomes, res.Properties)})
	})
	if errors.Is(err, errAlreadyLoaded) {
		return LoadResult{AlreadyLoaded: true, LoadedAt: res.LoadedAt, Duration: time.Since(start)}, nil
	}
	if err != nil {
		return LoadResult{}, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// loadHousehold writes household i of ds with its items. It works on a copy
// so that the caller's Dataset keeps its zero IDs.
func loadHousehold(ctx context.Context, tx *store.Tx, ds Dataset, i int, res *LoadResult) error {
	h := ds.Households[i]
	h.Members = slices.Clone(h.Members)
	h.Incomes, h.Properties = nil, nil
	if err := tx.CreateHousehold(ctx, &h); err != nil {
		return fmt.Errorf("demo: household %d (%s): %w", i, h.Region, err)
	}
	version := h.Version
	for j, in := range ds.Households[i].Incomes {
		in.MemberID = 0
		if i < len(ds.Earners) && j < len(ds.Earners[i]) {
			if k := ds.Earners[i][j]; k >= 0 && k < len(h.Members) {
				in.MemberID = h.Members[k].ID
			}
		}
		if _, err := tx.AddIncome(ctx, h.ID, version, in); err != nil {
			return fmt.Errorf("demo: household %d income %d: %w", i, j, err)
		}
		version++ // AddIncome bumps the household version
	}
	for j, p := range ds.Households[i].Properties {
		if _, err := tx.AddProperty(ctx, h.ID, version, p); err != nil {
			return fmt.Errorf("demo: household %d property %d: %w", i, j, err)
		}
		version++
	}
	if err := tx.Audit(ctx, store.Entry{Action: "demo.load", Object: fmt.Sprintf("household:%d", h.ID),
		Detail: fmt.Sprintf("演示家庭：%d人，收入%d项，财产%d项", len(h.Members),
			len(ds.Households[i].Incomes), len(ds.Households[i].Properties))}); err != nil {
		return err
	}
	res.Households++
	res.Members += len(h.Members)
	res.Incomes += len(ds.Households[i].Incomes)
	res.Properties += len(ds.Households[i].Properties)
	return nil
}

func parseTime(v string) time.Time {
	t, _ := time.Parse(time.RFC3339, v)
	return t
}

// Account is a demo account as listed at start-up and on the login page.
type Account struct {
	Username    string
	DisplayName string
	Password    string
	Role        authz.Role
	RoleLabel   string // Chinese role name
	Region      region.Code
	RegionName  string // e.g. 李家庄村, 东湖镇, 平安县
}

// Accounts lists the twelve demo accounts in a fixed order. They do not
// depend on the seed.
func Accounts() []Account {
	names := map[region.Code]string{CountyCode: CountyName}
	for _, t := range towns {
		names[t.code] = t.name
	}
	for _, v := range villages {
		names[v.code] = v.name
	}
	out := make([]Account, len(staff))
	for i, s := range staff {
		out[i] = Account{Username: s.username, DisplayName: s.name, Password: Password, Role: s.role,
			RoleLabel: s.role.Label(), Region: s.region, RegionName: names[s.region]}
	}
	return out
}
