package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/learning"
	"dibao/internal/store"
)

// The online learning pages (issue 5 item 5): the catalogue, the player,
// the content with HTTP Range, the player's heartbeats and the upload form.

// categoryOption is one choice of the category filter or form.
type categoryOption struct {
	Value, Label string
	Selected     bool
}

func categoryOptions(sel string) []categoryOption {
	out := make([]categoryOption, 0, len(enroll.Categories))
	for _, c := range enroll.Categories {
		out = append(out, categoryOption{Value: string(c), Label: c.Label(), Selected: string(c) == sel})
	}
	return out
}

// learningRow is one catalogue line.
type learningRow struct {
	ID       int64
	Title    string
	Kind     string // "视频" or "文档"
	Length   string // "12分30秒" for videos
	Minutes  int
	Percent  int
	Complete bool
}

type learningGroup struct {
	Category string // label
	Key      string
	Rows     []learningRow
}

type learningListPage struct {
	Categories []categoryOption
	Category   string
	Groups     []learningGroup
	CanUpload  bool
}

func kindLabel(kind string) string {
	if kind == store.LearningVideo {
		return "视频"
	}
	return "文档"
}

func durationLabel(sec int) string {
	if sec <= 0 {
		return ""
	}
	if sec < 60 {
		return fmt.Sprintf("%d秒", sec)
	}
	if sec%60 == 0 {
		return fmt.Sprintf("%d分钟", sec/60)
	}
	return fmt.Sprintf("%d分%d秒", sec/60, sec%60)
}

// learningList is GET /learning: the catalogue grouped by category, with
// the caller's progress in each item.
func (s *server) learningList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	cat := r.URL.Query().Get("category")
	if cat != "" && !enroll.Category(cat).Valid() {
		cat = ""
	}
	entries, err := s.a.Learning.Catalogue(r.Context(), p, enroll.Category(cat))
	if err != nil {
		return err
	}
	page := learningListPage{Categories: categoryOptions(cat), Category: cat, CanUpload: learning.CanUpload(p)}
	for _, c := range enroll.Categories {
		g := learningGroup{Category: c.Label(), Key: string(c)}
		for _, e := range entries {
			if e.Item.Category == string(c) {
				g.Rows = append(g.Rows, learningRow{ID: e.Item.ID, Title: e.Item.Title, Kind: kindLabel(e.Item.Kind),
					Length: durationLabel(e.Item.Duration), Minutes: e.Item.Minutes, Percent: e.Percent, Complete: e.Complete})
			}
		}
		if len(g.Rows) > 0 || cat == string(c) {
			page.Groups = append(page.Groups, g)
		}
	}
	s.render(w, r, p, http.StatusOK, "learning", "在线学习", []crumb{{"在线学习", ""}}, page)
	return nil
}

type learningItemPage struct {
	ID       int64
	Title    string
	Category string
	Video    bool
	Length   string
	Minutes  int
	Percent  int
	Complete bool
	Size     string
	Checksum string
}

// learningItem is GET /learning/{id}: the video player (with
// static/learning.js reporting heartbeats) or the document with its
// "已读完" button.
func (s *server) learningItem(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.a.Learning.Item(r.Context(), p, id)
	if err != nil {
		return err
	}
	it := e.Item
	page := learningItemPage{ID: it.ID, Title: it.Title, Category: enroll.Category(it.Category).Label(),
		Video: it.Kind == store.LearningVideo, Length: durationLabel(it.Duration), Minutes: it.Minutes,
		Percent: e.Percent, Complete: e.Complete, Size: fmt.Sprintf("%.1f MB", float64(it.Size)/(1<<20)),
		Checksum: it.Checksum}
	s.render(w, r, p, http.StatusOK, "learning_item", it.Title, []crumb{{"在线学习", "/learning"}, {it.Title, ""}}, page)
	return nil
}

// learningContent is GET /learning/{id}/content: the bytes through
// http.ServeContent, so that the player can seek with Range requests.
func (s *server) learningContent(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rs, mod, ct, err := s.a.Learning.Content(r.Context(), p, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", "inline")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", mod, rs)
	return nil
}

// heartbeatBody is the JSON a player posts.
type heartbeatBody struct {
	Playback string `json:"playback"` // made by the page when it loads
	Seq      int64  `json:"seq"`
	Position int    `json:"position"` // seconds
}

// learningHeartbeat is POST /learning/{id}/heartbeat: JSON in, the
// learning.Status as JSON out; errors are JSON too, never a page.
func (s *server) learningHeartbeat(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err == nil {
		var b heartbeatBody
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
		if err = dec.Decode(&b); err != nil {
			err = errs.Invalidf("heartbeat", "播放进度报告格式错误")
		} else {
			var st learning.Status
			if st, err = s.a.Learning.Heartbeat(r.Context(), p, id, b.Playback, b.Seq, b.Position); err == nil {
				writeJSON(w, http.StatusOK, st)
				return nil
			}
		}
	}
	if statusOf(err, false) == http.StatusInternalServerError {
		s.a.Log.Error("web: heartbeat", "request_id", reqIDOf(r), "err", err)
	}
	writeJSON(w, statusOf(err, false), map[string]string{"error": errs.As(err).Message})
	return nil
}

// learningAck is POST /learning/{id}/ack: "已读完" for a document.
func (s *server) learningAck(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.a.Learning.Acknowledge(r.Context(), p, id); err != nil {
		return err
	}
	s.redirect(w, r, "/learning/"+strconv.FormatInt(id, 10), "learn_done")
	return nil
}

type planOption struct {
	ID       int64
	Title    string
	Selected bool
}

type learningFormPage struct {
	Values     url.Values
	Categories []categoryOption
	Plans      []planOption
	MaxMB      int
	Err        map[string]string
	Summary    []string
}

func (s *server) renderLearningForm(w http.ResponseWriter, r *http.Request, p authz.Principal, status int,
	v url.Values, ferr error) error {
	plans, err := s.a.Learning.Plans(r.Context(), p)
	if err != nil {
		return err
	}
	if v == nil {
		v = url.Values{}
	}
	page := learningFormPage{Values: v, Categories: categoryOptions(v.Get("category")), MaxMB: learning.MaxSize >> 20}
	for _, pl := range plans {
		page.Plans = append(page.Plans, planOption{ID: pl.ID, Title: pl.Title,
			Selected: v.Get("plan_id") == strconv.FormatInt(pl.ID, 10)})
	}
	if ferr != nil {
		page.Err, page.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "learning_form", "上传学习资料",
		[]crumb{{"在线学习", "/learning"}, {"上传学习资料", ""}}, page)
	return nil
}

// learningNew is GET /learning/new: the upload form.
func (s *server) learningNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderLearningForm(w, r, p, http.StatusOK, nil, nil)
}

// learningCreate is POST /learning/new: one multipart upload, bounded
// before it is parsed.
func (s *server) learningCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !learning.CanUpload(p) {
		return errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以上传学习资料")
	}
	r.Body = http.MaxBytesReader(w, r.Body, learning.MaxSize+1<<20)
	err := r.ParseMultipartForm(1 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	var id int64
	if err == nil {
		id, err = s.learningUpload(r, p)
	} else {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errs.Invalidf("file", "文件过大：不能超过 %d MB", learning.MaxSize>>20)
		} else {
			err = errs.Invalidf("file", "上传内容无效，请重新选择文件后上传")
		}
	}
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			return err
		}
		return s.renderLearningForm(w, r, p, statusOf(err, true), r.PostForm, err)
	}
	s.redirect(w, r, "/learning/"+strconv.FormatInt(id, 10), "learn_uploaded")
	return nil
}

func (s *server) learningUpload(r *http.Request, p authz.Principal) (int64, error) {
	var l errs.List
	num := func(field, msg string) int64 {
		v := strings.TrimSpace(r.PostFormValue(field))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			l.Add(field, "%s", msg)
		}
		return n
	}
	m := learning.Meta{Title: r.PostFormValue("title"), Category: enroll.Category(r.PostFormValue("category")),
		Duration: int(num("duration", "时长应为整数秒")), Minutes: int(num("minutes", "学时应为整数分钟")),
		PlanID: num("plan_id", "请选择培训计划")}
	if err := l.Err(); err != nil {
		return 0, err
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return 0, errs.Invalidf("file", "请选择要上传的文件")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, learning.MaxSize+1))
	if err != nil {
		return 0, errs.Invalidf("file", "读取上传文件失败，请重试")
	}
	return s.a.Learning.Upload(r.Context(), p, m, data)
}
