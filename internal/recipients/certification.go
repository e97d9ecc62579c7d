package recipients

import (
	"context"
	"time"

	"dibao/internal/authz"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/workflow"
)

// Certification gating of the review and change-report flows (SPEC §3.5):
// the actor's post certifications valid today fill workflow.Facts.Certified
// and the county's certification_gate decides — enforce refuses with the
// engine's message, warn lets them proceed and the audit notes it.

// certified returns the names of the post certifications p holds today; a
// system principal holds none.
func (s *Service) certified(ctx context.Context, p authz.Principal) ([]string, error) {
	if p.UserID == 0 {
		return nil, nil
	}
	return s.DB.CertifiedNames(ctx, p.UserID, s.today().Format(time.DateOnly))
}

// gateParams are def's defaults with the certification_gate of the
// county of code.
func (s *Service) gateParams(ctx context.Context, def workflow.Definition, code region.Code) (workflow.Params, error) {
	params := def.Defaults
	set, err := policy.Resolve(ctx, s.DB, code.County(), s.today())
	if err != nil {
		return params, err
	}
	params.CertificationGate = set.Enum(policy.CertificationGate)
	return params, nil
}
