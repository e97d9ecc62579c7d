package recipients

import (
	"context"
	"log/slog"
	"time"

	"dibao/internal/authz"
)

// GenerateReviewsEvery generates the periodic review tasks falling due
// (GenerateReviews, as the system principal over every county) once at
// start and then every interval until ctx ends, so that every recipient's
// review appears in the township's queue by itself on its due date; the
// county's 生成到期复核任务 button does the same at once. Failures are
// logged and retried at the next tick; the run is idempotent. serve starts
// it daily.
func GenerateReviewsEvery(ctx context.Context, s *Service, interval time.Duration, log *slog.Logger) {
	p := authz.System("reviews")
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		created, err := s.GenerateReviews(ctx, p, s.today())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("periodic reviews: generating due tasks", "err", err)
		case created.Count > 0:
			log.Info("periodic reviews: tasks generated", "created", created.Count)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
