package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/store"
)

// learningVideo is a small file that sniffs as MP4 ("ftyp" at offset 4)
// with distinct bytes, so that a Range answer can be checked byte by byte.
func learningVideo() []byte {
	b := make([]byte, 8192)
	copy(b, "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00")
	for i := 16; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func (e *env) addTrainer() {
	e.t.Helper()
	hash, err := access.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.a.DB.InTx(bg, authz.System("test-seed"), func(tx *store.Tx) error {
		u := store.User{Username: "trainer", DisplayName: "孙讲师", Region: county, Roles: []authz.Role{authz.Trainer},
			PasswordHash: hash, Active: true}
		if _, err := tx.CreateUser(bg, u); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "user:trainer"})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// uploadLearning posts the upload form as a browser would.
func (c *client) uploadLearning(fields map[string]string, name string, data []byte) resp {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+"/learning/new", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func (c *client) heartbeat(id string, playback string, seq int64, pos int) (int, map[string]any) {
	c.e.t.Helper()
	b, _ := json.Marshal(map[string]any{"playback": playback, "seq": seq, "position": pos})
	req, _ := http.NewRequest("POST", c.e.srv.URL+"/learning/"+id+"/heartbeat", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	r := c.do(req)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		c.e.t.Fatalf("heartbeat answer %d %q: %v", r.StatusCode, r.body, err)
	}
	return r.StatusCode, out
}

func TestLearningUploadPlayRangeAndHeartbeat(t *testing.T) {
	e := setup(t)
	e.addTrainer()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e.a.Learning.Now = func() time.Time { return now }

	trainer := e.login("trainer")
	if r := trainer.get("/learning/new"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="learning-form"`) {
		t.Fatalf("upload form: %d", r.StatusCode)
	}
	// A text file renamed to .mp4 is refused by its content.
	r := trainer.uploadLearning(map[string]string{"title": "假视频", "category": "policy_law", "duration": "60"},
		"lesson.mp4", []byte("just text, renamed to lesson.mp4"))
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "文件类型不支持") ||
		!strings.Contains(r.body, `value="假视频"`) {
		t.Fatalf("renamed non-video: %d %s", r.StatusCode, r.body)
	}
	data := learningVideo()
	r = trainer.uploadLearning(map[string]string{"title": "低保政策解读", "category": "policy_law", "duration": "600",
		"minutes": "30"}, "lesson.mp4", data)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/learning/") {
		t.Fatalf("upload: %d %s", r.StatusCode, r.body)
	}
	id := strings.TrimPrefix(r.Header.Get("Location"), "/learning/")

	clerk := e.login("clerk")
	if r := clerk.get("/learning/new"); r.StatusCode != http.StatusForbidden {
		t.Errorf("clerk upload form: %d", r.StatusCode)
	}
	r = clerk.get("/learning")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="learning-item-`+id+`"`) {
		t.Fatalf("catalogue: %d", r.StatusCode)
	}
	r = clerk.get("/learning/" + id)
	for _, want := range []string{`<video id="player" src="/learning/` + id + `/content" controls`,
		`id="progress-pct"`, `src="/static/learning.js?v=`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("player page lacks %q", want)
		}
	}

	// A Range request answers 206 with exactly those bytes.
	req, _ := http.NewRequest("GET", e.srv.URL+"/learning/"+id+"/content", nil)
	req.Header.Set("Range", "bytes=100-199")
	r = clerk.do(req)
	if r.StatusCode != http.StatusPartialContent || r.body != string(data[100:200]) {
		t.Fatalf("range: %d, %d bytes", r.StatusCode, len(r.body))
	}
	h := r.Header
	if h.Get("Content-Range") != "bytes 100-199/8192" || h.Get("Content-Type") != "video/mp4" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "private, no-store" {
		t.Errorf("range headers: %v", h)
	}
	if r := clerk.get("/learning/" + id + "/content"); r.StatusCode != http.StatusOK || r.body != string(data) ||
		r.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("full content: %d", r.StatusCode)
	}

	// Heartbeats: a jump to the end credits nothing; real playback counts.
	if st, out := clerk.heartbeat(id, "tab1", 0, 0); st != http.StatusOK || out["percent"] != 0.0 {
		t.Fatalf("first heartbeat: %d %v", st, out)
	}
	now = now.Add(10 * time.Second)
	if st, out := clerk.heartbeat(id, "tab1", 1, 600); st != http.StatusOK || out["complete"] != false ||
		out["accepted"] != false || out["percent"] != 0.0 {
		t.Fatalf("skip to the end: %d %v", st, out)
	}
	now = now.Add(10 * time.Second)
	clerk.heartbeat(id, "tab2", 0, 0)
	now = now.Add(10 * time.Second)
	if _, out := clerk.heartbeat(id, "tab2", 1, 10); out["accepted"] != true || out["watched"] != 10.0 {
		t.Fatalf("playback: %v", out)
	}
	if st, out := clerk.heartbeat(id, "bad id!", 0, 0); st != http.StatusBadRequest || out["error"] == "" {
		t.Errorf("bad playback id: %d %v", st, out)
	}
	if st, _ := clerk.heartbeat("999", "tab", 0, 0); st != http.StatusNotFound {
		t.Errorf("unknown item: %d", st)
	}
}

func TestLearningDocumentAcknowledge(t *testing.T) {
	e := setup(t)
	e.addTrainer()
	trainer := e.login("trainer")
	r := trainer.uploadLearning(map[string]string{"title": "廉政须知", "category": "ethics"}, "须知.pdf",
		[]byte("%PDF-1.4\n1 0 obj\n%%EOF\n"))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload pdf: %d %s", r.StatusCode, r.body)
	}
	id := strings.TrimPrefix(r.Header.Get("Location"), "/learning/")
	clerk := e.login("clerk")
	if r := clerk.get("/learning/" + id); !strings.Contains(r.body, `id="learning-ack"`) {
		t.Fatal("no 已读完 button")
	}
	if r := clerk.post("/learning/"+id+"/ack", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ack: %d", r.StatusCode)
	}
	if r := clerk.get("/learning/" + id); !strings.Contains(r.body, `id="learning-done"`) ||
		!strings.Contains(r.body, `<strong id="progress-pct">100%</strong>`) {
		t.Fatal("document not complete after 已读完")
	}
}
