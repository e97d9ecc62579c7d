// Package auditlog is the read side of the audit chain: listing records for
// the people allowed to see them. Appending happens inside each service's
// transaction (store.Tx.Audit); verifying is store.DB.VerifyAudit.
package auditlog

import (
	"context"

	"dibao/internal/audit"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
)

// List returns audit records newest first, filtered by f, to a caller
// holding the audit-view permission. The audit trail covers the whole
// county: who looked at what is itself evidence, so it is not cut by region
// within the county — but another county's trail is not this auditor's.
// Batch principals (no region) are listed to every auditor.
func List(ctx context.Context, db *store.DB, p authz.Principal, f store.AuditFilter) ([]audit.Record, error) {
	if err := p.Require(authz.AuditView); err != nil {
		return nil, err
	}
	sc := region.ScopeOf(p.Region.County())
	f.Scope = &sc
	return db.AuditRecords(ctx, f)
}
