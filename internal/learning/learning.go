// Package learning runs the online learning platform of issue 5 item 5
// (SPEC §3.3): training admins and trainers upload documents (PDF) and
// videos (MP4, WebM), staff browse them by content category, and the
// server tracks each person's progress from the watched intervals that the
// player reports in heartbeats (package progress). Skipping ahead credits
// nothing, two tabs over the same segment count once, and an item's minutes
// are credited once, on completion, to the person's enrollment in the
// item's training plan.
//
// Documents have no playback to measure: a document completes when the
// reader presses "已读完" (Acknowledge). That is deliberately the simple
// rule; documents are short policy texts and the acknowledgement is
// audited under the reader's name.
package learning

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/progress"
	"dibao/internal/store"
	"dibao/internal/upload"
)

// MaxSize bounds one uploaded item. Content is kept in the database, which
// is fine for the demo's handful of short videos.
const MaxSize = 200 << 20

// MaxMinutes bounds the minutes one item credits (a full training day).
const MaxMinutes = 8 * 60

// Content types accepted, decided from the content, never the file name.
const (
	MP4  = "video/mp4"
	WebM = "video/webm"
	PDF  = string(upload.PDF)
)

// Sniff decides the type of an upload from its first bytes: an MP4 has an
// "ftyp" box at offset 4, a WebM starts with the EBML magic 1A 45 DF A3,
// and a PDF is recognised by upload.Sniff. kind is store.LearningVideo or
// store.LearningDocument; ok is false for anything else.
func Sniff(data []byte) (contentType, kind string, ok bool) {
	switch {
	case len(data) >= 12 && bytes.Equal(data[4:8], []byte("ftyp")):
		return MP4, store.LearningVideo, true
	case bytes.HasPrefix(data, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return WebM, store.LearningVideo, true
	}
	if t, ok := upload.Sniff(data); ok && t == upload.PDF {
		return PDF, store.LearningDocument, true
	}
	return "", "", false
}

// Service is the online learning use case.
type Service struct {
	DB *store.DB
	// Now is the clock heartbeats are measured with; nil means the store's
	// clock. Tests set it to advance time between heartbeats.
	Now func() time.Time
	// Threshold is the watched share that completes a video; zero means
	// progress.DefaultThreshold.
	Threshold progress.Permille
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return s.DB.Now()
	}
	return s.Now()
}

func (s *Service) threshold() progress.Permille {
	if s.Threshold == 0 {
		return progress.DefaultThreshold
	}
	return s.Threshold
}

func itemObj(id int64) string { return "learning_item:" + strconv.FormatInt(id, 10) }

// CanUpload reports whether p may upload learning items: training admins
// and trainers.
func CanUpload(p authz.Principal) bool { return p.Has(authz.TrainingAdmin) || p.Has(authz.Trainer) }

// mayLearn reports whether p may use the platform: any signed-in person.
func mayLearn(p authz.Principal) error {
	if p.UserID == 0 {
		return errs.New(errs.Forbidden, "", "请先登录")
	}
	return nil
}

// Meta is what the uploader says about an item; the type, size and
// checksum come from the content.
type Meta struct {
	Title    string
	Category enroll.Category
	Duration int   // seconds; required for videos
	Minutes  int   // credited on completion
	PlanID   int64 // 0: not part of a plan
}

// Upload checks and stores one item and returns its id.
func (s *Service) Upload(ctx context.Context, p authz.Principal, m Meta, data []byte) (int64, error) {
	if !CanUpload(p) {
		return 0, errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以上传学习资料")
	}
	var l errs.List
	m.Title = strings.TrimSpace(m.Title)
	if m.Title == "" || utf8.RuneCountInString(m.Title) > 100 {
		l.Add("title", "请填写标题（不超过100字）")
	}
	if !m.Category.Valid() {
		l.Add("category", "请选择培训内容类别")
	}
	if m.Minutes < 0 || m.Minutes > MaxMinutes {
		l.Add("minutes", "学时应为 0 至 %d 分钟", MaxMinutes)
	}
	ct, kind, ok := Sniff(data)
	switch {
	case len(data) == 0:
		l.Add("file", "文件为空，请重新选择")
	case len(data) > MaxSize:
		l.Add("file", "文件过大：不能超过 %d MB", MaxSize>>20)
	case !ok:
		l.Add("file", "文件类型不支持：只接受 MP4、WebM 视频和 PDF 文档（按文件内容判断，与扩展名无关）")
	}
	if kind == store.LearningVideo && (m.Duration <= 0 || m.Duration > progress.MaxDuration) {
		l.Add("duration", "请填写视频时长（秒）")
	}
	if kind == store.LearningDocument {
		m.Duration = 0
	}
	if err := l.Err(); err != nil {
		return 0, err
	}
	sum := sm3.Sum(data)
	it := store.LearningItem{Title: m.Title, Category: string(m.Category), Kind: kind, ContentType: ct,
		Size: int64(len(data)), Checksum: hex.EncodeToString(sum[:]), Data: data, Duration: m.Duration,
		Minutes: m.Minutes, PlanID: m.PlanID, CreatedBy: p.UserID}
	if m.PlanID != 0 {
		// Only a plan the uploader may address: not another county's.
		if _, err := s.DB.TrainingPlanFor(ctx, p.Region, m.PlanID); err != nil {
			return 0, err
		}
	}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if m.PlanID != 0 {
			if _, err := tx.TrainingPlan(ctx, m.PlanID); err != nil {
				return err
			}
		}
		if err := tx.CreateLearningItem(ctx, &it); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "learning.upload", Object: itemObj(it.ID),
			Detail: fmt.Sprintf("kind=%s type=%s size=%d sm3=%s minutes=%d plan=%d", kind, ct, len(data),
				it.Checksum[:16], m.Minutes, m.PlanID)})
	})
	return it.ID, err
}

// Entry is one catalogue line: an item and the caller's progress in it.
type Entry struct {
	Item     store.LearningItem
	Percent  int // watched share, 0–100 (documents: 0 or 100)
	Complete bool
}

// Catalogue lists the items of a category ("" for all) with the caller's
// progress in each.
func (s *Service) Catalogue(ctx context.Context, p authz.Principal, category enroll.Category) ([]Entry, error) {
	if err := mayLearn(p); err != nil {
		return nil, err
	}
	if category != "" && !category.Valid() {
		return nil, errs.Invalidf("category", "未知培训内容类别")
	}
	items, err := s.DB.LearningItemsFor(ctx, p.Region, string(category))
	if err != nil {
		return nil, err
	}
	prs, err := s.DB.PersonLearning(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	byItem := map[int64]store.LearningProgress{}
	for _, pr := range prs {
		byItem[pr.ItemID] = pr
	}
	out := make([]Entry, 0, len(items))
	for _, it := range items {
		out = append(out, entryOf(it, byItem[it.ID], s.threshold()))
	}
	return out, nil
}

func entryOf(it store.LearningItem, pr store.LearningProgress, th progress.Permille) Entry {
	e := Entry{Item: it, Complete: pr.Credited}
	if it.Kind == store.LearningVideo {
		iv, err := progress.Decode(pr.Intervals)
		if err == nil {
			e.Percent = int(iv.Share(it.Duration)) / 10
			e.Complete = e.Complete || iv.Complete(it.Duration, th)
		}
	}
	if e.Complete && it.Kind == store.LearningDocument {
		e.Percent = 100
	}
	return e
}

// Item returns one item, without content, and the caller's progress in it.
func (s *Service) Item(ctx context.Context, p authz.Principal, id int64) (Entry, error) {
	if err := mayLearn(p); err != nil {
		return Entry{}, err
	}
	it, err := s.DB.LearningItemFor(ctx, p.Region, id)
	if err != nil {
		return Entry{}, err
	}
	pr, err := s.DB.LearningProgressOf(ctx, id, p.UserID)
	if err != nil {
		return Entry{}, err
	}
	return entryOf(it, pr, s.threshold()), nil
}

// Content returns an item's content for http.ServeContent (which answers
// Range requests from the ReadSeeker), its upload time and its type. The
// checksum is verified first, so a corrupted row is never served.
func (s *Service) Content(ctx context.Context, p authz.Principal, id int64) (io.ReadSeeker, time.Time, string, error) {
	if err := mayLearn(p); err != nil {
		return nil, time.Time{}, "", err
	}
	if _, err := s.DB.LearningItemFor(ctx, p.Region, id); err != nil {
		return nil, time.Time{}, "", err
	}
	it, err := s.DB.LearningContent(ctx, id)
	if err != nil {
		return nil, time.Time{}, "", err
	}
	if !upload.Verify(it.Data, it.Checksum) {
		return nil, time.Time{}, "", errs.New(errs.Internal, "", "学习资料已损坏（校验值不符），请联系培训管理员重新上传")
	}
	return bytes.NewReader(it.Data), it.CreatedAt, it.ContentType, nil
}

// Status is the answer to a heartbeat or an acknowledgement.
type Status struct {
	Accepted bool `json:"accepted"` // this report credited watched time
	Watched  int  `json:"watched"`  // distinct seconds watched
	Percent  int  `json:"percent"`  // watched share, 0–100
	Complete bool `json:"complete"`
	Credited int  `json:"credited"` // minutes credited by this report (only once)
}

// validPlayback reports whether id, made by the page when it loads, is a
// short token of letters, digits, '-' and '_'.
func validPlayback(id string) bool {
	if len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Heartbeat applies one report from a video player: playback identifies
// the player (one per page load), seq increases per playback, position is
// the playback position in seconds. The server measures the wall time
// since the playback's previous report itself (Now), and progress.Playback
// credits [previous, position) only if the jump is plausible for it, so a
// seek ahead credits nothing. Credited intervals are merged per person, so
// two tabs over the same segment count once. When the watched share
// reaches the threshold, the item's minutes are credited once to the
// person's enrollment in the item's plan, in an audited transaction
// (learning.complete).
func (s *Service) Heartbeat(ctx context.Context, p authz.Principal, itemID int64, playback string, seq int64, position int) (Status, error) {
	if err := mayLearn(p); err != nil {
		return Status{}, err
	}
	if !validPlayback(playback) || seq < 0 || position < 0 {
		return Status{}, errs.Invalidf("heartbeat", "播放进度报告格式错误")
	}
	it, err := s.DB.LearningItem(ctx, itemID)
	if err != nil {
		return Status{}, err
	}
	if it.Kind != store.LearningVideo {
		return Status{}, errs.Invalidf("heartbeat", "文档不需要报告播放进度")
	}
	now := s.now()
	var st Status
	var iv progress.Intervals
	pr, err := s.DB.UpdateLearningProgress(ctx, itemID, p.UserID, playback, func(pr *store.LearningProgress, pb *store.LearningPlayback) error {
		var err error
		if iv, err = progress.Decode(pr.Intervals); err != nil {
			return err
		}
		play := progress.Playback{Pos: pb.Position, Seq: pb.Seq, At: pb.LastAt, Started: pb.Started}
		from, to, ok := play.Report(seq, position, now, it.Duration)
		if ok {
			if err := iv.Add(from, to, it.Duration); err != nil {
				return err
			}
		}
		st.Accepted = ok
		pb.Position, pb.Seq, pb.LastAt, pb.Started = play.Pos, play.Seq, play.At, play.Started
		pr.Intervals, pr.Position, pr.LastAt = iv.Encode(), play.Pos, now
		return nil
	})
	if err != nil {
		return Status{}, err
	}
	st.Watched = iv.Watched()
	st.Percent = int(iv.Share(it.Duration)) / 10
	st.Complete = iv.Complete(it.Duration, s.threshold())
	if st.Complete && !pr.Credited {
		if st.Credited, err = s.complete(ctx, p, it, fmt.Sprintf("watched=%d/%d", st.Watched, it.Duration)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Acknowledge completes a document on the reader's explicit "已读完".
func (s *Service) Acknowledge(ctx context.Context, p authz.Principal, itemID int64) (Status, error) {
	if err := mayLearn(p); err != nil {
		return Status{}, err
	}
	it, err := s.DB.LearningItem(ctx, itemID)
	if err != nil {
		return Status{}, err
	}
	if it.Kind != store.LearningDocument {
		return Status{}, errs.Invalidf("ack", "视频按实际观看时长计算进度，不能直接确认完成")
	}
	st := Status{Accepted: true, Percent: 100, Complete: true}
	st.Credited, err = s.complete(ctx, p, it, "acknowledged")
	return st, err
}

// complete records the completion of it by p and credits its minutes once
// to p's enrollment in its plan (none when the item has no plan or p is not
// enrolled in it). It returns the minutes credited now: 0 when a racing
// report already did it.
func (s *Service) complete(ctx context.Context, p authz.Principal, it store.LearningItem, how string) (int, error) {
	credited := 0
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		credited = 0
		first, err := tx.CompleteLearning(ctx, it.ID, p.UserID)
		if err != nil {
			return err
		}
		if !first {
			// Nothing changed; the audit record only notes the repeat.
			return tx.Audit(ctx, store.Entry{Action: "learning.complete", Object: itemObj(it.ID), Detail: how + " repeat"})
		}
		detail := fmt.Sprintf("person=%d %s", p.UserID, how)
		if it.PlanID != 0 && it.Minutes > 0 {
			e, err := tx.EnrollmentFor(ctx, p.UserID, it.PlanID)
			switch {
			case errs.CodeOf(err) == errs.NotFound || (err == nil && e.Status == store.EnrollDropped):
				detail += fmt.Sprintf(" plan=%d not-enrolled", it.PlanID)
			case err != nil:
				return err
			default:
				done, err := tx.CreditEnrollment(ctx, e.ID, it.Minutes, e.PlanRequired)
				if err != nil {
					return err
				}
				credited = it.Minutes
				detail += fmt.Sprintf(" plan=%d minutes=%d total=%d/%d", it.PlanID, it.Minutes,
					e.MinutesCredited+it.Minutes, e.PlanRequired)
				if done && e.Status == store.EnrollOpen {
					detail += " completed"
				}
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "learning.complete", Object: itemObj(it.ID), Detail: detail})
	})
	return credited, err
}

// Plans lists the training plans an item may credit, for the upload form.
func (s *Service) Plans(ctx context.Context, p authz.Principal) ([]store.TrainingPlan, error) {
	if !CanUpload(p) {
		return nil, errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以上传学习资料")
	}
	return s.DB.LearningPlansFor(ctx, p.Region)
}
