package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Material is one line of the intake checklist.
type Material struct {
	Code   string
	Status string // ok, missing, wrong
	Note   string
}

// SetMaterials replaces the checklist state of a case.
func (tx *Tx) SetMaterials(ctx context.Context, caseID int64, ms []Material) error {
	if _, err := tx.exec(ctx, "DELETE FROM case_materials WHERE case_id = ?", caseID); err != nil {
		return mapErr(err, "保存材料清单失败")
	}
	for _, m := range ms {
		if _, err := tx.exec(ctx, "INSERT INTO case_materials (case_id, code, status, note) VALUES (?, ?, ?, ?)",
			caseID, m.Code, m.Status, m.Note); err != nil {
			return mapErr(err, "保存材料清单失败")
		}
	}
	return nil
}

// Materials returns the checklist state of a case.
func (db *DB) Materials(ctx context.Context, caseID int64) ([]Material, error) {
	return materials(ctx, db, db.r, caseID)
}

// Materials returns the checklist state inside a transaction.
func (tx *Tx) Materials(ctx context.Context, caseID int64) ([]Material, error) {
	return materials(ctx, tx.db, tx.tx, caseID)
}

func materials(ctx context.Context, db *DB, q querier, caseID int64) ([]Material, error) {
	return collect(ctx, db, q, "读取材料清单失败", "SELECT code, status, note FROM case_materials WHERE case_id = ? ORDER BY code",
		[]any{caseID}, func(r scanner) (Material, error) {
			var m Material
			return m, r.Scan(&m.Code, &m.Status, &m.Note)
		})
}

// CaseFile is a stored scan; Data is loaded only by FileByToken.
type CaseFile struct {
	ID          int64
	CaseID      int64
	Token       string
	Material    string
	Name        string
	ContentType string
	Size        int
	Checksum    string
	Data        []byte
	UploadedAt  time.Time
}

// AddFile stores a scanned file.
func (tx *Tx) AddFile(ctx context.Context, f *CaseFile) error {
	// Scans of ID cards and bank books are sealed like the columns they
	// back up; an empty file is refused by upload.Check before this.
	sealed, err := tx.db.seal(KindCaseFile, string(f.Data))
	if err != nil {
		return err
	}
	f.UploadedAt = tx.db.now()
	f.ID, err = tx.insertID(ctx, `INSERT INTO case_files (case_id, token, material, name, content_type, size, checksum, data,
		uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.CaseID, f.Token, f.Material, f.Name, f.ContentType,
		f.Size, f.Checksum, []byte(sealed), nullID(tx.p.UserID), ms(f.UploadedAt))
	return mapErr(err, "保存扫描件失败")
}

// Files lists a case's scans without their content.
func (db *DB) Files(ctx context.Context, caseID int64) ([]CaseFile, error) {
	return collect(ctx, db, db.r, "读取扫描件失败", `SELECT id, case_id, token, material, name, content_type, size, checksum,
		uploaded_at FROM case_files WHERE case_id = ? ORDER BY id`, []any{caseID}, func(r scanner) (CaseFile, error) {
		var f CaseFile
		var at int64
		err := r.Scan(&f.ID, &f.CaseID, &f.Token, &f.Material, &f.Name, &f.ContentType, &f.Size, &f.Checksum, &at)
		f.UploadedAt = fromMS(at)
		return f, err
	})
}

// FileByToken loads a scan by its unguessable token, only if its case is
// within scope.
func (db *DB) FileByToken(ctx context.Context, scope region.Scope, token string) (CaseFile, error) {
	var f CaseFile
	var at int64
	var rc string
	err := db.queryRow(ctx, `SELECT f.id, f.case_id, f.token, f.material, f.name, f.content_type, f.size, f.checksum, f.data,
		f.uploaded_at, c.region_code FROM case_files f JOIN cases c ON c.id = f.case_id WHERE f.token = ?`, token).Scan(
		&f.ID, &f.CaseID, &f.Token, &f.Material, &f.Name, &f.ContentType, &f.Size, &f.Checksum, &f.Data, &at, &rc)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(region.Code(rc))) {
		return CaseFile{}, errs.New(errs.NotFound, "", "文件不存在或不在您的管辖范围内")
	}
	f.UploadedAt = fromMS(at)
	if err != nil {
		return CaseFile{}, mapErr(err, "读取扫描件失败")
	}
	// Files stored before scans were sealed are clear until `dibao key
	// reseal` seals them; sealed ones start with the algorithm name.
	if bytes.HasPrefix(f.Data, sealedPrefix) {
		clear, err := db.open(KindCaseFile, string(f.Data))
		if err != nil {
			return CaseFile{}, err
		}
		f.Data = []byte(clear)
	}
	return f, nil
}

// Visit is a home visit, a county home visit or a neighbour interview.
type Visit struct {
	ID            int64
	CaseID        int64
	Kind          string // home, county_home, neighbour
	Date          string
	Investigators []int64
	Data          string // JSON: form fields
	RecordedAt    time.Time
}

// AddVisit records a visit.
func (tx *Tx) AddVisit(ctx context.Context, v *Visit) error {
	ids := make([]string, len(v.Investigators))
	for i, id := range v.Investigators {
		ids[i] = strconv.FormatInt(id, 10)
	}
	var err error
	v.RecordedAt = tx.db.now()
	v.ID, err = tx.insertID(ctx, `INSERT INTO case_visits (case_id, kind, visit_date, investigators, data, recorded_by,
		recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, v.CaseID, v.Kind, v.Date, strings.Join(ids, ","), v.Data,
		nullID(tx.p.UserID), ms(v.RecordedAt))
	return mapErr(err, "保存调查记录失败")
}

// Visits returns a case's visits in order.
func (db *DB) Visits(ctx context.Context, caseID int64) ([]Visit, error) {
	return visits(ctx, db, db.r, caseID)
}

// Visits returns a case's visits inside a transaction.
func (tx *Tx) Visits(ctx context.Context, caseID int64) ([]Visit, error) {
	return visits(ctx, tx.db, tx.tx, caseID)
}

func visits(ctx context.Context, db *DB, q querier, caseID int64) ([]Visit, error) {
	return collect(ctx, db, q, "读取调查记录失败", `SELECT id, case_id, kind, visit_date, investigators, data, recorded_at
		FROM case_visits WHERE case_id = ? ORDER BY id`, []any{caseID}, func(r scanner) (Visit, error) {
		var v Visit
		var inv string
		var at int64
		if err := r.Scan(&v.ID, &v.CaseID, &v.Kind, &v.Date, &inv, &v.Data, &at); err != nil {
			return v, err
		}
		for _, s := range strings.Split(inv, ",") {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				v.Investigators = append(v.Investigators, id)
			}
		}
		v.RecordedAt = fromMS(at)
		return v, nil
	})
}

// Check is an information cross-check request and its report.
type Check struct {
	ID          int64
	CaseID      int64
	RequestID   string
	Adapter     string
	Ticket      string
	Status      string // pending, complete, partial, failed
	Report      string // JSON of the report
	RequestedAt time.Time
	ReceivedAt  time.Time
}

// AddCheck records a cross-check request.
func (tx *Tx) AddCheck(ctx context.Context, c *Check) error {
	var err error
	c.RequestedAt = tx.db.now()
	c.ID, err = tx.insertID(ctx, `INSERT INTO case_checks (case_id, request_id, adapter, ticket, status, report, requested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.CaseID, c.RequestID, c.Adapter, c.Ticket, c.Status, c.Report, ms(c.RequestedAt))
	return mapErr(err, "保存核对请求失败")
}

// SetCheckReport stores the report of a request, sealed: platform reports
// carry every member's ID number and their incomes.
func (tx *Tx) SetCheckReport(ctx context.Context, id int64, status, report string) error {
	sealed, err := tx.db.seal(KindCheckReport, report)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "UPDATE case_checks SET status = ?, report = ?, received_at = ? WHERE id = ?",
		status, sealed, ms(tx.db.now()), id)
	return mapErr(err, "保存核对报告失败")
}

// Checks returns a case's cross-checks.
func (db *DB) Checks(ctx context.Context, caseID int64) ([]Check, error) {
	return checks(ctx, db, db.r, caseID)
}

// Checks returns a case's cross-checks inside a transaction.
func (tx *Tx) Checks(ctx context.Context, caseID int64) ([]Check, error) {
	return checks(ctx, tx.db, tx.tx, caseID)
}

func checks(ctx context.Context, db *DB, q querier, caseID int64) ([]Check, error) {
	return collect(ctx, db, q, "读取核对记录失败", `SELECT id, case_id, request_id, adapter, ticket, status, report, requested_at,
		received_at FROM case_checks WHERE case_id = ? ORDER BY id`, []any{caseID}, func(r scanner) (Check, error) {
		var c Check
		var req, rec int64
		if err := r.Scan(&c.ID, &c.CaseID, &c.RequestID, &c.Adapter, &c.Ticket, &c.Status, &c.Report, &req, &rec); err != nil {
			return c, err
		}
		c.RequestedAt, c.ReceivedAt = fromMS(req), fromMS(rec)
		var err error
		c.Report, err = db.open(KindCheckReport, c.Report)
		return c, err
	})
}

// Objection is an objection raised during publicity.
type Objection struct {
	ID         int64
	CaseID     int64
	ReceivedOn string
	Objector   string
	Content    string
	Status     string // open, upheld, dismissed
	Resolution string
}

// AddObjection records an objection.
func (tx *Tx) AddObjection(ctx context.Context, o *Objection) error {
	var err error
	o.Status = "open"
	o.ID, err = tx.insertID(ctx, `INSERT INTO case_objections (case_id, received_on, objector, content, status, recorded_by)
		VALUES (?, ?, ?, ?, 'open', ?)`, o.CaseID, o.ReceivedOn, o.Objector, o.Content, nullID(tx.p.UserID))
	return mapErr(err, "保存异议失败")
}

// ResolveObjection closes an open objection of the case.
func (tx *Tx) ResolveObjection(ctx context.Context, caseID, id int64, status, resolution string) error {
	res, err := tx.exec(ctx, `UPDATE case_objections SET status = ?, resolution = ?, resolved_by = ?, resolved_at = ?
		WHERE id = ? AND case_id = ? AND status = 'open'`, status, resolution, nullID(tx.p.UserID), ms(tx.db.now()), id, caseID)
	if err != nil {
		return mapErr(err, "保存异议处理结果失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "objection_id", "该异议不存在或已处理")
	}
	return nil
}

// Objections returns a case's objections.
func (db *DB) Objections(ctx context.Context, caseID int64) ([]Objection, error) {
	return objections(ctx, db, db.r, caseID)
}

// Objections returns a case's objections inside a transaction.
func (tx *Tx) Objections(ctx context.Context, caseID int64) ([]Objection, error) {
	return objections(ctx, tx.db, tx.tx, caseID)
}

func objections(ctx context.Context, db *DB, q querier, caseID int64) ([]Objection, error) {
	return collect(ctx, db, q, "读取异议失败", `SELECT id, case_id, received_on, objector, content, status, resolution
		FROM case_objections WHERE case_id = ? ORDER BY id`, []any{caseID}, func(r scanner) (Objection, error) {
		var o Objection
		return o, r.Scan(&o.ID, &o.CaseID, &o.ReceivedOn, &o.Objector, &o.Content, &o.Status, &o.Resolution)
	})
}

// Document is an issued, numbered document; Data is the JSON snapshot it
// was rendered from, so a reprint shows exactly what was issued.
type Document struct {
	ID       int64
	CaseID   int64
	Kind     string
	Number   string
	IssuedAt time.Time
	Data     string
}

// AddDocument stores an issued document.
func (tx *Tx) AddDocument(ctx context.Context, d *Document) error {
	var err error
	d.IssuedAt = tx.db.now()
	d.ID, err = tx.insertID(ctx, "INSERT INTO documents (case_id, kind, number, issued_at, data) VALUES (?, ?, ?, ?, ?)",
		d.CaseID, d.Kind, d.Number, ms(d.IssuedAt), d.Data)
	return mapErr(err, "保存文书失败")
}

// Documents returns a case's documents.
func (db *DB) Documents(ctx context.Context, caseID int64) ([]Document, error) {
	return collect(ctx, db, db.r, "读取文书失败", "SELECT id, case_id, kind, number, issued_at, data FROM documents WHERE case_id = ? ORDER BY id",
		[]any{caseID}, func(r scanner) (Document, error) {
			var d Document
			var at int64
			err := r.Scan(&d.ID, &d.CaseID, &d.Kind, &d.Number, &at, &d.Data)
			d.IssuedAt = fromMS(at)
			return d, err
		})
}

// Relative is a close relation between a case's household and a staff
// member or village cadre.
type Relative struct {
	MemberName string
	Relative   string
	Relation   string
	UserID     int64
	CadreID    int64
	Source     string // declared or matched
}

// AddRelative records a relation found or declared at intake.
func (tx *Tx) AddRelative(ctx context.Context, caseID int64, r Relative) error {
	_, err := tx.exec(ctx, `INSERT INTO case_relatives (case_id, member_name, relative, relation, user_id, cadre_id, source)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, caseID, r.MemberName, r.Relative, r.Relation, nullID(r.UserID), nullID(r.CadreID), r.Source)
	return mapErr(err, "保存近亲属备案失败")
}

// Relatives returns the relations recorded for a case.
func (tx *Tx) Relatives(ctx context.Context, caseID int64) ([]Relative, error) {
	return collect(ctx, tx.db, tx.tx, "读取近亲属备案失败", `SELECT member_name, relative, relation, COALESCE(user_id, 0),
		COALESCE(cadre_id, 0), source FROM case_relatives WHERE case_id = ? ORDER BY id`, []any{caseID}, func(r scanner) (Relative, error) {
		var x Relative
		return x, r.Scan(&x.MemberName, &x.Relative, &x.Relation, &x.UserID, &x.CadreID, &x.Source)
	})
}

// StaffByIDIndex finds a staff account or village cadre whose ID number has
// the given blind index (the intake relative check).
func (tx *Tx) StaffByIDIndex(ctx context.Context, idx string) (userID, cadreID int64, name string, err error) {
	err = tx.queryRow(ctx, "SELECT id, display_name FROM users WHERE id_index = ?", idx).Scan(&userID, &name)
	if err == nil {
		return userID, 0, name, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, "", mapErr(err, "核查近亲属失败")
	}
	err = tx.queryRow(ctx, "SELECT id, name FROM cadres WHERE id_index = ?", idx).Scan(&cadreID, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, "", nil
	}
	return 0, cadreID, name, mapErr(err, "核查近亲属失败")
}

// Recipient is an approved household in the register.
type Recipient struct {
	HouseholdID int64
	CaseID      int64
	Region      region.Code
	Category    string
	Amount      money.Fen
	Members     int
	StartMonth  string
	Status      string
	HeadName    string
}

// Enroll adds an approved household to the recipient register.
func (tx *Tx) Enroll(ctx context.Context, r Recipient) error {
	_, err := tx.exec(ctx, `INSERT INTO recipients (household_id, case_id, region_code, category, amount_fen, members,
		start_month, status, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.HouseholdID, r.CaseID, string(r.Region),
		r.Category, int64(r.Amount), r.Members, r.StartMonth, r.Status, ms(tx.db.now()))
	if isUnique(err, "household_id") {
		return errs.New(errs.Conflict, "", "该家庭已在保，不能重复纳入")
	}
	return mapErr(err, "纳入保障对象失败")
}

// Recipients lists active recipients in scope (standing publicity).
func (db *DB) Recipients(ctx context.Context, scope region.Scope) ([]Recipient, error) {
	return collect(ctx, db, db.r, "读取保障对象失败", `SELECT r.household_id, r.case_id, r.region_code, r.category, r.amount_fen,
		r.members, r.start_month, r.status, h.head_name FROM recipients r JOIN households h ON h.id = r.household_id
		WHERE r.region_code >= ? AND r.region_code < ? AND r.status = 'active' ORDER BY r.region_code, r.household_id`,
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (Recipient, error) {
			var r Recipient
			var rc string
			var amt int64
			err := s.Scan(&r.HouseholdID, &r.CaseID, &rc, &r.Category, &amt, &r.Members, &r.StartMonth, &r.Status, &r.HeadName)
			r.Region, r.Amount = region.Code(rc), money.Fen(amt)
			return r, err
		})
}

// IdempotentReply is the stored first answer to a mutating API call.
type IdempotentReply struct {
	Method, Path string
	Status       int
	Body         string
}

// IdempotentGet returns the stored reply for (user, key), if any.
func (db *DB) IdempotentGet(ctx context.Context, userID int64, key string) (IdempotentReply, bool, error) {
	var r IdempotentReply
	err := db.queryRow(ctx, "SELECT method, path, status, body FROM idempotency WHERE user_id = ? AND key = ?", userID, key).
		Scan(&r.Method, &r.Path, &r.Status, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, mapErr(err, "读取幂等记录失败")
}

// IdempotentPut stores the first reply inside the transaction of the
// change it answers, so a replay can never see the change without it.
func (tx *Tx) IdempotentPut(ctx context.Context, key string, r IdempotentReply) error {
	_, err := tx.exec(ctx, `INSERT INTO idempotency (user_id, key, method, path, status, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, tx.p.UserID, key, r.Method, r.Path, r.Status, r.Body, ms(tx.db.now()))
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "Idempotency-Key", "该请求正在处理或已处理（幂等键重复）")
	}
	if err == nil {
		tx.remembered = key
	}
	return mapErr(err, "保存幂等记录失败")
}
