package store

import (
	"context"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/region"
)

// The staff and cadre register: ID numbers of staff accounts and village
// cadres, sealed, with the blind index that intake matches household
// members against (近亲属备案).

// SetUserIDNumber records a staff member's ID number.
func (tx *Tx) SetUserIDNumber(ctx context.Context, userID int64, id idcard.ID) error {
	sealed, err := tx.db.seal(KindIDCard, string(id))
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "UPDATE users SET id_enc = ?, id_index = ? WHERE id = ?", sealed, tx.db.IDIndex(id), userID)
	if isUnique(err, "id_index") {
		return errs.New(errs.Conflict, "id_number", "该身份证号已登记在其他账号")
	}
	return mapErr(err, "保存身份证号失败")
}

// Cadre is a village (community) cadre in the register.
type Cadre struct {
	ID     int64
	Region region.Code
	Name   string
	Post   string
}

// AddCadre registers a village cadre; the region must be within scope.
func (tx *Tx) AddCadre(ctx context.Context, c Cadre, id idcard.ID) (int64, error) {
	if !tx.p.Scope().Contains(c.Region) {
		return 0, outOfScope()
	}
	sealed, err := tx.db.seal(KindIDCard, string(id))
	if err != nil {
		return 0, err
	}
	n, err := tx.insertID(ctx, "INSERT INTO cadres (region_code, name, post, id_enc, id_index) VALUES (?, ?, ?, ?, ?)",
		string(c.Region), c.Name, c.Post, sealed, tx.db.IDIndex(id))
	if isUnique(err, "id_index") {
		return 0, errs.New(errs.Conflict, "id_number", "该身份证号已登记为村（社区）干部")
	}
	return n, mapErr(err, "保存村（社区）干部失败")
}

// Cadres lists the cadres registered within scope.
func (db *DB) Cadres(ctx context.Context, scope region.Scope) ([]Cadre, error) {
	return collect(ctx, db, db.r, "读取村（社区）干部失败", `SELECT id, region_code, name, post FROM cadres
		WHERE region_code >= ? AND region_code < ? ORDER BY region_code, id`, []any{string(scope.Lo), string(scope.Hi)},
		func(r scanner) (Cadre, error) {
			var c Cadre
			var rc string
			err := r.Scan(&c.ID, &rc, &c.Name, &c.Post)
			c.Region = region.Code(rc)
			return c, err
		})
}
